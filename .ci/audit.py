"""The dependency audit, which never reports a pass it did not earn.

pip-audit asks a vulnerability service about every pinned package. Where that service cannot be
reached it skips each package ("Dependency not found on PyPI and could not be audited") or fails
outright, yet its summary line can still read "No known vulnerabilities found". This wrapper
reads pip-audit's JSON report instead and says which of four things happened:

  vulnerable   a known advisory affects a pin                          -> exit 1, always
  unreachable  the service answered for none of the pins (or not at all) -> exit 0; 1 when strict
  partial      some pins were not audited                              -> exit 0; 1 when strict
  clean        every pin was audited and none is affected              -> exit 0

Strict mode (`--strict`, or AUDIT_STRICT=1 as `make audit AUDIT_STRICT=1` sets it) is for a CI
that can reach the service. Usage: audit.py LOCK [--strict] [-- PIP_AUDIT_ARGS...]; the
PIP_AUDIT variable names another pip-audit command (default: the one beside this Python).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOT_AUDITED = "vulnerability service unreachable: dependencies NOT audited"
# what pip-audit's own failures look like when the network, not the lock, is the problem
UNREACHABLE_SIGNS = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "timed out", "ServiceError")
RUN_SECONDS = 600


@dataclass(frozen=True)
class Verdict:
    kind: str  # vulnerable | unreachable | partial | clean | error
    lines: list[str]

    def exit_code(self, strict: bool) -> int:
        if self.kind in ("vulnerable", "error"):
            return 1
        return 1 if strict and self.kind != "clean" else 0


def judge(report: dict[str, Any] | None, returncode: int, stderr: str) -> Verdict:
    """What pip-audit's JSON report (None when it wrote none) and exit code mean."""
    if report is None:
        return _without_report(returncode, stderr)
    deps = report.get("dependencies", [])
    affected = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if "skip_reason" in d]
    audited = [d for d in deps if "version" in d]
    if affected:
        return Verdict("vulnerable", [_advisories(d) for d in affected])
    if returncode != 0:
        return Verdict("error", [f"pip-audit exited {returncode} without naming a vulnerability", _tail(stderr)])
    if skipped and not audited:
        return Verdict("unreachable", [f"{NOT_AUDITED} (0 of {len(deps)} audited; first: {skipped[0]['skip_reason']})"])
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        return Verdict("partial", [f"{len(skipped)} of {len(deps)} dependencies NOT audited: {names}"])
    return Verdict("clean", [f"{len(audited)} dependencies audited: no known vulnerabilities"])


def _without_report(returncode: int, stderr: str) -> Verdict:
    if any(sign in stderr for sign in UNREACHABLE_SIGNS):
        return Verdict("unreachable", [f"{NOT_AUDITED} ({_tail(stderr, 1)})"])
    return Verdict("error", [f"pip-audit failed (exit {returncode}) before it audited anything", _tail(stderr)])


def _advisories(dep: dict[str, Any]) -> str:
    fixed = [", ".join(v.get("fix_versions") or ["no release yet"]) for v in dep["vulns"]]
    found = "; ".join(f"{v['id']} (fixed in {versions})" for v, versions in zip(dep["vulns"], fixed, strict=True))
    return f"VULNERABLE {dep['name']}=={dep.get('version', '?')}: {found}"


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def audit(lock: Path, command: list[str], extra: list[str]) -> tuple[dict[str, Any] | None, int, str]:
    """Runs pip-audit over the lock's exact pins; its JSON report (if it wrote one), exit code, stderr."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "audit.json"
        args = ["-r", str(lock), "--no-deps", "--disable-pip", "--progress-spinner", "off", "--timeout", "10"]
        try:
            done = subprocess.run(  # noqa: S603 - pip-audit, with our own arguments
                [*command, *args, "-f", "json", "-o", str(out), *extra],
                capture_output=True,
                text=True,
                timeout=RUN_SECONDS,
            )
        except subprocess.TimeoutExpired:
            return None, -1, f"pip-audit timed out after {RUN_SECONDS}s"
        written = out.read_text() if out.exists() else ""
        return (json.loads(written) if written.strip() else None), done.returncode, done.stderr


def main(argv: list[str]) -> int:
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    strict = "--strict" in own or os.environ.get("AUDIT_STRICT", "") not in ("", "0")
    locks = [a for a in own if a != "--strict"]
    if len(locks) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    default = str(Path(sys.executable).with_name("pip-audit"))
    command = shlex.split(os.environ.get("PIP_AUDIT", "")) or [default]
    verdict = judge(*audit(Path(locks[0]), command, extra))
    for line in verdict.lines:
        print(f"audit {locks[0]}: {line}")
    if verdict.kind in ("unreachable", "partial"):
        lenient = "audit: passing anyway (not strict: AUDIT_STRICT=1 fails here)"
        print("audit: strict mode fails here" if strict else lenient)
    return verdict.exit_code(strict)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
