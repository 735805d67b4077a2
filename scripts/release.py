"""Cut a release of the template, or recreate the tags of the recorded ones.

    python scripts/release.py release X.Y.Z   # `make release VERSION=X.Y.Z`
    python scripts/release.py tags            # `make tags`

The one record of the releases is CHANGELOG.md: each entry's heading says its version and,
once tagged, its date and commit (`## 0.2.0 — 2026-11-22 — commit <40 hex digits>`); the
entry that is not tagged yet says `## X.Y.Z — unreleased`. Copier versions a template by
its git tags (PEP 440, here `vX.Y.Z`); a clone can arrive without tags, and `tags`
recreates them from that record. The template's version itself lives in pyproject.toml.

`release` refuses a dirty working tree, a version without an unreleased changelog entry
and a version that is not above every released one. It then sets pyproject.toml's
version and re-locks uv.lock (a "Release X.Y.Z" commit, when the version differs), tags
that commit `vX.Y.Z` (annotated, the entry as its message), and records the commit in
the entry's heading in a second commit, because no commit can hold its own hash.
Nothing is pushed.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = "CHANGELOG.md"
PYPROJECT = "pyproject.toml"
LOCK = "uv.lock"

VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
HEADING = re.compile(
    r"^## (?P<version>\d+\.\d+\.\d+) — "
    r"(?:(?P<date>\d{4}-\d{2}-\d{2}) — commit (?P<commit>[0-9a-f]{40})|(?P<unreleased>unreleased))$"
)
PROJECT_VERSION = re.compile(r'^version = "(?P<version>[^"]*)"$', re.MULTILINE)


class Refusal(Exception):
    """A reason not to release, said to the person who asked."""


@dataclass(frozen=True)
class Entry:
    version: str
    commit: str | None  # None while unreleased
    date: str | None
    body: str

    @property
    def tag(self) -> str:
        return f"v{self.version}"


def key(version: str) -> tuple[int, ...]:
    match = VERSION.match(version)
    if match is None:
        raise Refusal(f"{version!r} is not a version of the form X.Y.Z (for example 0.5.0)")
    return tuple(int(part) for part in match.groups())


def entries(text: str) -> list[Entry]:
    """The changelog's entries, newest first, as written."""
    found: list[Entry] = []
    current: dict[str, str | None] | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None:
            found.append(
                Entry(
                    version=str(current["version"]),
                    commit=current["commit"],
                    date=current["date"],
                    body="\n".join(lines).strip(),
                )
            )

    for line in text.splitlines():
        if line.startswith("## "):
            match = HEADING.match(line)
            if match is None:
                raise Refusal(
                    f"{CHANGELOG}: heading {line!r} is not '## X.Y.Z — YYYY-MM-DD — commit <sha>' "
                    "nor '## X.Y.Z — unreleased'"
                )
            close()
            current = match.groupdict()
            lines = []
        elif current is not None:
            lines.append(line)
    close()
    versions = [entry.version for entry in found]
    if len(set(versions)) != len(versions):
        raise Refusal(f"{CHANGELOG} has two entries for one version: {versions}")
    return found


def released(root: Path = ROOT) -> list[Entry]:
    """The tagged releases the changelog records, oldest first (what the tests build from)."""
    recorded = [e for e in entries((root / CHANGELOG).read_text()) if e.commit is not None]
    return sorted(recorded, key=lambda e: key(e.version))


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise Refusal(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def has_commit(root: Path, commit: str) -> bool:
    result = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=root, capture_output=True, check=False
    )
    return result.returncode == 0


def existing_tags(root: Path) -> dict[str, str]:
    """Release tags in this clone, by name, with the commit each points at."""
    names = git(root, "tag", "--list", "v*").split()
    return {name: git(root, "rev-list", "-n", "1", name) for name in names if VERSION.match(name[1:])}


def tag(root: Path, entry: Entry, commit: str) -> None:
    """An annotated tag dated like its commit, so recreating it gives the same tag date."""
    date = git(root, "log", "-1", "--format=%cI", commit)
    env = {**os.environ, "GIT_COMMITTER_DATE": date}
    message = f"Preflight {entry.version}\n\n{entry.body}\n"
    git(root, "tag", "--annotate", "--cleanup=verbatim", entry.tag, commit, "--message", message, env=env)


def recreate_tags(root: Path) -> list[str]:
    """Tag every recorded release on its commit; refuse a tag that points elsewhere."""
    tags = existing_tags(root)
    said = []
    for entry in released(root):
        assert entry.commit is not None
        if not has_commit(root, entry.commit):
            raise Refusal(
                f"{entry.tag}'s commit {entry.commit} is not in this clone's history "
                "(a shallow clone? run: git fetch --unshallow)"
            )
        if entry.tag in tags:
            if tags[entry.tag] != entry.commit:
                raise Refusal(
                    f"tag {entry.tag} points at {tags[entry.tag]}, but {CHANGELOG} records {entry.commit}; "
                    f"delete the tag (git tag -d {entry.tag}) if the changelog is right"
                )
            said.append(f"{entry.tag} already at {entry.commit[:12]}")
            continue
        tag(root, entry, entry.commit)
        said.append(f"{entry.tag} tagged at {entry.commit[:12]}")
    return said


def release(root: Path, version: str, today: datetime.date | None = None) -> list[str]:
    new = key(version)
    if git(root, "status", "--porcelain"):
        raise Refusal("the working tree has uncommitted changes; commit or stash them first")
    changelog = root / CHANGELOG
    all_entries = entries(changelog.read_text())
    entry = next((e for e in all_entries if e.version == version), None)
    if entry is None:
        raise Refusal(
            f"{CHANGELOG} has no entry for {version}: add '## {version} — unreleased' with what a "
            "project gains and whether an update needs a manual step"
        )
    if entry.commit is not None:
        raise Refusal(f"{version} is already released, at commit {entry.commit}")
    if not entry.body:
        raise Refusal(f"{CHANGELOG}'s entry for {version} is empty")
    before = [e.version for e in all_entries if e.commit is not None] + [
        name[1:] for name in existing_tags(root)
    ]
    higher = [v for v in before if key(v) >= new]
    if higher:
        raise Refusal(
            f"{version} is not above the releases already made: {', '.join(sorted(higher, key=key))}"
        )

    said = []
    pyproject = root / PYPROJECT
    text = pyproject.read_text()
    current = PROJECT_VERSION.search(text)
    if current is None:
        raise Refusal(f"{PYPROJECT} has no version line")
    if current["version"] != version:
        pyproject.write_text(text[: current.start()] + f'version = "{version}"' + text[current.end() :])
        files = [PYPROJECT]
        if (root / LOCK).exists():  # the lock records the version: stale, `uv run` would rewrite it
            subprocess.run(["uv", "lock", "--quiet"], cwd=root, check=True)
            files.append(LOCK)
        git(root, "commit", "--quiet", "-m", f"Release {version}", "--", *files)
        said.append(f"{PYPROJECT}: version {current['version']} -> {version}")
    commit = git(root, "rev-parse", "HEAD")
    tag(root, entry, commit)
    said.append(f"{entry.tag} tagged at {commit[:12]}")

    day = (today or datetime.datetime.now(datetime.UTC).date()).isoformat()
    unreleased = f"## {version} — unreleased"
    changelog.write_text(
        changelog.read_text().replace(unreleased, f"## {version} — {day} — commit {commit}", 1)
    )
    git(
        root,
        "commit",
        "--quiet",
        "-m",
        f"CHANGELOG: {version} is the tagged commit {commit[:12]}",
        "--",
        CHANGELOG,
    )
    said.append(f"{CHANGELOG}: {version} recorded at {commit[:12]}; push with: git push --follow-tags")
    return said


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["tags"] and len(argv) == 1:
            said = recreate_tags(ROOT)
        elif argv[:1] == ["release"] and len(argv) == 2 and argv[1]:
            said = release(ROOT, argv[1])
        else:
            print("usage: release.py release X.Y.Z | release.py tags", file=sys.stderr)
            return 2
    except Refusal as refusal:
        print(f"release: refused: {refusal}", file=sys.stderr)
        return 1
    for line in said:
        print(f"release: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
