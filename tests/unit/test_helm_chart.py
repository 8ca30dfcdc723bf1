"""The Helm chart lints, renders, and renders valid Kubernetes objects that run what we ship."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

CHART = Path(__file__).resolve().parents[2] / "helm" / "slotwise"


def render(values: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    chart = helm_python.Chart.load(str(CHART))
    try:
        files = chart.render(values, name="sw", namespace="prod", is_install=True)
    finally:
        chart.close()
    objects = {}
    for text in files.values():
        for doc in yaml.safe_load_all(text):
            if doc:
                objects[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return objects


def test_chart_lints_without_errors() -> None:
    result = helm_python.lint(str(CHART), strict=True)
    assert result["errors"] == []
    assert [m for m in result["messages"] if m["severity"] > 1] == []


def test_every_rendered_object_is_valid_kubernetes() -> None:
    objects = render()
    assert set(objects) == {"Deployment/sw-api", "Service/sw-api", "PodDisruptionBudget/sw-api", "Job/sw-migrate-1"}
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.32", strict=True)


def test_api_runs_gunicorn_with_probes_on_our_health_endpoints() -> None:
    container = render()["Deployment/sw-api"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["gunicorn", "booking.wsgi"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert secrets == {
        "DATABASE_URL": {"name": "slotwise", "key": "DATABASE_URL"},
        "SLOTWISE_SECRET_KEY": {"name": "slotwise", "key": "SLOTWISE_SECRET_KEY"},
    }


def test_migrations_run_as_a_hook_before_install_and_upgrade() -> None:
    job = render()["Job/sw-migrate-1"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python",
        "manage.py",
        "migrate",
        "--noinput",
    ]


def test_a_misspelt_value_is_refused_by_the_schema() -> None:
    with pytest.raises(helm_python.HelmError):
        render({"api": {"replicas": 2, "workers": 2, "threads": 8, "port": 8000, "replcas": 3}})
