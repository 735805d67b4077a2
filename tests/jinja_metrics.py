"""Measures of the template's Jinja: repeated label maps and tag density.

Run as a script for the figures (`uv run python -m tests.jinja_metrics`); tests/test_vocabulary.py
holds the template to them.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import TEMPLATE_ROOT

# `{% set name = {` opens a literal map (a label or value table), on one line or several.
_MAP = re.compile(r"\{%-?\s*set\s+(\w+)\s*=\s*\{")
# Every opening delimiter is one tag: statements, expressions and comments.
_TAG = re.compile(r"\{%|\{\{|\{#")


@dataclass(frozen=True)
class Density:
    path: Path
    tags: int
    lines: int

    @property
    def per_100_lines(self) -> float:
        return 100 * self.tags / max(self.lines, 1)

    def __str__(self) -> str:
        figures = f"{self.per_100_lines:6.1f} tags/100 lines ({self.tags:3} tags, {self.lines:3} lines)"
        return f"{figures}  {self.path}"


def template_files(root: Path = TEMPLATE_ROOT / "template") -> list[Path]:
    """The files Copier renders with Jinja (the others are copied as they are)."""
    return sorted(path for path in root.rglob("*.jinja") if path.is_file())


def label_maps(files: list[Path]) -> dict[str, list[Path]]:
    """Map name → the files that define a literal `{% set name = {...} %}` (once per definition)."""
    found: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        for name in _MAP.findall(path.read_text()):
            found[name].append(path)
    return dict(found)


def density(path: Path) -> Density:
    text = path.read_text()
    return Density(path.relative_to(TEMPLATE_ROOT), len(_TAG.findall(text)), len(text.splitlines()))


def densest(files: list[Path], count: int = 5, min_lines: int = 20) -> list[Density]:
    """The densest files of at least `min_lines` lines (a one-line `{{ python_version }}` is all tag)."""
    figures = [d for d in (density(path) for path in files) if d.lines >= min_lines]
    return sorted(figures, key=lambda d: d.per_100_lines, reverse=True)[:count]


def main() -> None:
    files = template_files()
    maps = label_maps(files)
    total = sum(len(paths) for paths in maps.values())
    print(f"{total} literal maps in {len(files)} template files; defined more than once:")
    for name, paths in sorted(maps.items(), key=lambda item: -len(item[1])):
        if len(paths) > 1:
            print(f"  {name}: {len(paths)}")
    print("densest files of 20 lines or more:")
    for figure in densest(files, int(sys.argv[1]) if len(sys.argv) > 1 else 5):
        print(f"  {figure}")


if __name__ == "__main__":
    main()
