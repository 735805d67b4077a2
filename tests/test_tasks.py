"""The post-copy tasks (with --trust): .env with fresh secrets, uv lock, first commit.
And without --trust, a complete project all the same."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from copier import run_copy

from tests.helpers import TEMPLATE_ROOT, project_env, render, run, template_snapshot

HOOK = TEMPLATE_ROOT / "hooks" / "post_generate.py"


def _git(project: Path, *args: str) -> str:
    return run(["git", *args], project).stdout.strip()


def _hook(project: Path, operation: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(HOOK),
            "--operation",
            operation,
            "--author-name",
            "T",
            "--author-email",
            "t@example.com",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(),
        check=False,
    )


@pytest.fixture(scope="module")
def trusted_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("trusted") / "project", {}, trust=True)


def test_env_file_has_a_fresh_secret_and_is_private(trusted_project: Path) -> None:
    env = dict(
        line.split("=", 1)
        for line in (trusted_project / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )

    assert env["SECRET_KEY"] != "change-me"  # noqa: S105 — the placeholder, which must be replaced
    assert len(env["SECRET_KEY"]) >= 48
    assert stat.S_IMODE((trusted_project / ".env").stat().st_mode) == 0o600


def test_secrets_differ_between_projects(trusted_project: Path, tmp_path: Path) -> None:
    other = render(tmp_path / "other", {}, trust=True)

    assert (other / ".env").read_text() != (trusted_project / ".env").read_text()


def test_dependencies_are_locked(trusted_project: Path) -> None:
    assert 'name = "fastapi"' in (trusted_project / "uv.lock").read_text()


def test_first_commit_holds_everything_but_the_secrets(trusted_project: Path) -> None:
    assert _git(trusted_project, "rev-list", "--count", "HEAD") == "1"
    assert _git(trusted_project, "status", "--porcelain") == ""
    tracked = _git(trusted_project, "ls-files").splitlines()
    assert "uv.lock" in tracked
    assert ".copier-answers.yml" in tracked
    assert ".env" not in tracked


def test_tasks_are_idempotent(trusted_project: Path) -> None:
    env_before = (trusted_project / ".env").read_text()

    result = _hook(trusted_project, "copy")

    assert result.returncode == 0, result.stderr
    assert ".env exists: left unchanged" in result.stdout
    assert "already has commits" in result.stdout
    assert (trusted_project / ".env").read_text() == env_before
    assert _git(trusted_project, "rev-list", "--count", "HEAD") == "1"


def test_update_does_not_commit(trusted_project: Path) -> None:
    result = _hook(trusted_project, "update")

    assert result.returncode == 0, result.stderr
    assert "[git]" not in result.stdout
    assert _git(trusted_project, "rev-list", "--count", "HEAD") == "1"


def test_a_failing_task_explains_itself_without_a_traceback(tmp_path: Path) -> None:
    result = _hook(tmp_path, "copy")

    assert result.returncode == 1
    assert "preflight [secrets] failed: .env.example is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_trust_no_task_runs_and_the_project_is_complete(tmp_path: Path) -> None:
    project = render(tmp_path / "project", {})

    assert not (project / ".env").exists()
    assert not (project / "uv.lock").exists()
    assert not (project / ".git").exists()
    for needed in ("pyproject.toml", ".env.example", "Makefile", "README.md", "docs/decisions/README.md"):
        assert (project / needed).is_file(), needed


def test_tasks_do_nothing_in_copiers_scratch_renders(trusted_project: Path, tmp_path: Path) -> None:
    """`copier update` runs the tasks in its temporary renders too: they must not act there."""
    scratch = tmp_path / "copier._main.new_copy.abc123"
    scratch.mkdir()
    shutil.copy(trusted_project / ".env.example", scratch / ".env.example")
    shutil.copy(trusted_project / "pyproject.toml", scratch / "pyproject.toml")

    result = _hook(scratch, "update")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert sorted(path.name for path in scratch.iterdir()) == [".env.example", "pyproject.toml"]


def _template_repository(tmp_path: Path) -> Path:
    return template_snapshot(tmp_path / "template")


def _commit(repository: Path, message: str) -> None:
    _git(
        repository,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e.x",
        "commit",
        "--quiet",
        "--allow-empty",
        "-am",
        message,
    )


def test_update_runs_the_tasks_once_and_moves_env_to_the_new_database(tmp_path: Path) -> None:
    template = _template_repository(tmp_path)
    project = tmp_path / "project"
    run_copy(str(template), str(project), defaults=True, unsafe=True, quiet=True)
    env_before = dict(
        line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line
    )
    _commit(template, "v2")

    result = run(
        [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "-d", "database=mysql"],
        project,
    )

    output = result.stdout + result.stderr
    assert output.count("preflight [lock]") == 1, output
    assert "fresh SECRET_KEY" not in output
    assert "only its DATABASE_URL changed" in output
    env_after = dict(
        line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line
    )
    assert env_after["DATABASE_URL"].startswith("mysql+asyncmy://")
    assert env_before["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert {k: v for k, v in env_after.items() if k != "DATABASE_URL"} == {
        k: v for k, v in env_before.items() if k != "DATABASE_URL"
    }
    assert 'name = "asyncmy"' in (project / "uv.lock").read_text()


def test_without_the_pinned_python_the_lock_is_skipped_with_the_reason_and_the_project_kept(
    tmp_path: Path,
) -> None:
    """Python 3.14 is offered but is not on this machine; uv may not download it (as here)."""
    project = render(tmp_path / "project", {"python_version": "3.14"})
    assert subprocess.run(["uv", "python", "find", "3.14"], capture_output=True, check=False).returncode != 0

    result = subprocess.run(
        [sys.executable, str(HOOK), "--operation", "copy", "--author-name=T", "--author-email=t@example.com"],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(UV_PYTHON_DOWNLOADS="never"),
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "preflight [lock]: Python 3.14 not found and uv could not download it: skipped `uv lock`" in (
        result.stdout
    )
    assert "then run `make lock` and commit uv.lock" in result.stdout
    assert not (project / "uv.lock").exists()
    assert _git(project, "rev-list", "--count", "HEAD") == "1", "the first commit is still made"
