"""The scheduled template-update check of generated projects: `make check-update` against a
real template repository with releases, and the CI files that run it on a schedule."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from copier import run_copy, run_update

from tests.helpers import TEMPLATE_ROOT, project_env, render, run, template_snapshot

_IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@e.x")
PINNED_ACTION = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}")


def _git(repository: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repository), *_IDENTITY, *args], check=True, capture_output=True)


def _check_update(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "check-update"],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(),
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def released_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This template as it is now, committed and tagged v1 (the next release is made by the test)."""
    template = template_snapshot(tmp_path_factory.mktemp("released") / "template")
    _git(template, "tag", "v1")
    return template


def test_check_update_fails_while_a_newer_release_exists_and_passes_once_updated(
    released_template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    run_copy(str(released_template), str(project), defaults=True, skip_tasks=True, quiet=True, vcs_ref="v1")
    _git(project, "init", "-q")
    _git(project, "add", "--all")
    _git(project, "commit", "-qm", "generated at v1")

    up_to_date = _check_update(project)
    assert up_to_date.returncode == 0, up_to_date.stdout + up_to_date.stderr

    (released_template / "CHANGELOG-next.md").write_text("A newer release.\n")
    _git(released_template, "add", "--all")
    _git(released_template, "commit", "-qm", "release 2")
    _git(released_template, "tag", "v2")

    behind = _check_update(project)
    assert behind.returncode != 0, behind.stdout + behind.stderr
    assert "check-update] Error 2" in behind.stderr, "Copier's exit code for a newer release"
    assert "Current version is 1, latest version is 2." in behind.stdout
    assert "docs/updating.md" in behind.stdout

    run_update(str(project), defaults=True, overwrite=True, quiet=True, unsafe=True, skip_tasks=True)
    _git(project, "add", "--all")
    _git(project, "commit", "-qm", "update to v2")

    updated = _check_update(project)
    assert updated.returncode == 0, updated.stdout + updated.stderr


def test_the_github_workflow_runs_the_check_on_a_schedule_with_least_privilege(tmp_path: Path) -> None:
    project = render(tmp_path / "project", {})
    path = project / ".github" / "workflows" / "template-update.yml"
    run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)], TEMPLATE_ROOT)
    workflow = yaml.safe_load(path.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true

    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert triggers["schedule"][0]["cron"]
    assert workflow["permissions"] == {"contents": "read"}
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert all(PINNED_ACTION.fullmatch(step["uses"]) for step in steps if "uses" in step)
    assert [step["run"] for step in steps if "run" in step] == ["make check-update"]


def test_the_gitlab_job_runs_only_in_scheduled_pipelines(tmp_path: Path) -> None:
    project = render(tmp_path / "project", {"repository_host": "gitlab"})
    path = project / ".gitlab-ci.yml"
    run(["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(path)], TEMPLATE_ROOT)
    job = yaml.safe_load(path.read_text())["template-update"]

    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert job["script"] == ["make check-update"]
    assert re.search(r":\d+(\.\d+)+-python3\.\d+-", job["image"]), job["image"]


@pytest.mark.parametrize("data", [{"scheduled_update_check": False}, {"repository_host": "other"}])
def test_no_scheduled_check_when_not_wanted_or_no_ci_is_generated(
    tmp_path: Path, data: dict[str, object]
) -> None:
    project = render(tmp_path / "project", data)

    assert not (project / ".github" / "workflows" / "template-update.yml").exists()
    assert "check-update:" in (project / "Makefile").read_text(), "the verb is there to call by hand"
