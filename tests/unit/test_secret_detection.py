"""`make lint`'s secret gate (.ci/secrets.py): real detect-secrets over a real git checkout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / ".ci" / "secrets.py"
# an AWS-shaped key (AWS's own documentation example), split so this file holds none
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"


def _git(checkout: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=checkout, check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git checkout with this project's baseline settings and no findings yet."""
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    (tmp_path / ".secrets.baseline").write_text(json.dumps({**baseline, "results": {}}, indent=2))
    (tmp_path / "README.md").write_text("nothing to see\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    return tmp_path


def _gate(checkout: Path) -> tuple[int, str]:
    done = subprocess.run([sys.executable, str(GATE), str(checkout)], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def _track(checkout: Path, name: str, text: str) -> None:
    (checkout / name).write_text(text)
    _git(checkout, "add", name)


def test_the_projects_tracked_tree_passes_against_its_baseline() -> None:
    code, said = _gate(ROOT)
    assert code == 0, said
    assert "no new secrets" in said


def test_a_committed_key_fails_the_gate(checkout: Path) -> None:
    _track(checkout, "settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    code, said = _gate(checkout)
    assert code == 1
    assert "AWS Access Key" in said and "settings.py" in said


def test_a_fixture_marked_inline_with_a_reason_passes(checkout: Path) -> None:
    _track(checkout, "test_fixture.py", f'KEY = "{AWS_KEY}"  # pragma: allowlist secret - AWS docs example\n')
    assert _gate(checkout)[0] == 0


def test_a_baseline_entry_not_audited_as_false_positive_fails(checkout: Path) -> None:
    # given a finding recorded in the baseline but never audited (or audited as real)
    _track(checkout, "settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    subprocess.run(
        [str(Path(sys.executable).with_name("detect-secrets")), "scan", "--baseline", ".secrets.baseline"],
        cwd=checkout,
        check=True,
    )
    code, said = _gate(checkout)
    assert code == 1
    assert "not audited as false positives" in said and "settings.py" in said
    # when it is audited as a false positive, then the gate passes, even after its line moved
    baseline = json.loads((checkout / ".secrets.baseline").read_text())
    for found in baseline["results"]["settings.py"]:
        found["is_secret"] = False
    (checkout / ".secrets.baseline").write_text(json.dumps(baseline, indent=2))
    _track(checkout, "settings.py", f'# moved down a line\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    assert _gate(checkout)[0] == 0
    assert json.loads((checkout / ".secrets.baseline").read_text()) == baseline  # never rewritten
