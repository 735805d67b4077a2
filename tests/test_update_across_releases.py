"""`copier update` across the template's real releases, with a team's work in the project.

A throwaway template repository is built from the release commits CHANGELOG.md records
(`git archive` of each, committed and tagged `vX.Y.Z`), with this working tree as the
newest version. A project is generated at an older release, the team's edits are made
(tests/team_edits.py: an `orders` feature with its migration, wiring in files the
template changes later, a setting, import-linter contracts, `uv add httpx`, a README
note) and committed, and the project is updated to the newest version. Then:

- conflicts are exactly the ones docs/updating.md lists for that release pair, and the
  resolution it gives works;
- every line the team wrote is still there;
- the project equals a fresh render of the newest version with the same answers, except
  for the team's lines;
- the project's own gates pass (the whole `make check` once per flavor).

Two of the updates also change an answer (database, read replicas): the fresh render they
are compared with has the new answer, so the update must add what that answer brings.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.release import has_commit, released
from tests import team_edits
from tests.helpers import TEMPLATE_ROOT, run

pytestmark = pytest.mark.slow

NEWEST = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text())["project"]["version"]

# What an updated project may differ in from a fresh render, besides the team's lines:
# the lock file (re-locked after the update), secrets and local state.
IGNORED_PARTS = {".git", ".venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "htmlcov"}
IGNORED_NAMES = {"uv.lock", ".env", ".coverage"}


@dataclass(frozen=True)
class Pair:
    framework: str
    start: str  # the release the project is generated at
    full_suite: bool = False
    changed: dict[str, Any] = field(default_factory=dict)  # answers changed on update
    adds: tuple[str, ...] = ()  # files the changed answer brings

    @property
    def id(self) -> str:
        changed = "".join(f"-{key}={value}" for key, value in self.changed.items())
        return f"{self.framework}-{self.start}{changed}"


PAIRS = [
    # The first release of each flavor, with its whole suite run after the update.
    Pair("fastapi", "0.1.0", full_suite=True),
    Pair("django", "0.2.0", full_suite=True),
    # The previous release, with an answer changed on the way.
    Pair("fastapi", "0.3.0", changed={"database": "mysql"}),
    Pair(
        "django",
        "0.3.0",
        changed={"read_replicas": True},
        adds=("src/preflight_service/core/db_routers.py", "tests/core/test_db_routers.py"),
    ),
]

# Files an update leaves with conflict markers, by release pair; docs/updating.md lists
# the same ones under "Expected conflicts", with how to resolve them.
EXPECTED_CONFLICTS: dict[str, set[str]] = {
    "fastapi-0.1.0": {
        ".env.example",
        "pyproject.toml",
        "src/preflight_service/main.py",
        "src/preflight_service/migrations/env.py",
    },
    "django-0.2.0": {".env.example", "pyproject.toml"},
    "fastapi-0.3.0-database=mysql": {"pyproject.toml"},
    "django-0.3.0-read_replicas=True": {"pyproject.toml"},
}

# Updates that delete uv.lock: the tasks of 0.1.0 and 0.2.0 ran `uv lock` in Copier's
# scratch render of the old release too, so that render has a uv.lock the new one has
# not, and Copier applies the deletion. docs/updating.md says to run `uv lock`.
LOSES_THE_LOCK = {"fastapi-0.1.0", "django-0.2.0"}


def _git(repository: Path, *args: str) -> str:
    return run(["git", "-c", "user.name=t", "-c", "user.email=t@e.x", *args], repository).stdout.strip()


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository with every recorded release tagged, and this tree as the newest."""
    repository = tmp_path_factory.mktemp("releases") / "preflight"
    repository.mkdir()
    _git(repository, "init", "--quiet", "--initial-branch=main")
    for entry in released():
        assert entry.commit is not None
        if entry.version == NEWEST:
            continue  # released already: the working tree stands for it
        if not has_commit(TEMPLATE_ROOT, entry.commit):
            pytest.fail(
                f"release {entry.version}'s commit {entry.commit} is not in this clone's history; "
                "the cross-release update tests need it (a shallow clone? run: git fetch --unshallow)"
            )
        _replace_tree(
            repository,
            subprocess.run(
                ["git", "archive", entry.commit], cwd=TEMPLATE_ROOT, capture_output=True, check=True
            ).stdout,
        )
        _git(repository, "add", "--all")
        _git(repository, "commit", "--quiet", "-m", f"Preflight {entry.version}")
        _git(repository, "tag", f"v{entry.version}")
    files = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], TEMPLATE_ROOT).stdout
    _replace_tree(repository, None)
    for name in filter(None, files.split("\0")):
        source = TEMPLATE_ROOT / name
        if source.is_file():
            target = repository / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "--allow-empty", "-m", f"Preflight {NEWEST} (working tree)")
    _git(repository, "tag", f"v{NEWEST}")
    return repository


def _replace_tree(repository: Path, archive: bytes | None) -> None:
    for child in repository.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    if archive is not None:
        subprocess.run(["tar", "-x", "-C", str(repository)], input=archive, check=True)


def _copier(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "copier", *args], cwd)


def _check_update(project: Path) -> int:
    """`copier check-update --quiet`: 2 when a newer release exists, 0 when none does."""
    command = [sys.executable, "-m", "copier", "check-update", "--quiet"]
    return subprocess.run(command, cwd=project, capture_output=True, check=False).returncode


def _answers(project: Path) -> dict[str, Any]:
    recorded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return recorded


def _tree(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file()
        and not IGNORED_PARTS.intersection(path.relative_to(root).parts)
        and path.name not in IGNORED_NAMES
    }


def conflicts(project: Path) -> set[str]:
    """Files holding a conflict marker, and `.rej` files."""
    found = set()
    for name in _tree(project):
        if name.endswith(".rej"):
            found.add(name)
            continue
        try:
            text = (project / name).read_text()
        except UnicodeDecodeError:
            continue
        if any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in text.splitlines()):
            found.add(name)
    return found


def take_the_templates_side(path: Path) -> None:
    """Resolve every inline conflict in a file with the new template's lines."""
    kept, side = [], None
    for line in path.read_text().splitlines():
        if line.startswith("<<<<<<< "):
            side = "ours"
        elif line == "=======" and side == "ours":
            side = "theirs"
        elif line.startswith(">>>>>>> ") and side == "theirs":
            side = None
        elif side != "ours":
            kept.append(line)
    path.write_text("\n".join(kept) + "\n")


def differences(updated: Path, fresh: Path) -> list[str]:
    """How the updated project differs from the fresh render with the team's edits made."""
    problems = []
    updated_files, fresh_files = _tree(updated), _tree(fresh)
    problems += [f"{name}: missing after the update" for name in sorted(fresh_files - updated_files)]
    problems += [f"{name}: only in the updated project" for name in sorted(updated_files - fresh_files)]
    for name in sorted(updated_files & fresh_files):
        before, after = (fresh / name).read_bytes(), (updated / name).read_bytes()
        if before != after:
            diff = difflib.unified_diff(
                before.decode(errors="replace").splitlines(),
                after.decode(errors="replace").splitlines(),
                "fresh",
                "updated",
                lineterm="",
                n=1,
            )
            problems.append(f"{name}:\n" + "\n".join(list(diff)[:40]))
    return problems


def _team_work(project: Path, framework: str) -> set[str]:
    """The team's edits and `uv add httpx`; the files they changed (none when all are there)."""
    changed = team_edits.apply(project, framework)
    pyproject = (project / "pyproject.toml").read_text()
    if '"httpx' not in pyproject.partition("[dependency-groups]")[0]:
        run(["uv", "add", "--quiet", "--no-sync", "httpx"], project)
        changed.add("pyproject.toml")
    return changed


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair.id)
def test_update_from_a_release_keeps_the_teams_work(pair: Pair, releases: Path, tmp_path: Path) -> None:
    project, fresh = tmp_path / "project", tmp_path / "fresh"
    flavor = ["--data", "framework=django"] if pair.framework == "django" else []
    _copier(
        tmp_path,
        "copy",
        "--quiet",
        "--trust",
        "--defaults",
        "--vcs-ref",
        f"v{pair.start}",
        *flavor,
        str(releases),
        str(project),
    )
    _team_work(project, pair.framework)
    _git(project, "add", "--all")
    _git(project, "commit", "--quiet", "-m", "The team's work")

    assert _check_update(project) == 2, "copier check-update should see the newer release"
    changed = [
        arg for key, value in pair.changed.items() for arg in ("--data", f"{key}={str(value).lower()}")
    ]
    _copier(project, "update", "--quiet", "--trust", "--defaults", "--vcs-ref", f"v{NEWEST}", *changed)

    assert (project / "uv.lock").exists() is (pair.id not in LOSES_THE_LOCK)
    found = conflicts(project)
    assert found == EXPECTED_CONFLICTS.get(pair.id, set()), "docs/updating.md lists other conflicts"
    # The resolution docs/updating.md gives: the template's side, then the team's change
    # made again the way the new file does it.
    for name in found:
        take_the_templates_side(project / name)
    redone = _team_work(project, pair.framework)
    assert redone <= found, "the update lost the team's edits outside the conflicts"
    answers = _answers(project)
    assert answers["_commit"] == f"v{NEWEST}"
    assert _check_update(project) == 0
    assert {key: answers[key] for key in pair.changed} == pair.changed
    assert [name for name in pair.adds if not (project / name).is_file()] == []
    if pair.changed.get("database") == "mysql":
        assert '"asyncmy' in (project / "pyproject.toml").read_text()
        assert "DATABASE_URL=mysql+asyncmy://" in (project / ".env").read_text()

    # The update equals a project made at the newest release with the same answers, and
    # the same work done on it.
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    _copier(
        tmp_path,
        "copy",
        "--quiet",
        "--defaults",
        "--skip-tasks",
        "--vcs-ref",
        f"v{NEWEST}",
        "--data-file",
        str(_data_file(tmp_path, data)),
        str(releases),
        str(fresh),
    )
    _team_work(fresh, pair.framework)
    assert differences(project, fresh) == []

    run(["uv", "lock", "--quiet"], project)
    run(["make", "check" if pair.full_suite else "lint"], project)


def _data_file(directory: Path, data: dict[str, Any]) -> Path:
    path = directory / "answers.yml"
    path.write_text(yaml.safe_dump(data))
    return path
