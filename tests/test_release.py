"""`make release` and `make tags` (scripts/release.py), run in a throwaway clone of this repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.release import has_commit, released
from tests.helpers import TEMPLATE_ROOT, project_env

IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@e.x",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@e.x",
}


def _git(repository: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=repository,
        env=project_env(**IDENTITY),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _release(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/release.py", *args],
        cwd=repository,
        env=project_env(**IDENTITY),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """This repository's history with the working tree committed on top, and no tags."""
    repository = tmp_path / "preflight"
    subprocess.run(["git", "clone", "--quiet", "--no-tags", str(TEMPLATE_ROOT), str(repository)], check=True)
    for tag in _git(repository, "tag").split():
        _git(repository, "tag", "-d", tag)
    files = _git(TEMPLATE_ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, files.split("\0")):
        if (TEMPLATE_ROOT / name).is_file():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE_ROOT / name, repository / name)
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "--allow-empty", "-m", "the working tree")
    return repository


def _add_entry(repository: Path, version: str) -> None:
    changelog = repository / "CHANGELOG.md"
    head, _, rest = changelog.read_text().partition("\n## ")
    changelog.write_text(f"{head}\n## {version} — unreleased\n\nWhat a project gains.\n\n## {rest}")
    _git(repository, "commit", "--quiet", "-am", f"Changelog for {version}")


def test_every_recorded_release_is_a_commit_of_main() -> None:
    recorded = released()
    assert [entry.version for entry in recorded][:3] == ["0.1.0", "0.2.0", "0.3.0"]
    for entry in recorded:
        assert entry.commit is not None
        if not has_commit(TEMPLATE_ROOT, entry.commit):
            pytest.fail(
                f"release {entry.version}'s commit {entry.commit} is not in this clone's history "
                "(a shallow clone? run: git fetch --unshallow)"
            )
        ancestor = subprocess.run(
            ["git", "merge-base", "--is-ancestor", entry.commit, "HEAD"], cwd=TEMPLATE_ROOT, check=False
        )
        assert ancestor.returncode == 0, f"{entry.version}'s commit is not an ancestor of HEAD"


def test_tags_recreates_every_recorded_release_on_its_commit(clone: Path) -> None:
    result = _release(clone, "tags")

    assert result.returncode == 0, result.stderr
    for entry in released(clone):
        assert _git(clone, "rev-list", "-n", "1", f"v{entry.version}") == entry.commit
        assert _git(clone, "cat-file", "-t", f"v{entry.version}") == "tag"  # annotated
    again = _release(clone, "tags")
    assert again.returncode == 0
    assert "already at" in again.stdout


def test_tags_refuses_a_tag_on_another_commit(clone: Path) -> None:
    _git(clone, "tag", "v0.1.0", "HEAD")

    result = _release(clone, "tags")

    assert result.returncode == 1
    assert "tag v0.1.0 points at" in result.stderr


def test_release_refuses_a_dirty_tree(clone: Path) -> None:
    _add_entry(clone, "99.0.0")
    (clone / "README.md").write_text("edited\n")

    result = _release(clone, "release", "99.0.0")

    assert result.returncode == 1
    assert "uncommitted changes" in result.stderr
    assert _git(clone, "tag") == ""


def test_release_refuses_a_version_without_a_changelog_entry(clone: Path) -> None:
    result = _release(clone, "release", "99.0.0")

    assert result.returncode == 1
    assert "CHANGELOG.md has no entry for 99.0.0" in result.stderr
    assert _git(clone, "tag") == ""


def test_release_refuses_a_version_not_above_the_released_ones(clone: Path) -> None:
    _add_entry(clone, "0.2.5")

    result = _release(clone, "release", "0.2.5")

    assert result.returncode == 1
    assert "0.2.5 is not above the releases already made: 0.3.0" in result.stderr
    assert _git(clone, "tag") == ""


def test_release_refuses_a_version_below_an_existing_tag(clone: Path) -> None:
    _add_entry(clone, "99.0.0")
    _git(clone, "tag", "v99.1.0")

    result = _release(clone, "release", "99.0.0")

    assert result.returncode == 1
    assert "not above the releases already made: 99.1.0" in result.stderr


def test_release_bumps_tags_and_records_the_commit(clone: Path) -> None:
    _add_entry(clone, "99.0.0")

    result = _release(clone, "release", "99.0.0")

    assert result.returncode == 0, result.stderr
    tagged = _git(clone, "rev-list", "-n", "1", "v99.0.0")
    assert _git(clone, "show", f"{tagged}:pyproject.toml").count('version = "99.0.0"') == 1
    assert 'name = "preflight-template"\nversion = "99.0.0"' in _git(clone, "show", f"{tagged}:uv.lock")
    assert _git(clone, "log", "-1", "--format=%s", tagged) == "Release 99.0.0"
    assert "What a project gains." in _git(clone, "tag", "-l", "--format=%(contents)", "v99.0.0")
    newest = released(clone)[-1]
    assert (newest.version, newest.commit) == ("99.0.0", tagged)
    assert _git(clone, "status", "--porcelain") == ""
    assert _release(clone, "release", "99.0.0").returncode == 1  # released already
