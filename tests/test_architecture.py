"""docs/architecture.md shows the import graph the code has today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "import_graph.py"


def test_the_architecture_document_is_current() -> None:
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    drawn = module.draw()
    assert module.DOCUMENT.read_text() == drawn, "run: python docs/import_graph.py"
