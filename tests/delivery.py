"""Checks of a render's delivery pipeline (.github/workflows/delivery.yml or .gitlab/delivery.yml).

Shared by tests/test_rendering.py (every combination) and tests/test_kubernetes.py (the
Kubernetes render on GitLab, which no combination has). The pipeline must validate against
its published schema, build the image once tagged with the commit SHA, scan it before the
push, push with the only write permission it has, deploy to staging when there is one, and
reach production only through a manual step, with the chosen target's deploy command.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import TEMPLATE_ROOT, answers, run

PINNED_ACTION = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}")
PINNED_IMAGE = re.compile(r"[\w./-]+:\d+(\.\d+)+(-[\w.]+)?")
DEPLOY_COMMANDS = {
    "kubernetes": 'sh k8s/deploy.sh {environment} "$IMAGE"',
    # Pull, migrate with the new image, then recreate the service.
    "compose": "docker compose pull && docker compose run --rm app",
    # No command the template could know: the step fails, saying what to write.
    "paas": "exit 1",
}


def environments(recorded: dict[str, Any]) -> list[str]:
    return ["staging", "production"] if recorded["staging_environment"] else ["production"]


OPERATIONS_SECTIONS = [
    "Deploy",
    "Roll back",
    "Scale out",
    "Rotate secrets",
    "Read logs and metrics",
    "Back up and restore",
]


def assert_delivery_is_valid_and_hardened(project: Path) -> None:
    recorded = answers(project)
    if recorded["repository_host"] == "gitlab":
        assert_gitlab_delivery(project, recorded)
    elif recorded["repository_host"] == "github":
        assert_github_delivery(project, recorded)
    else:  # no vendor pipeline: the operations doc says how to deliver by hand
        assert not (project / ".github").exists()
        assert not (project / ".gitlab").exists()
        assert "No delivery pipeline is generated" in (project / "docs" / "operations.md").read_text()
    assert_operations_doc_matches(project, recorded)


def assert_operations_doc_matches(project: Path, recorded: dict[str, Any]) -> None:
    """docs/operations.md has its sections, and deploys the way the pipeline does."""
    operations = (project / "docs" / "operations.md").read_text()
    assert re.findall(r"^## (.+)$", operations, re.MULTILINE) == OPERATIONS_SECTIONS
    pipeline = {
        "gitlab": project / ".gitlab" / "delivery.yml",
        "github": project / ".github" / "workflows" / "delivery.yml",
    }.get(recorded["repository_host"])
    if recorded["deployment"] == "kubernetes":
        assert "sh k8s/deploy.sh production " in operations
    elif recorded["deployment"] == "compose":
        # The same command on the host, with the image named for a person instead of "$IMAGE".
        deploy_section = operations.split("## Roll back")[0]
        (documented,) = re.findall(r'^ssh DEPLOY_HOST "(.+)"$', deploy_section, re.MULTILINE)
        if pipeline is not None:
            assert re.sub(r"IMAGE='[^']+'", "IMAGE='$IMAGE'", documented) in pipeline.read_text()
    else:
        assert "fails and says so" in operations


def assert_github_delivery(project: Path, recorded: dict[str, Any]) -> None:
    path = project / ".github" / "workflows" / "delivery.yml"
    run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)], TEMPLATE_ROOT)
    workflow = yaml.safe_load(path.read_text())
    # PyYAML reads the key `on` as True.
    trigger = {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}
    assert workflow[True]["workflow_run"] == trigger
    assert workflow["permissions"] == {}, "nothing by default; each job asks"
    jobs = workflow["jobs"]
    assert list(jobs) == ["image", *environments(recorded)]
    assert "conclusion == 'success'" in jobs["image"]["if"], "only after CI passed"
    for name, job in jobs.items():
        expected = {"contents": "read", "packages": "write"} if name == "image" else {"contents": "read"}
        assert job["permissions"] == expected, f"{name}: least privilege"
        for step in job["steps"]:
            if "uses" in step:
                assert PINNED_ACTION.fullmatch(step["uses"]), f"unpinned: {step['uses']}"
                if step["uses"].startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
    image_steps = jobs["image"]["steps"]
    runs = [step.get("run", "") for step in image_steps]
    uses = [step.get("uses", "") for step in image_steps]
    named = [s for s in image_steps if "head_sha" in str(s.get("env")) and "$SHA" in s.get("run", "")]
    assert named, "the image's tag is the commit SHA"
    build = next(i for i, command in enumerate(runs) if "docker buildx build" in command)
    scan = next(i for i, action in enumerate(uses) if action.startswith("aquasecurity/trivy-action@"))
    push = next(i for i, command in enumerate(runs) if "docker push" in command)
    assert build < scan < push, "the image is scanned before it is pushed"
    assert image_steps[scan]["with"]["exit-code"] == "1", "a finding fails the delivery"
    for environment in environments(recorded):
        job = jobs[environment]
        assert job["environment"] == environment
        after_staging = environment == "production" and "staging" in jobs
        assert job["needs"] == (["image", "staging"] if after_staging else ["image"])
        command = DEPLOY_COMMANDS[recorded["deployment"]].format(environment=environment)
        assert any(command in step.get("run", "") for step in job["steps"]), f"{environment}: {command}"


def assert_gitlab_delivery(project: Path, recorded: dict[str, Any]) -> None:
    main = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert {"local": ".gitlab/delivery.yml"} in main["include"]
    path = project / ".gitlab" / "delivery.yml"
    run(["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(path)], TEMPLATE_ROOT)
    pipeline = yaml.safe_load(path.read_text())
    assert pipeline["stages"] == ["test", "image", *environments(recorded)]
    assert pipeline["variables"]["IMAGE"] == "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
    build = pipeline["image-build"]
    script = build["script"]
    images = [build["image"], *(service["name"] for service in build["services"])]
    scan = next(i for i, line in enumerate(script) if "aquasec/trivy:" in line)
    images.append(re.search(r"aquasec/trivy:\S+", script[scan]).group())  # type: ignore[union-attr]
    push = next(i for i, line in enumerate(script) if line.startswith("docker push"))
    assert script[0].startswith("docker build")
    assert scan < push, "the image is scanned before it is pushed"
    assert "--exit-code 1" in script[scan]
    previous = "image-build"
    for environment in environments(recorded):
        job = pipeline[f"deploy-{environment}"]
        images.append(job["image"])
        assert job["environment"] == environment
        assert job["needs"] == [previous]
        manual = [rule.get("when") == "manual" for rule in job["rules"]]
        assert manual == [environment == "production"], f"{environment}: only production waits for a person"
        command = DEPLOY_COMMANDS[recorded["deployment"]].format(environment=environment)
        assert any(command in line for line in job["script"]), f"{environment}: {command}"
        previous = f"deploy-{environment}"
    for image in images:
        assert PINNED_IMAGE.fullmatch(image), f"image not pinned to a version: {image}"
