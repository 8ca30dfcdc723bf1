"""Where runtime data lives: var/ beside the code unless SLOTWISE_VAR_DIR says otherwise."""

import os
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SLOTWISE_VAR_DIR", BASE_DIR / "var"))


def kept_secret(variable: str, name: str, make: Callable[[], str]) -> str:
    """The environment's value for a secret or, on the embedded default, one made once and kept
    under var/ (readable by its owner only)."""
    if value := os.environ.get(variable):
        return value
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()
