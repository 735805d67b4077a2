"""A fast pass over every single-choice change (as cookiecutter-django tests each option).

Every choice of every question, one at a time from the defaults, renders with no Jinja
left and passes `ruff check`, `ruff format --check` and `mypy --strict`. For the
questions that change Python code, the same is done from the Django defaults too.

Cheap by design: a render takes about a second; most answers change only documents, so
renders whose code and tool configuration are byte-identical share one mypy run; and
renders with the same `pyproject.toml` share one dependency environment (installed
without the project itself: mypy reads the package from `src` through `mypy_path`).
The slower end-to-end combinations (tests/combinations.py) stay in test_rendering.py and
test_generated_projects.py.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.combinations import CODE_DRIVING_QUESTIONS
from tests.helpers import QUESTIONS, choice_values, jinja_leftovers, project_env, render, run

# The files whose bytes decide what ruff and mypy say.
CODE_SUFFIXES = {".py", ".toml", ".cfg", ".ini", ".mako"}


def _always_refused(spec: dict[str, Any], value: Any) -> str | None:
    """The reason a choice is never taken: a validator with no condition (shown disabled)."""
    for choice in spec.get("choices", {}).values():
        if not isinstance(choice, dict) or choice["value"] != value:
            continue
        reason: str = choice.get("validator", "")
        return reason if reason and "{%" not in reason else None
    return None


@dataclass(frozen=True)
class Variant:
    """One question's answer changed from a base's defaults (the FastAPI or the Django ones)."""

    base: dict[str, Any]
    question: str
    value: Any

    @property
    def data(self) -> dict[str, Any]:
        return {**self.base, self.question: self.value}

    @property
    def name(self) -> str:
        return f"{self.base.get('framework', 'fastapi')}-{self.question}={self.value}"


def _variants() -> list[Variant]:
    variants: list[Variant] = []
    for base in ({}, {"framework": "django"}):
        for question, spec in QUESTIONS.items():
            if "choices" not in spec and spec.get("type") != "bool":
                continue
            if base and (question not in CODE_DRIVING_QUESTIONS or question == "framework"):
                continue
            values: list[Any] = choice_values(spec)
            if spec.get("multiselect"):
                # Each option alone; an empty selection where the question allows one.
                selections: list[Any] = [[value] for value in values]
                if not spec.get("validator"):
                    selections.append([])
                values = selections
            variants += [Variant(base, question, value) for value in values]
    return variants


VARIANTS = _variants()


def _fingerprint(project: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.suffix in CODE_SUFFIXES and ".venv" not in path.parts:
            digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock shared by the xdist workers (one file per key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder all xdist workers of this run share (the parent of their base temps)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / "single-choices"


def _python_found(version: str) -> bool:
    return subprocess.run(["uv", "python", "find", version], capture_output=True, check=False).returncode == 0


def _sync_dependencies(project: Path, environment: Path) -> None:
    """The project's dependencies, without the project, in `environment`.

    A project pinned to a Python this machine lacks (3.14: no interpreter here, and uv
    cannot download one) gets them on the newest Python that is here, from a copy of its
    pyproject.toml that allows it; mypy still checks for the pinned version
    (`[tool.mypy] python_version`), and ruff lints for it (`target-version`).
    """
    wanted = (project / ".python-version").read_text().strip()
    source = project
    if not _python_found(wanted):
        present = [v for v in choice_values(QUESTIONS["python_version"]) if v != wanted and _python_found(v)]
        newest = max(present, key=lambda version: tuple(int(part) for part in version.split(".")))
        source = environment.with_name(environment.name + "-on-" + newest)
        source.mkdir(parents=True, exist_ok=True)
        pyproject = (project / "pyproject.toml").read_text()
        pinned = f'requires-python = ">={wanted}"'
        assert pinned in pyproject, "the render pins its Python in requires-python"
        (source / "pyproject.toml").write_text(pyproject.replace(pinned, f'requires-python = ">={newest}"'))
        (source / ".python-version").write_text(newest + "\n")
    run(
        ["uv", "sync", "--quiet", "--no-install-project"],
        source,
        env=project_env(UV_PROJECT_ENVIRONMENT=str(environment)),
    )


def _mypy(project: Path, shared: Path) -> dict[str, Any]:
    """mypy --strict's verdict on this tree; identical trees are checked once per run.

    Renders with the same pyproject.toml share a dependency environment and a mypy
    cache (mypy rechecks whatever changed, so the cache only saves re-reading the
    libraries); one mypy at a time uses each cache.
    """
    verdict_path = shared / "verdicts" / f"{_fingerprint(project)}.json"
    key = hashlib.sha256((project / "pyproject.toml").read_bytes()).hexdigest()[:16]
    environment = shared / "envs" / key
    with _locked(shared / "locks" / f"mypy-{verdict_path.stem}"):
        if not verdict_path.exists():
            with _locked(shared / "locks" / f"env-{key}"):
                if not (environment / "bin" / "mypy").exists():
                    _sync_dependencies(project, environment)
                mypy = [str(environment / "bin" / "mypy"), "--cache-dir", str(shared / "mypy-cache" / key)]
                try:
                    run(mypy, project, timeout=600)
                    verdict = {"ok": True, "output": ""}
                except AssertionError as failure:
                    verdict = {"ok": False, "output": str(failure)}
            verdict_path.parent.mkdir(parents=True, exist_ok=True)
            verdict_path.write_text(json.dumps(verdict))
    verdict: dict[str, Any] = json.loads(verdict_path.read_text())
    return verdict


def test_every_choice_of_every_question_has_a_variant() -> None:
    covered = {variant.question for variant in VARIANTS}
    with_choices = {q for q, spec in QUESTIONS.items() if "choices" in spec or spec.get("type") == "bool"}
    assert covered == with_choices
    assert len(VARIANTS) >= 50, len(VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.name for variant in VARIANTS])
def test_single_choice_renders_cleanly_and_passes_ruff_and_mypy(
    variant: Variant, tmp_path: Path, shared_dir: Path
) -> None:
    if reason := _always_refused(QUESTIONS[variant.question], variant.value):
        # Offered at the prompt only as disabled, with its reason: refused, nothing written.
        with pytest.raises(ValueError, match=re.escape(reason)):
            render(tmp_path / "project", variant.data)
        assert not (tmp_path / "project").exists()
        return
    project = render(tmp_path / "project", variant.data)
    assert jinja_leftovers(project) == []
    ruff = shutil.which("ruff")
    assert ruff, "ruff comes with the template's dev dependencies"
    run([ruff, "check", "--no-cache", "."], project)
    run([ruff, "format", "--check", "--no-cache", "."], project)
    verdict = _mypy(project, shared_dir)
    assert verdict["ok"], verdict["output"]
