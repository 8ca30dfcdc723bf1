"""The Helm chart lints, renders, and renders valid Kubernetes objects that run what we ship."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

CHART = Path(__file__).resolve().parents[2] / "helm" / "slotwise"
# what every install must say (the chart has no default for it)
REQUIRED = {"allowedHosts": ["book.example.com"]}


def render(values: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    chart = helm_python.Chart.load(str(CHART))
    try:
        files = chart.render({**REQUIRED, **(values or {})}, name="sw", namespace="prod", is_install=True)
    finally:
        chart.close()
    objects = {}
    for text in files.values():
        for doc in yaml.safe_load_all(text):
            if doc:
                objects[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return objects


def test_chart_lints_without_errors() -> None:
    result = helm_python.lint(str(CHART), REQUIRED, strict=True)
    assert result["errors"] == []
    assert [m for m in result["messages"] if m["severity"] > 1] == []


PROCESSES = [
    "Deployment/sw-projector-agenda",
    "Deployment/sw-projector-availability",
    "Deployment/sw-projector-reminders",
    "Deployment/sw-dispatcher",
    "Deployment/sw-worker-default",
    "Deployment/sw-beat",
]


def test_every_rendered_object_is_valid_kubernetes() -> None:
    objects = render()
    assert set(objects) == {
        "Deployment/sw-api",
        "Service/sw-api",
        "PodDisruptionBudget/sw-api",
        "Job/sw-migrate-1",
        *PROCESSES,
        "PodDisruptionBudget/sw-worker-default",
    }
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.32", strict=True)


def test_api_runs_gunicorn_with_probes_on_our_health_endpoints() -> None:
    container = render()["Deployment/sw-api"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["gunicorn", "booking.wsgi"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert secret_env(container) == {
        "DATABASE_URL": {"name": "slotwise", "key": "DATABASE_URL"},
        "SLOTWISE_SECRET_KEY": {"name": "slotwise", "key": "SLOTWISE_SECRET_KEY"},
        # without these two Django's settings do not load on a read-only filesystem
        "SLOTWISE_CELERY_BROKER_URL": {"name": "slotwise", "key": "SLOTWISE_CELERY_BROKER_URL"},
        "SLOTWISE_CREDENTIALS_KEY": {"name": "slotwise", "key": "SLOTWISE_CREDENTIALS_KEY"},
        "SLOTWISE_METRICS_TOKEN": {"name": "slotwise", "key": "SLOTWISE_METRICS_TOKEN"},
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


def secret_env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = (e for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {}))
    return {e["name"]: e["valueFrom"]["secretKeyRef"] for e in found}


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


def container_of(objects: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = objects[name]["spec"]["template"]["spec"]["containers"]
    [container] = containers
    return container


def volume_of(deployment: dict[str, Any], container: dict[str, Any], path: str) -> dict[str, Any]:
    """The volume mounted writable at `path` in the container."""
    [mount] = [m for m in container.get("volumeMounts", []) if m["mountPath"] == path]
    assert not mount.get("readOnly", False)
    volumes: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["volumes"]
    [volume] = [v for v in volumes if v["name"] == mount["name"]]
    return volume


def test_every_process_runs_hardened_with_its_own_component_label_and_resources() -> None:
    objects = render()
    for name in PROCESSES:
        deployment = objects[name]
        component = name.removeprefix("Deployment/sw-")
        assert deployment["metadata"]["labels"]["app.kubernetes.io/component"] == component
        assert deployment["spec"]["selector"]["matchLabels"] == {
            "app.kubernetes.io/instance": "sw",
            "app.kubernetes.io/component": component,
        }
        assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == component
        container = container_of(objects, name)
        assert container["securityContext"] == {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
        }
        assert set(container["resources"]) == {"requests", "limits"}
        assert "PROMETHEUS_MULTIPROC_DIR" not in plain_env(container)  # no HTTP, no /metrics


def test_one_projector_per_configured_view() -> None:
    objects = render()
    for view in ["agenda", "availability", "reminders"]:
        container = container_of(objects, f"Deployment/sw-projector-{view}")
        assert container["command"] == ["python", "manage.py", "run_projector", view]
        assert plain_env(container)["SLOTWISE_EVENT_TRANSPORT"] == "log"
    assert objects["Deployment/sw-projector-agenda"]["spec"]["replicas"] == 1

    objects = render({"projectors": {"views": ["agenda"]}})
    assert [name for name in objects if "projector" in name] == ["Deployment/sw-projector-agenda"]


def test_on_kafka_the_relay_publishes_and_projectors_consume_the_topic() -> None:
    assert "Deployment/sw-relay" not in render()  # the log needs no relay

    objects = render({"eventTransport": "kafka", "kafka": {"bootstrap": "kafka:9092"}, "projectors": {"replicas": 3}})
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.32", strict=True)
    relay = container_of(objects, "Deployment/sw-relay")
    assert relay["command"] == ["python", "manage.py", "relay_events"]
    assert objects["Deployment/sw-relay"]["spec"]["replicas"] == 2  # one leads, one stands by
    for name in ["Deployment/sw-relay", "Deployment/sw-projector-agenda"]:
        env = plain_env(container_of(objects, name))
        assert env["SLOTWISE_EVENT_TRANSPORT"] == "kafka"
        assert env["SLOTWISE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["SLOTWISE_KAFKA_TOPIC"] == "slotwise.booking-events.v1"
    assert objects["Deployment/sw-projector-agenda"]["spec"]["replicas"] == 3  # sharing the partitions


def test_the_dispatcher_runs_dispatch_side_effects_once() -> None:
    objects = render()
    assert container_of(objects, "Deployment/sw-dispatcher")["command"] == [
        "python",
        "manage.py",
        "dispatch_side_effects",
    ]
    assert objects["Deployment/sw-dispatcher"]["spec"]["replicas"] == 1


def test_the_worker_consumes_every_queue_one_message_at_a_time_and_shuts_down_warm() -> None:
    objects = render()
    deployment = objects["Deployment/sw-worker-default"]
    container = container_of(objects, "Deployment/sw-worker-default")
    command = container["command"]
    assert command[:4] == ["celery", "-A", "booking.celery", "worker"]
    assert command[command.index("-Q") + 1] == "providers,notifications,webhooks"
    assert command[command.index("--prefetch-multiplier") + 1] == "1"
    assert command[command.index("--concurrency") + 1] == "4"
    assert {"--without-gossip", "--without-mingle"} <= set(command)
    # a hung task is killed before the pod's grace period (and the side-effect lease) runs out
    time_limit = int(command[command.index("--time-limit") + 1])
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert time_limit < grace == 60
    assert "livenessProbe" not in container  # see workerDefaults in values.yaml
    assert volume_of(deployment, container, "/tmp")["emptyDir"]


def test_a_second_worker_pool_renders_its_own_deployment_with_its_queues() -> None:
    objects = render(
        {
            "workers": {
                "default": {"queues": ["providers", "notifications"]},
                "webhooks": {"queues": ["webhooks"], "concurrency": 16, "replicas": 1},
            }
        }
    )
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.32", strict=True)

    def queues(name: str) -> str:
        command = container_of(objects, name)["command"]
        return str(command[command.index("-Q") + 1])

    assert queues("Deployment/sw-worker-default") == "providers,notifications"
    assert queues("Deployment/sw-worker-webhooks") == "webhooks"
    webhooks = objects["Deployment/sw-worker-webhooks"]
    assert webhooks["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "worker-webhooks"
    command = container_of(objects, "Deployment/sw-worker-webhooks")["command"]
    assert command[command.index("--concurrency") + 1] == "16"
    assert command[command.index("--time-limit") + 1] == "55"  # the defaults fill in the rest
    assert objects["Deployment/sw-worker-default"]["spec"]["replicas"] == 2
    # only a pool of more than one pod has a disruption budget
    assert "PodDisruptionBudget/sw-worker-default" in objects
    assert "PodDisruptionBudget/sw-worker-webhooks" not in objects


def test_a_queue_no_pool_consumes_is_refused() -> None:
    with pytest.raises(helm_python.HelmError, match="no worker pool consumes the webhooks queue"):
        render({"workers": {"default": {"queues": ["providers", "notifications"]}}})


def test_a_time_limit_the_grace_period_would_cut_short_is_refused() -> None:
    with pytest.raises(helm_python.HelmError, match="terminationGracePeriodSeconds"):
        render({"workers": {"default": {"queues": ["providers", "notifications", "webhooks"], "timeLimit": 90}}})


def test_beat_is_one_replica_never_two_with_a_writable_schedule() -> None:
    objects = render()
    deployment = objects["Deployment/sw-beat"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # the old one is gone before the new starts
    container = container_of(objects, "Deployment/sw-beat")
    command = container["command"]
    assert command[:4] == ["celery", "-A", "booking.celery", "beat"]
    schedule = command[command.index("--schedule") + 1]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    directory = schedule.rsplit("/", 1)[0]
    assert volume_of(deployment, container, directory)["emptyDir"] is not None


def test_every_process_gets_the_broker_and_credentials_key_from_the_secret() -> None:
    objects = render({"existingSecret": "slotwise-prod"})
    for name in [*PROCESSES, "Deployment/sw-api", "Job/sw-migrate-1"]:
        container = container_of(objects, name)
        secrets = secret_env(container)
        for key in ["SLOTWISE_CELERY_BROKER_URL", "SLOTWISE_CREDENTIALS_KEY", "DATABASE_URL"]:
            assert secrets[key] == {"name": "slotwise-prod", "key": key}, name
            assert key not in plain_env(container), name  # never a literal value


def test_redis_reaches_every_process_when_set() -> None:
    objects = render({"redis": {"url": "redis://redis:6379/2", "prefix": "sw"}})
    for name in [*PROCESSES, "Deployment/sw-api"]:
        env = plain_env(container_of(objects, name))
        assert env["SLOTWISE_REDIS_URL"] == "redis://redis:6379/2", name
        assert env["SLOTWISE_REDIS_PREFIX"] == "sw", name
    assert "SLOTWISE_REDIS_URL" not in plain_env(container_of(render(), "Deployment/sw-worker-default"))


def test_email_goes_over_smtp_with_the_password_from_the_secret() -> None:
    objects = render({"email": {"host": "smtp.example.com", "user": "slotwise", "from": "Bookings <b@example.com>"}})
    container = container_of(objects, "Deployment/sw-worker-default")
    env = plain_env(container)
    assert env["SLOTWISE_EMAIL_HOST"] == "smtp.example.com"
    assert env["SLOTWISE_EMAIL_PORT"] == "587"
    assert env["SLOTWISE_EMAIL_USER"] == "slotwise"
    assert env["SLOTWISE_EMAIL_TLS"] == "true"
    assert env["SLOTWISE_EMAIL_FROM"] == "Bookings <b@example.com>"
    assert "SLOTWISE_EMAIL_BACKEND" not in env  # SMTP, chosen by the host
    assert secret_env(container)["SLOTWISE_EMAIL_PASSWORD"] == {
        "name": "slotwise",
        "key": "SLOTWISE_EMAIL_PASSWORD",
        "optional": True,
    }
    # without a host nothing is written under var/ (read-only): messages go to the log
    env = plain_env(container_of(render(), "Deployment/sw-worker-default"))
    assert env["SLOTWISE_EMAIL_BACKEND"] == "console"
    assert "SLOTWISE_EMAIL_HOST" not in env


def test_oauth_clients_reach_the_api_and_the_workers_with_secrets_from_the_secret() -> None:
    objects = render({"oauth": {"google": {"clientId": "g-123"}, "microsoft": {"clientId": "m-456"}}})
    for name in ["Deployment/sw-api", "Deployment/sw-worker-default"]:
        container = container_of(objects, name)
        env = plain_env(container)
        assert env["SLOTWISE_GOOGLE_CLIENT_ID"] == "g-123"
        assert env["SLOTWISE_MICROSOFT_CLIENT_ID"] == "m-456"
        secrets = secret_env(container)
        for key in ["SLOTWISE_GOOGLE_CLIENT_SECRET", "SLOTWISE_MICROSOFT_CLIENT_SECRET"]:
            assert secrets[key] == {"name": "slotwise", "key": key, "optional": True}
    # a provider without a client id is not offered, so nothing of it is set
    names = {e["name"] for e in container_of(render(), "Deployment/sw-api")["env"]}
    assert not {name for name in names if "GOOGLE" in name or "MICROSOFT" in name}


@pytest.mark.parametrize(
    "values",
    [
        {"beat": {"replicas": 2}},
        {"workers": {"default": {"queues": ["providers", "notifications", "webhooks", "emails"]}}},
        {"workers": {"default": {"queues": ["providers", "notifications", "webhooks"], "prefetch": 4}}},
        {"workers": {"Web_Hooks": {"queues": ["webhooks"]}}},
        {"projectors": {"views": ["agenda", "agnda"]}},
        {"eventTransport": "kafka"},
        {"email": {"host": "smtp.example.com", "tls": True, "ssl": True}},
        {"env": {"SLOTWISE_CELERY_BROKER_URL": "redis://:password@redis:6379/1"}},
        {"env": {"SLOTWISE_CREDENTIALS_KEY": "a-literal-key"}},
    ],
    ids=[
        "two-beats",
        "unknown-queue",
        "misspelt-pool-key",
        "pool-name-not-a-dns-label",
        "unknown-view",
        "kafka-without-bootstrap",
        "tls-and-ssl",
        "broker-url-as-a-literal",
        "credentials-key-as-a-literal",
    ],
)
def test_a_wrong_process_value_is_refused_by_the_schema(values: dict[str, Any]) -> None:
    with pytest.raises(helm_python.HelmError, match="schema"):
        render(values)


def test_the_metrics_token_comes_from_the_secret_for_the_api_only() -> None:
    # given the chart rendered with its defaults
    objects = render()
    # then the API gets the token from the Secret, required (no pod serves /metrics without it)
    token = secret_env(api_container(objects))["SLOTWISE_METRICS_TOKEN"]
    assert token == {"name": "slotwise", "key": "SLOTWISE_METRICS_TOKEN"}
    # and no process without an HTTP port holds it
    for name in PROCESSES:
        assert "SLOTWISE_METRICS_TOKEN" not in {e["name"] for e in container_of(objects, name)["env"]}


def test_without_allowed_hosts_the_chart_refuses_to_render() -> None:
    # given no allowedHosts (the chart's own default), when rendered, then the schema refuses it
    chart = helm_python.Chart.load(str(CHART))
    try:
        with pytest.raises(helm_python.HelmError, match="at '/allowedHosts'"):
            chart.render(None, name="sw", namespace="prod", is_install=True)
    finally:
        chart.close()


@pytest.mark.parametrize("hosts", [[], ["*"], ["*.example.com"], ["book.example.com", "*"], [""], ["a b.example"]])
def test_a_wildcard_or_empty_allowed_host_is_refused(hosts: list[str]) -> None:
    with pytest.raises(helm_python.HelmError, match="at '/allowedHosts"):
        render({"allowedHosts": hosts})


@pytest.mark.parametrize("name", ["SLOTWISE_ALLOWED_HOSTS", "SLOTWISE_METRICS_TOKEN", "SLOTWISE_POD_IP"])
def test_the_hosts_and_the_metrics_token_cannot_be_set_through_env(name: str) -> None:
    with pytest.raises(helm_python.HelmError, match=f"invalid propertyName '{name}'"):
        render({"env": {name: "*"}})


def test_the_api_answers_its_public_names_and_its_pod_ip_only() -> None:
    # given two public names, one of them with its subdomains
    container = api_container(render({"allowedHosts": [".example.com", "api.example.org"]}))
    env = {e["name"]: e for e in container["env"]}
    # then Django is told exactly those, and the pod's IP for Prometheus (defined before it is used)
    assert env["SLOTWISE_ALLOWED_HOSTS"]["value"] == ".example.com,api.example.org,$(SLOTWISE_POD_IP)"
    assert env["SLOTWISE_POD_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    names = [e["name"] for e in container["env"]]
    assert names.index("SLOTWISE_POD_IP") < names.index("SLOTWISE_ALLOWED_HOSTS")
    assert "*" not in env["SLOTWISE_ALLOWED_HOSTS"]["value"]


def test_the_probes_send_an_allowed_host_header() -> None:
    # given a first allowed host that takes in subdomains
    container = api_container(render({"allowedHosts": [".example.com", "api.example.org"]}))
    # then each probe names the bare domain, which Django's ".example.com" entry answers
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": "example.com"}]
