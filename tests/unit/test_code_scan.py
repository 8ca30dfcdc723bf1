"""`make lint`'s code gate: bandit (`make code-scan`) and ruff's `S` rules over what the image
ships, every exception justified on its line (docs/security.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("booking", "projections", "providers", "manage.py")  # what helm/image/Dockerfile copies
BIN = Path(sys.executable).parent
NOSEC = re.compile(r"#\s*nosec\b", re.IGNORECASE)
# the ids alone up to the next '#', so bandit reads no word of the reason as a test name
JUSTIFIED_NOSEC = re.compile(r"#\s*nosec (?P<ids>B\d{3}(?:, B\d{3})*)\s+#\s*- \S")
RUFF_S_NOQA = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z]+\d+(?:,\s*[A-Z]+\d+)*)(?P<rest>.*)")

FLAWS = {
    "eval of input": ("eval(input())\n", "B307"),
    "shell command from input": (
        "import subprocess  # nosec B404  # - the probe is the call\nsubprocess.call(input(), shell=True)\n",
        "B602",
    ),
    "assert as a check (low severity)": ("def admin(user):\n    assert user.is_admin\n", "B101"),
    "SQL from a string (low confidence)": (
        "def q(name):\n    return f\"SELECT * FROM t WHERE n = '{name}'\"\n",
        "B608",
    ),
}


def _gate(*paths: Path) -> tuple[int, str]:
    """Runs the recipe `make lint` runs, over the given paths (default: what it scans)."""
    override = [f"CODE_SCAN_PATHS={' '.join(map(str, paths))}"] if paths else []
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(ROOT), "code-scan", *override],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


def _probe(tmp_path: Path, text: str) -> Path:
    probe = tmp_path / "probe.py"
    probe.write_text(text)
    return probe


def _shipped_lines() -> list[tuple[str, int, str]]:
    listed = subprocess.run(["git", "ls-files", "-z", *SHIPPED], cwd=ROOT, capture_output=True, check=True).stdout
    names = [name for name in listed.decode().split("\0") if name.endswith(".py")]
    return [
        (name, number, line)
        for name in names
        for number, line in enumerate((ROOT / name).read_text().splitlines(), start=1)
    ]


def test_the_shipped_packages_pass_the_gate() -> None:
    code, said = _gate()
    assert code == 0, said
    assert "no security findings in booking projections providers manage.py" in said


@pytest.mark.parametrize("flaw", FLAWS.values(), ids=FLAWS.keys())
def test_a_flaw_at_any_severity_or_confidence_fails_the_gate(tmp_path: Path, flaw: tuple[str, str]) -> None:
    # given a module with one flaw; when the gate scans it, then it fails and names the test
    text, test_id = flaw
    code, said = _gate(_probe(tmp_path, text))
    assert code != 0
    assert f"[{test_id}:" in said and "no security findings" not in said


def test_an_exception_silences_only_the_test_it_names(tmp_path: Path) -> None:
    # given a justified exception for another test on the line of a shell call
    probe = _probe(
        tmp_path,
        "import subprocess  # nosec B404  # - the probe is the call\n"
        "subprocess.call(input(), shell=True)  # nosec B603  # - the wrong id for this call\n",
    )
    # then the shell call is still reported
    code, said = _gate(probe)
    assert code != 0 and "[B602:" in said


def test_a_reason_after_the_second_hash_never_widens_the_exception(tmp_path: Path) -> None:
    # a reason straight after the id would be read as test names: `eval` is B307's name
    widened = _probe(tmp_path, "x = eval(input())  # nosec B101 - eval is fine here\n")
    assert _gate(widened)[0] == 0
    # written as this project writes it, the reason is prose only and B307 is still reported
    kept = _probe(tmp_path, "x = eval(input())  # nosec B101  # - eval is fine here\n")
    code, said = _gate(kept)
    assert code != 0 and "[B307:" in said


def test_every_nosec_in_the_shipped_code_names_its_test_and_a_reason() -> None:
    unjustified = [
        f"{name}:{number}: {line.strip()}"
        for name, number, line in _shipped_lines()
        if NOSEC.search(line) and not JUSTIFIED_NOSEC.search(line)
    ]
    assert unjustified == [], "write `# nosec B<id>  # - <reason>`:\n" + "\n".join(unjustified)


def test_every_nosec_in_the_shipped_code_silences_a_finding_on_its_line() -> None:
    # given bandit's findings with every exception ignored
    done = subprocess.run(
        [str(BIN / "bandit"), "-q", "-r", "--ignore-nosec", "-f", "json", *SHIPPED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["errors"] == [], "bandit skipped files it could not scan"
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for result in report["results"]:
        for number in result["line_range"]:
            found[(result["filename"], number)].add(result["test_id"])
    # then each exception names only tests that really report its line
    stale = [
        f"{name}:{number}: {sorted(written - found[(name, number)])}"
        for name, number, line in _shipped_lines()
        if (justified := JUSTIFIED_NOSEC.search(line))
        and (written := set(justified["ids"].split(", "))) - found[(name, number)]
    ]
    assert stale == []
    assert found, "with every exception ignored bandit reports the justified findings"


def test_every_ruff_security_exception_in_the_shipped_code_has_a_reason() -> None:
    unjustified = []
    for name, number, line in _shipped_lines():
        noqa = RUFF_S_NOQA.search(line)
        if not noqa or not any(code.strip().startswith("S") for code in noqa["codes"].split(",")):
            continue
        if not (noqa["rest"].startswith(" - ") or JUSTIFIED_NOSEC.search(line)):
            unjustified.append(f"{name}:{number}: {line.strip()}")
    assert unjustified == [], "write `# noqa: S<id> - <reason>`:\n" + "\n".join(unjustified)


def _ruff(path: str, text: str) -> str:
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", "--stdin-filename", path, "-"],
        cwd=ROOT,
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout


@pytest.mark.parametrize(
    "text, rule",
    [
        ("def admin(user):\n    assert user.is_admin\n", "S101"),
        ("import random\n\nTOKEN = random.random()\n", "S311"),
        ("def q(name):\n    return f\"SELECT * FROM t WHERE n = '{name}'\"\n", "S608"),
    ],
    ids=["assert", "random", "sql"],
)
def test_ruff_holds_its_security_rules_for_shipped_code_but_not_for_tests(text: str, rule: str) -> None:
    # given the project's ruff configuration, when a shipped module holds the flaw, then ruff reports it
    assert rule in _ruff("booking/probe.py", text)
    # and test code, never deployed, may use it (pytest's assert, fake secrets, servers)
    assert rule not in _ruff("tests/unit/probe.py", text)
