"""Where runtime data lives: var/ beside the code unless SLOTWISE_VAR_DIR says otherwise.

Everything a Slotwise process writes there (SQLite databases and their WAL files, kept secrets,
the filesystem broker's queues, multiprocess metrics, mail files, lock files) is its owner's
only: the process umask, set here once as settings load, makes new files 0600 and new folders
0700, and var/ itself is closed to everyone else even when an older release made it open.
"""

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
os.umask(OWNER_ONLY_UMASK)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SLOTWISE_VAR_DIR", BASE_DIR / "var"))


def close_to_others(folder: Path) -> None:
    """Makes a folder we own enterable by its owner only (one made before this release was 0755)."""
    if folder.is_dir() and folder.stat().st_uid == os.getuid():
        folder.chmod(0o700)


close_to_others(VAR_DIR)


def kept_secret(variable: str, name: str, make: Callable[[], str]) -> str:
    """The environment's value for a secret or, on the embedded default, one made once and kept
    under var/ (readable by its owner only)."""
    if value := os.environ.get(variable):
        return value
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        _write_private(path, make())
    return path.read_text().strip()


def _write_private(path: Path, text: str) -> None:
    # written whole to a 0600 temporary file, then linked in: a racing process never reads half a
    # secret, and whichever process links first wins
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
