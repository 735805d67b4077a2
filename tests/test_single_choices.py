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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.combinations import CODE_DRIVING_QUESTIONS
from tests.helpers import TEMPLATE_ROOT, choice_values, project_env, render, run
from tests.test_rendering import JINJA_LEFTOVER

QUESTIONS: dict[str, dict[str, Any]] = {
    name: spec
    for name, spec in yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text()).items()
    if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is not False
}
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


def _variants() -> list[tuple[str, dict[str, Any]]]:
    variants: list[tuple[str, dict[str, Any]]] = []
    for base_name, base in (("fastapi", {}), ("django", {"framework": "django"})):
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
            variants += [(f"{base_name}-{question}={value}", {**base, question: value}) for value in values]
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
                    run(
                        ["uv", "sync", "--quiet", "--no-install-project"],
                        project,
                        env=project_env(UV_PROJECT_ENVIRONMENT=str(environment)),
                    )
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
    covered = {name.split("-", 1)[1].split("=", 1)[0] for name, _ in VARIANTS}
    with_choices = {q for q, spec in QUESTIONS.items() if "choices" in spec or spec.get("type") == "bool"}
    assert covered == with_choices
    assert len(VARIANTS) >= 50, len(VARIANTS)


@pytest.mark.parametrize(("name", "data"), VARIANTS, ids=[name for name, _ in VARIANTS])
def test_single_choice_renders_cleanly_and_passes_ruff_and_mypy(
    name: str, data: dict[str, Any], tmp_path: Path, shared_dir: Path
) -> None:
    question, value = next((q, v) for q, v in data.items() if q != "framework" or len(data) == 1)
    if reason := _always_refused(QUESTIONS[question], value):
        # Offered at the prompt only as disabled, with its reason: refused, nothing written.
        with pytest.raises(ValueError, match=re.escape(reason)):
            render(tmp_path / "project", data)
        assert not (tmp_path / "project").exists()
        return
    project = render(tmp_path / "project", data)
    leftovers = []
    for path in project.rglob("*"):
        if not path.is_file() or ".git" in path.parts:
            continue
        assert not JINJA_LEFTOVER.search(path.name), f"unrendered file name: {path}"
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        leftovers += [f"{path.relative_to(project)}: {m.group()}" for m in JINJA_LEFTOVER.finditer(text)]
    assert leftovers == []
    ruff = shutil.which("ruff")
    assert ruff, "ruff comes with the template's dev dependencies"
    run([ruff, "check", "--no-cache", "."], project)
    run([ruff, "format", "--check", "--no-cache", "."], project)
    verdict = _mypy(project, shared_dir)
    assert verdict["ok"], verdict["output"]
