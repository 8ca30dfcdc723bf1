"""`make audit` (.ci/audit.py) never reports a pass it did not earn.

Nothing here leaves the machine. The "unreachable" outcome runs the real pip-audit, its only way
out a closed loopback port. The "clean" and "vulnerable" outcomes need a vulnerability service's
answer, which cannot be had offline: they run a stand-in for pip-audit that writes the JSON report
pip-audit documents (the `dependencies` / `vulns` / `skip_reason` shape of
pip_audit/_format/json.py) and exits as pip-audit does (1 when a vulnerability was found, 0
otherwise).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / ".ci" / "audit.py"
NOT_AUDITED = "vulnerability service unreachable: dependencies NOT audited"
STAND_IN = """
import json, os, sys
out = sys.argv[sys.argv.index("-o") + 1]
with open(out, "w") as report:
    report.write(os.environ["STAND_IN_REPORT"])
sys.exit(int(os.environ["STAND_IN_EXIT"]))
"""


def _audit(lock: Path, *, strict: bool = False, **env: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(WRAPPER), str(lock), *(["--strict"] if strict else [])],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "AUDIT_STRICT": "", **env},
    )
    return done.returncode, done.stdout + done.stderr


def _stand_in(tmp_path: Path, report: dict[str, Any], exit_code: int) -> dict[str, str]:
    script = tmp_path / "pip_audit_stand_in.py"
    script.write_text(STAND_IN)
    return {
        "PIP_AUDIT": f"{sys.executable} {script}",
        "STAND_IN_REPORT": json.dumps(report),
        "STAND_IN_EXIT": str(exit_code),
    }


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    made = tmp_path / "requirements.lock"
    made.write_text("requests==2.19.0\nidna==2.7\n")
    return made


def test_an_unreachable_service_is_said_plainly_and_fails_only_strict_mode() -> None:
    # given the real pip-audit whose only way out is a closed loopback port
    closed = {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": ""}
    # when the runtime lock is audited, leniently and strictly
    lenient, said = _audit(ROOT / "requirements.lock", **closed)
    strict, said_strictly = _audit(ROOT / "requirements.lock", strict=True, **closed)
    # then both say nothing was audited; only strict mode fails
    assert NOT_AUDITED in said and NOT_AUDITED in said_strictly
    assert "no known vulnerabilities" not in said.lower()
    assert (lenient, strict) == (0, 1)


def test_a_clean_audit_passes_and_says_how_much_it_audited(tmp_path: Path, lock: Path) -> None:
    report = {"dependencies": [{"name": "requests", "version": "2.19.0", "vulns": []}], "fixes": []}
    code, said = _audit(lock, strict=True, **_stand_in(tmp_path, report, 0))
    assert code == 0
    assert "1 dependencies audited: no known vulnerabilities" in said


def test_a_vulnerable_pin_fails_even_when_not_strict(tmp_path: Path, lock: Path) -> None:
    vulns = [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"]}]
    report = {"dependencies": [{"name": "requests", "version": "2.19.0", "vulns": vulns}], "fixes": []}
    code, said = _audit(lock, **_stand_in(tmp_path, report, 1))
    assert code == 1
    assert "VULNERABLE requests==2.19.0: PYSEC-2018-28 (fixed in 2.20.0)" in said


def test_a_service_that_skipped_every_pin_is_unreachable_not_clean(tmp_path: Path, lock: Path) -> None:
    # what pip-audit writes, and its exit 0, when the PyPI JSON API answers 404 to everything
    reason = "Dependency not found on PyPI and could not be audited: requests (2.19.0)"
    report = {"dependencies": [{"name": "requests", "skip_reason": reason}], "fixes": []}
    env = _stand_in(tmp_path, report, 0)
    assert _audit(lock, **env)[0] == 0
    code, said = _audit(lock, strict=True, **env)
    assert code == 1 and NOT_AUDITED in said


def test_some_pins_not_audited_are_named_and_fail_strict_mode(tmp_path: Path, lock: Path) -> None:
    deps = [
        {"name": "requests", "version": "2.19.0", "vulns": []},
        {"name": "idna", "skip_reason": "Dependency not found on PyPI and could not be audited: idna (2.7)"},
    ]
    env = _stand_in(tmp_path, {"dependencies": deps, "fixes": []}, 0)
    code, said = _audit(lock, strict=True, **env)
    assert code == 1
    assert "1 of 2 dependencies NOT audited: idna" in said
    assert _audit(lock, **env)[0] == 0
