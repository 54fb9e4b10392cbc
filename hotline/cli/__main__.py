"""Run the `hotline` command as `python -m hotline.cli`."""

from . import main

main()
