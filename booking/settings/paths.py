"""Where runtime data lives: var/ beside the code unless SLOTWISE_VAR_DIR says otherwise."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SLOTWISE_VAR_DIR", BASE_DIR / "var"))
