"""Rendering projects from this checkout and running their tools."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from copier import run_copy

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
# Copier's ref for this working tree, uncommitted changes included (without a ref it takes the
# newest release tag when the clone has tags).
WORKING_TREE = "HEAD"

# Copier's questions by name. Computed values (`when: false`) are never asked: not questions.
QUESTIONS: dict[str, dict[str, Any]] = {
    name: spec
    for name, spec in yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text()).items()
    if not name.startswith("_") and spec.get("when") is not False
}

# A Jinja tag or expression left unrendered. `${{ … }}` is GitHub Actions syntax, not Jinja.
JINJA_LEFTOVER = re.compile(r"\{%|%\}|\{#|#\}|(?<!\$)\{\{")

# Variables of the outer environment that must not leak into a generated project's tools.
_LEAKY_ENV = (
    "VIRTUAL_ENV",
    "UV_PROJECT_ENVIRONMENT",
    "PYTHONPATH",
    "UV_RUN_RECURSION_DEPTH",
    # Set when the suite itself runs under `make`: a project's make would act as a sub-make.
    "MAKELEVEL",
    "MAKEFLAGS",
    "MFLAGS",
)


@dataclass(frozen=True)
class Combination:
    """One set of answers to render, and how much of the result to exercise."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    runs_own_suite: bool = False


def render(destination: Path, data: dict[str, Any], *, trust: bool = False) -> Path:
    """Render the template with `--defaults`, as a user would with `copier copy`, from this
    working tree: with release tags in the clone, Copier would otherwise take the newest tag."""
    run_copy(
        str(TEMPLATE_ROOT),
        str(destination),
        vcs_ref=WORKING_TREE,
        data=data,
        defaults=True,
        unsafe=trust,
        skip_tasks=not trust,
        quiet=True,
    )
    return destination


def answers(project: Path) -> dict[str, Any]:
    """The answers Copier recorded for a rendered project, computed defaults included."""
    recorded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return recorded


def jinja_leftovers(project: Path) -> list[str]:
    """Every unrendered Jinja tag in a render, in its file names or its text files."""
    leftovers = []
    for path in project.rglob("*"):
        if ".venv" in path.parts or ".git" in path.parts or not path.is_file():
            continue
        relative = path.relative_to(project)
        leftovers += [f"file name {relative}: {m.group()}" for m in JINJA_LEFTOVER.finditer(path.name)]
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        leftovers += [f"{relative}: {m.group()}" for m in JINJA_LEFTOVER.finditer(text)]
    return leftovers


def choice_values(spec: dict[str, Any]) -> list[Any]:
    """The values a choice or yes/no question offers; a choice is a bare value or `{value:, validator:}`."""
    if "choices" not in spec:
        return [True, False]
    return [c["value"] if isinstance(c, dict) else c for c in spec["choices"].values()]


def project_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _LEAKY_ENV}
    env.update(extra)
    return env


def run(
    command: list[str], cwd: Path, *, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command in a project; fail the test with its output if it fails."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env or project_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + "\n" + result.stderr)[-6000:]
        raise AssertionError(f"`{' '.join(command)}` failed in {cwd} ({result.returncode}):\n{output}")
    return result


def template_snapshot(destination: Path) -> Path:
    """A git repository of this template as it is now, committed or not: this clone's history
    plus one commit of the working tree (Copier renders a template from git)."""
    subprocess.run(["git", "clone", "--quiet", str(TEMPLATE_ROOT), str(destination)], check=True)
    shutil.copytree(
        TEMPLATE_ROOT,
        destination,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".git", ".venv", ".tools"),
    )
    git = ["git", "-C", str(destination), "-c", "user.name=t", "-c", "user.email=t@e.x"]
    subprocess.run([*git, "add", "--all"], check=True)
    subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", "the working tree"], check=True)
    # Without the release tags Copier takes the snapshot's HEAD, as the tests that tag it expect.
    tags = subprocess.run([*git, "tag"], capture_output=True, text=True, check=True).stdout.split()
    if tags:
        subprocess.run([*git, "tag", "--delete", *tags], capture_output=True, check=True)
    return destination
