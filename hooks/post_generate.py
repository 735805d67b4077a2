"""Post-generation tasks Copier runs with `--trust` (after `copier copy` and `copier update`).

1. Write `.env` with freshly generated secrets, if there is none (never overwritten).
   On update, a `.env` whose DATABASE_URL speaks another database than the answers
   now choose gets that one line from `.env.example`; nothing else in it changes.
2. Lock the dependencies with `uv lock`, when uv is installed (skipped, with the reason, when
   the Python version the project pins is not on this machine and uv cannot download it).
3. On copy only: make the first git commit, so the project is reviewable and
   `copier update` has a baseline from day one. On update nothing is committed:
   the team reviews the diff first.

Each step is idempotent and explains itself when it cannot run. Only the
standard library is used: Copier runs this with its own interpreter.

`copier update` renders the old and the new template version into temporary
folders (to compute the diff it applies) and runs the tasks there too. Those are
not the team's project: the tasks do nothing there, so they run once, in the
project, and no lock file or `.env` of a scratch render leaks into the diff.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

# Copier's scratch renders during `copier update` (copier/_main.py: TemporaryDirectory).
_SCRATCH_RENDER_PREFIXES = ("copier._main.old_copy.", "copier._main.new_copy.")


class TaskError(Exception):
    """A task failed in a way the user must act on."""


def is_scratch_render(project: Path) -> bool:
    """True in the temporary renders `copier update` makes, which are not the project."""
    return any(part.startswith(_SCRATCH_RENDER_PREFIXES) for part in project.resolve().parts)


def _setting(lines: list[str], name: str) -> tuple[int, str] | None:
    """The index and value of `NAME=value` among .env lines, if it is set."""
    for index, line in enumerate(lines):
        if line.startswith(f"{name}="):
            return index, line.split("=", 1)[1]
    return None


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else ""


def align_database_url(env_file: Path, example: Path) -> str:
    """Point an existing .env at the database the answers chose, changing that line only."""
    lines = env_file.read_text(encoding="utf-8").splitlines()
    current = _setting(lines, "DATABASE_URL")
    wanted = _setting(example.read_text(encoding="utf-8").splitlines(), "DATABASE_URL")
    if current is None or wanted is None or _scheme(current[1]) == _scheme(wanted[1]):
        return ".env exists: left unchanged"
    lines[current[0]] = f"DATABASE_URL={wanted[1]}"
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return (
        f".env exists: only its DATABASE_URL changed, from a {_scheme(current[1])}:// URL to the "
        f"development default for the database now chosen ({_scheme(wanted[1])}://); "
        "set your own URL there if you had one"
    )


def write_env(project: Path) -> str:
    env_file = project / ".env"
    example = project / ".env.example"
    if not example.exists():
        raise TaskError(".env.example is missing, so no .env can be written from it")
    if env_file.exists():
        return align_database_url(env_file, example)
    lines = []
    for line in example.read_text(encoding="utf-8").splitlines():
        if line.startswith("SECRET_KEY="):
            line = f"SECRET_KEY={secrets.token_urlsafe(48)}"
        lines.append(line)
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file.chmod(0o600)
    return ".env written with a fresh SECRET_KEY (mode 600, ignored by git)"


def lock_dependencies(project: Path) -> str:
    uv = shutil.which("uv")
    if uv is None:
        return "uv not found: skipped `uv lock` (`uv sync` will lock on first use)"
    result = subprocess.run([uv, "lock"], cwd=project, capture_output=True, text=True, check=False)
    if result.returncode != 0 and (wanted := _missing_python(uv, project)):
        # Not a failure of the project: uv needs the interpreter it targets and could not
        # fetch it (no network, or downloads off). Copier would delete the project on a failed task.
        return (
            f"Python {wanted} not found and uv could not download it: skipped `uv lock`. "
            f"Install Python {wanted} (or let uv fetch it), then run `make lock` and commit uv.lock"
        )
    if result.returncode != 0:
        raise TaskError(
            f"`uv lock` failed; fix the cause and run it again in {project}:\n{result.stderr.strip()}"
        )
    return "dependencies locked in uv.lock"


def _missing_python(uv: str, project: Path) -> str | None:
    """The Python version the project pins in .python-version, if uv finds no such interpreter."""
    pinned = project / ".python-version"
    if not pinned.is_file():
        return None
    wanted = pinned.read_text().strip()
    found = subprocess.run([uv, "python", "find", wanted], cwd=project, capture_output=True, check=False)
    return wanted if found.returncode != 0 else None


def _git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)


def first_commit(project: Path, author_name: str, author_email: str) -> str:
    if shutil.which("git") is None:
        return "git not found: skipped the first commit"
    inside = _git(project, "rev-parse", "--show-toplevel")
    if inside.returncode == 0 and Path(inside.stdout.strip()).resolve() != project.resolve():
        return "the project lies inside another git repository: skipped the first commit"
    if inside.returncode != 0:
        init = _git(project, "init", "--initial-branch=main")
        if init.returncode != 0:
            raise TaskError(f"`git init` failed: {init.stderr.strip()}")
    if _git(project, "rev-parse", "--verify", "HEAD").returncode == 0:
        return "the repository already has commits: nothing committed"
    _git(project, "add", "--all")
    # Use the developer's git identity; fall back to the project owner when there is none.
    identity: list[str] = []
    if not _git(project, "config", "user.email").stdout.strip():
        identity = ["-c", f"user.name={author_name}", "-c", f"user.email={author_email}"]
    commit = _git(
        project, *identity, "commit", "--no-verify", "-m", "Generate the project from the Preflight template"
    )
    if commit.returncode != 0:
        raise TaskError(f"the first commit failed: {commit.stderr.strip() or commit.stdout.strip()}")
    return "first commit made on branch main"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operation", choices=["copy", "update"], required=True)
    parser.add_argument("--author-name", required=True)
    parser.add_argument("--author-email", required=True)
    parser.add_argument("--project", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    if is_scratch_render(args.project):
        return 0

    steps = [("secrets", lambda: write_env(args.project)), ("lock", lambda: lock_dependencies(args.project))]
    if args.operation == "copy":
        steps.append(("git", lambda: first_commit(args.project, args.author_name, args.author_email)))
    for name, step in steps:
        try:
            print(f"preflight [{name}]: {step()}")
        except TaskError as error:
            print(f"preflight [{name}] failed: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
