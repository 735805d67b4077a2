"""Rendering: every combination renders cleanly and passes the generated project's own
quality gates (ruff, ruff format, mypy --strict, import-linter), plus static checks of
its container, compose and CI files."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.combinations import CODE_DRIVING_QUESTIONS, COMBINATIONS, NOT_RUNNABLE_HERE, combination_params
from tests.delivery import assert_delivery_is_valid_and_hardened
from tests.helpers import (
    QUESTIONS,
    TEMPLATE_ROOT,
    Combination,
    answers,
    choice_values,
    jinja_leftovers,
    render,
    run,
)

SyncedProject = Callable[[Combination], Path]


def test_every_choice_of_every_code_driving_question_is_rendered(tmp_path: Path) -> None:
    assert any(not combination.data for combination in COMBINATIONS), "one combination is the plain defaults"
    # The answers as Copier recorded them, computed defaults included.
    recorded = [answers(render(tmp_path / c.name, c.data)) for c in COMBINATIONS]
    for question in CODE_DRIVING_QUESTIONS:
        spec = QUESTIONS[question]
        choices = choice_values(spec)
        # A question skipped by its `when:` (read replicas for SQLite) is not recorded.
        rendered = {answer[question] for answer in recorded if question in answer}
        missing = [c for c in choices if c not in rendered and c not in NOT_RUNNABLE_HERE.get(question, ())]
        assert not missing, f"no combination renders {question}={missing}"


@pytest.mark.parametrize("combination", combination_params())
def test_no_jinja_is_left_in_any_file(combination: Combination, synced_project: SyncedProject) -> None:
    assert jinja_leftovers(synced_project(combination)) == []


@pytest.mark.parametrize("combination", combination_params())
@pytest.mark.parametrize(
    "command",
    [
        ["uv", "run", "ruff", "check", "."],
        ["uv", "run", "ruff", "format", "--check", "."],
        ["uv", "run", "mypy"],
        ["uv", "run", "lint-imports"],
    ],
    ids=["ruff", "ruff-format", "mypy-strict", "import-contracts"],
)
def test_generated_code_passes_its_quality_gates(
    combination: Combination, command: list[str], synced_project: SyncedProject
) -> None:
    run(command, synced_project(combination))


@pytest.mark.parametrize("combination", combination_params())
def test_ci_pipeline_is_valid_and_hardened(combination: Combination, synced_project: SyncedProject) -> None:
    project = synced_project(combination)
    if answers(project)["repository_host"] == "other":
        # No vendor's CI file: the README tells the host's CI to run `make ci`.
        assert not (project / ".github").exists()
        assert not (project / ".gitlab-ci.yml").exists()
        ci = run(["make", "--dry-run", "ci"], project).stdout
        assert ci.splitlines()[0] == "uv sync --locked", "CI must fail on a missing or stale uv.lock"
        assert "make lint typecheck test" in ci
        assert "`make ci`" in (project / "README.md").read_text()
        return
    if answers(project)["repository_host"] == "gitlab":
        assert not (project / ".github").exists()
        pipeline_path = project / ".gitlab-ci.yml"
        run(["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(pipeline_path)], TEMPLATE_ROOT)
        pipeline = yaml.safe_load(pipeline_path.read_text())
        images = [pipeline["check"]["image"], *(s["name"] for s in pipeline["check"].get("services", []))]
        for image in images:
            assert re.search(r":\d+(\.\d+)+", image), f"image not pinned to a version: {image}"
        assert pipeline["check"]["script"][-1] == "make test"
        assert "uv sync --locked" in pipeline["check"]["script"], "CI must fail on a missing or stale uv.lock"
        assert_delivery_is_valid_and_hardened(project)
        return
    assert not (project / ".gitlab-ci.yml").exists()
    workflow_path = project / ".github" / "workflows" / "ci.yml"
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, workflows)],
        TEMPLATE_ROOT,
    )
    workflow = yaml.safe_load(workflow_path.read_text())
    assert workflow["permissions"] == {"contents": "read"}
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), f"unpinned: {step['uses']}"
    assert any(step.get("run") == "make test" for step in steps)
    assert any(step.get("run") == "uv sync --locked" for step in steps), "CI must fail on a stale uv.lock"
    assert_delivery_is_valid_and_hardened(project)


@pytest.mark.parametrize("combination", combination_params())
def test_dockerfile_passes_hadolint_and_runs_as_non_root(
    combination: Combination, synced_project: SyncedProject
) -> None:
    project = synced_project(combination)
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is installed with the template's dev dependencies"
    run([hadolint, "--failure-threshold", "warning", "Dockerfile"], project)
    dockerfile = (project / "Dockerfile").read_text()
    assert dockerfile.count("\nFROM ") + dockerfile.startswith("FROM ") >= 2, "multi-stage build"
    assert re.search(r"^USER app$", dockerfile, re.MULTILINE)
    assert f'CMD ["python", "-m", "{answers(project)["package_name"]}"]' in dockerfile


@pytest.mark.parametrize("combination", combination_params())
def test_compose_file_describes_the_app_and_its_database(
    combination: Combination, synced_project: SyncedProject
) -> None:
    # No Docker engine or Compose plugin here: the Compose Specification's schema, then its meaning.
    project = synced_project(combination)
    run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"], project)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    services = compose["services"]
    recorded = answers(project)
    package = recorded["package_name"]
    assert services["app"]["build"] == services["migrate"]["build"] == "."
    assert services["app"]["image"] == services["migrate"]["image"], "one image runs both"
    assert services["app"]["environment"] == services["migrate"]["environment"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert all(port.startswith("127.0.0.1:") for port in published), "publish on loopback only"
    # The one-shot migration: the image's CMD with `migrate` (what tests/test_image.py runs).
    assert services["migrate"]["command"] == ["python", "-m", package, "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert "ports" not in services["migrate"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["app"]["restart"] == "unless-stopped"
    assert "/health/ready" in " ".join(services["app"]["healthcheck"]["test"])
    watched = {rule["path"]: rule["action"] for rule in services["app"]["develop"]["watch"]}
    assert watched == {"src/": "rebuild", "uv.lock": "rebuild", "pyproject.toml": "rebuild"}
    # What `docker compose up` starts has no profile; optional parts have one of their own.
    assert not [name for name in ("migrate", "app", "db") if "profiles" in services.get(name, {})]
    assert ("proxy" in services) == (recorded["deployment"] == "compose")
    if "proxy" in services:
        assert services["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"
    if recorded["database"] == "sqlite":
        assert "db" not in services
        assert services["app"]["volumes"] == services["migrate"]["volumes"], "one database file"
    else:
        for dependent in ("app", "migrate"):
            assert services[dependent]["depends_on"]["db"]["condition"] == "service_healthy"
        assert "healthcheck" in services["db"]
        assert services["db"]["restart"] == "unless-stopped"
    if recorded["deployment"] == "compose" and recorded["backup_strategy"] == "scheduled_dumps":
        assert services["backup"]["profiles"] == ["backup"], "the scheduled dumps run only when asked for"
        assert {"./backups:/backups"} <= set(services["backup"]["volumes"])
    else:
        assert "backup" not in services


@pytest.mark.parametrize("combination", combination_params())
def test_no_secret_is_tracked(combination: Combination, synced_project: SyncedProject) -> None:
    project = synced_project(combination)
    assert not (project / ".env").exists()
    assert ".env" in (project / ".gitignore").read_text().splitlines()
    assert "SECRET_KEY=change-me" in (project / ".env.example").read_text()
