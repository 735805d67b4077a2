"""How much two renders repeat each other: identical lines in counterpart Python files.

Counterpart files are the `.py` files at the same relative path under `src/<package>/` and `tests/` of two
renders (for example the default FastAPI and Django projects). A file that comes from the template's shared
base tree is one file, not a copy, so it is left out. Lines are compared after stripping, blank lines are
ignored, and a line counts as repeated when difflib aligns it with an identical line of the counterpart.

    uv run python -m tests.overlap /tmp/fastapi /tmp/django [--package preflight_service]
"""

from __future__ import annotations

import argparse
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import TEMPLATE_ROOT

# Folders rendered for every framework; what they hold is written once.
_TEMPLATE = TEMPLATE_ROOT / "template"
SHARED_TREES = {"src": _TEMPLATE / "src" / "{{ package_name }}", "tests": _TEMPLATE / "tests"}
_CONDITIONAL_NAME = re.compile(r"\{%\s*if [^%]*%\}(.*?)\{%\s*endif\s*%\}")


@dataclass(frozen=True)
class Overlap:
    files: int
    identical: int
    first_lines: int
    second_lines: int

    @property
    def share(self) -> float:
        """The larger of the two sides' shares of repeated lines (0 when there is nothing to compare)."""
        if not self.first_lines or not self.second_lines:
            return 0.0
        return max(self.identical / self.first_lines, self.identical / self.second_lines)


def shared_paths(area: str) -> set[Path]:
    """Relative paths (as rendered) of the Python files a shared tree provides."""
    root = SHARED_TREES[area]
    if not root.is_dir():
        return set()
    paths = set()
    for source in root.rglob("*"):
        if not source.is_file():
            continue
        parts = [_CONDITIONAL_NAME.sub(r"\1", part) for part in source.relative_to(root).parts]
        parts[-1] = parts[-1].removesuffix(".jinja")
        if parts[-1].endswith(".py"):
            paths.add(Path(*parts))
    return paths


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _pairs(first: Path, second: Path, package: str, area: str) -> list[tuple[Path, Path]]:
    base = Path("src", package) if area == "src" else Path("tests")
    left, right = first / base, second / base
    shared = shared_paths(area)
    names = {p.relative_to(left) for p in left.rglob("*.py")}
    names &= {p.relative_to(right) for p in right.rglob("*.py")}
    return [(left / name, right / name) for name in sorted(names - shared)]


def measure(first: Path, second: Path, package: str, areas: tuple[str, ...] = ("src", "tests")) -> Overlap:
    files = identical = first_lines = second_lines = 0
    for area in areas:
        for a, b in _pairs(first, second, package, area):
            left, right = _lines(a), _lines(b)
            matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
            files += 1
            identical += sum(block.size for block in matcher.get_matching_blocks())
            first_lines += len(left)
            second_lines += len(right)
    return Overlap(files, identical, first_lines, second_lines)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--package", default="preflight_service")
    args = parser.parse_args()
    for areas in (("src",), ("tests",), ("src", "tests")):
        o = measure(args.first, args.second, args.package, areas)
        print(
            f"{'+'.join(areas):10} {o.files:3} files, {o.identical:4} identical lines: "
            f"{o.identical / max(o.first_lines, 1):.0%} of {o.first_lines} (first), "
            f"{o.identical / max(o.second_lines, 1):.0%} of {o.second_lines} (second)"
        )


if __name__ == "__main__":
    main()
