"""Secret detection over the tracked tree (`make lint`): detect-secrets against .secrets.baseline.

A finding that is not in the baseline fails, and so does a baseline entry that was not audited
as a false positive (`"is_secret": false`: test fixtures, placeholders in docs). A new fixture
that looks like a secret is audited into the baseline (`detect-secrets scan --baseline
.secrets.baseline`, then `detect-secrets audit .secrets.baseline`), as every one so far is.
The hook runs on a copy of the baseline: when only line numbers moved it rewrites the copy and
exits 3, which is not a finding, and the tracked baseline is never rewritten by a lint run.
Usage: secrets.py [CHECKOUT] (default: this one).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE_NUMBERS_MOVED = 3


def unaudited(baseline: Path) -> list[str]:
    """Baseline entries not labelled as false positives."""
    results = json.loads(baseline.read_text())["results"]
    return [
        f"{name}:{found['line_number']} {found['type']} (is_secret: {found.get('is_secret')})"
        for name, entries in results.items()
        for found in entries
        if found.get("is_secret") is not False
    ]


def tracked_files(root: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout  # noqa: S607
    return [name for name in listed.decode().split("\0") if name and (root / name).is_file()]


def main(root: Path) -> int:
    baseline = root / ".secrets.baseline"
    if labels := unaudited(baseline):
        print("secrets: baseline entries not audited as false positives:", *labels, sep="\n  ")
        return 1
    hook = Path(sys.executable).with_name("detect-secrets-hook")
    files = tracked_files(root)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / baseline.name
        shutil.copy(baseline, copy)
        done = subprocess.run([str(hook), "--baseline", str(copy), *files], cwd=root)  # noqa: S603
    if done.returncode not in (0, LINE_NUMBERS_MOVED):
        return 1
    print(f"secrets: no new secrets in {len(files)} tracked files")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT))
