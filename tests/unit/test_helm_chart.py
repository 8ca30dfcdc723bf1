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


def api_container(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = objects["Deployment/sw-api"]["spec"]["template"]["spec"]["containers"][0]
    return container


def plain_env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


def test_graphql_runs_in_production_mode_by_default() -> None:
    env = plain_env(api_container(render()))
    assert env["SLOTWISE_GRAPHQL_PERSISTED_ONLY"] == "true"
    assert env["SLOTWISE_GRAPHQL_INTROSPECTION"] == "false"
    assert env["SLOTWISE_GRAPHQL_MAX_DEPTH"] == "10"
    assert env["SLOTWISE_GRAPHQL_MAX_ALIASES"] == "30"
    assert env["SLOTWISE_GRAPHQL_MAX_COST"] == "5000"
    assert "SLOTWISE_REDIS_URL" not in env  # APQ in each process's memory


def test_redis_is_configured_only_when_given() -> None:
    env = plain_env(api_container(render({"redis": {"url": "redis://redis:6379/0", "prefix": "sw-prod"}})))
    assert env["SLOTWISE_REDIS_URL"] == "redis://redis:6379/0"
    assert env["SLOTWISE_REDIS_PREFIX"] == "sw-prod"


def test_persisted_queries_are_registered_by_the_migrate_job_after_migrating() -> None:
    documents = {
        "agenda.graphql": "query Agenda {\n  agenda {\n    id\n  }\n}\n",
        "slots.graphql": "query Slots { slots { id } }",
    }
    objects = render({"graphql": {"persistedQueries": documents}})
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.32", strict=True)

    config_map = objects["ConfigMap/sw-graphql-persisted-queries"]
    assert config_map["data"] == documents  # byte for byte: clients send the hash of the exact text
    # a hook too, created before the Job (ordinary objects only appear after pre-install hooks)
    job = objects["Job/sw-migrate-1"]
    hook = config_map["metadata"]["annotations"]
    assert hook["helm.sh/hook"] == job["metadata"]["annotations"]["helm.sh/hook"]
    assert int(hook["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])

    pod = job["spec"]["template"]["spec"]
    assert [c["command"] for c in pod["initContainers"]] == [["python", "manage.py", "migrate", "--noinput"]]
    [register] = pod["containers"]
    [mount] = register["volumeMounts"]
    assert register["command"] == [
        "python",
        "manage.py",
        "graphql_register",
        f"{mount['mountPath']}/agenda.graphql",
        f"{mount['mountPath']}/slots.graphql",
    ]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mount["name"]]["configMap"]["name"] == "sw-graphql-persisted-queries"


def test_no_persisted_queries_means_no_config_map_and_no_registration() -> None:
    objects = render()
    assert not [name for name in objects if name.startswith("ConfigMap/")]
    pod = objects["Job/sw-migrate-1"]["spec"]["template"]["spec"]
    assert "initContainers" not in pod
    assert [c["name"] for c in pod["containers"]] == ["migrate"]


@pytest.mark.parametrize(
    "values",
    [
        {"graphql": {"persistedOnly": True, "introspecton": False}},
        {"graphql": {"introspection": "false"}},
        {"graphql": {"persistedQueries": {"agenda": "query Agenda { agenda { id } }"}}},
        {"redis": {"url": "redis:6379"}},
        {"env": {"SLOTWISE_GRAPHQL_INTROSPECTION": "true"}},
    ],
    ids=["misspelt-key", "string-flag", "not-a-graphql-file", "not-a-redis-url", "env-overrides-a-switch"],
)
def test_a_wrong_graphql_value_is_refused_by_the_schema(values: dict[str, Any]) -> None:
    with pytest.raises(helm_python.HelmError, match="schema"):
        render(values)


def test_metrics_are_scraped_and_summed_over_the_workers_in_a_writable_directory() -> None:
    deployment = render()["Deployment/sw-api"]
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/path": "/metrics",
        "prometheus.io/port": "8000",
    }
    container = api_container({"Deployment/sw-api": deployment})
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    metrics_dir = plain_env(container)["PROMETHEUS_MULTIPROC_DIR"]
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == metrics_dir]
    assert not mount.get("readOnly", False)
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes[mount["name"]]["emptyDir"] == {}  # empty whenever a pod starts
