"""Development secrets: generated once per instance folder, shared by every worker."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

GENERATED_IN_DEVELOPMENT = ("SECRET_KEY", "TWILIO_AUTH_TOKEN")
DEV_SECRETS_FILE = "dev-secrets.json"


def load_dev_secrets(path: Path) -> dict[str, str]:
    """Return the development secrets kept at `path`, generating them on first use."""
    stored = _read_secrets(path)
    if stored is not None:
        return stored
    fresh = {
        "SECRET_KEY": secrets.token_hex(32),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.write_text(json.dumps(fresh, indent=2) + "\n")
    staging.chmod(0o600)
    try:
        # link() never overwrites: when several workers start at once, the first
        # one's secrets win and every other worker reads them back.
        os.link(staging, path)
    except FileExistsError:
        stored = _read_secrets(path)
        if stored is None:  # an unusable file: replace it rather than refuse to start
            os.replace(staging, path)
            return fresh
        return stored
    finally:
        staging.unlink(missing_ok=True)
    return fresh


def _read_secrets(path: Path) -> dict[str, str] | None:
    """Return the complete secrets stored at `path`, or None."""
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    values = {key: data.get(key) for key in GENERATED_IN_DEVELOPMENT}
    if not all(isinstance(value, str) and value for value in values.values()):
        return None
    return {key: str(value) for key, value in values.items()}
