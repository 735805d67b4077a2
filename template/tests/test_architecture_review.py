"""The architecture review checks itself (docs/architecture-review.json).

Every file the review names as evidence must exist and every test it names must be
collected, so deleting a probe or a check turns this red; the failure names the item.
`make review` (`python -m tests.test_architecture_review`) also runs the named tests.
A team that removes something on purpose edits the review to say why.
"""

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
REVIEW = ROOT / "docs" / "architecture-review.json"
STATUSES = {"met", "partly", "gap", "n/a"}


def items() -> list[dict[str, Any]]:
    review: dict[str, Any] = json.loads(REVIEW.read_text(encoding="utf-8"))
    return [item for section in review["sections"] for item in section["items"]]


def evidence_tests() -> list[str]:
    """The named tests in collection order: some share a fixture a later test stops."""
    named = {test for item in items() for test in item["tests"]}
    order = {node: index for index, node in reversed(list(enumerate(collected_in_order())))}
    return sorted(named, key=lambda test: order.get(test, len(order)))


@cache
def collected_in_order() -> tuple[str, ...]:
    """Node ids pytest collects, each also without its parameters, in collection order."""
    # A child pytest of its own: this run may have been narrowed with -k or paths.
    env = {key: value for key, value in os.environ.items() if not key.startswith("COV_CORE_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    nodes = [line for line in result.stdout.splitlines() if "::" in line]
    return tuple(name for node in nodes for name in (node, node.split("[", 1)[0]))


def collected() -> frozenset[str]:
    return frozenset(collected_in_order())


def _label(item: dict[str, Any]) -> str:
    return f"{item['number']} {item['item']}"


def test_the_review_covers_the_checklist() -> None:
    numbers = [item["number"] for item in items()]
    assert numbers == list(range(1, 116))
    assert {item["status"] for item in items()} <= STATUSES


@pytest.mark.parametrize("item", items(), ids=_label)
def test_evidence_exists(item: dict[str, Any]) -> None:
    if item["status"] == "met":
        assert item["files"] or item["tests"], f"item {_label(item)}: met without evidence"
        assert item["kind"] == ("test" if item["tests"] else "process"), (
            f"item {_label(item)}: 'met (test)' needs tests, 'met (process)' has none"
        )
    missing_files = [path for path in item["files"] if not (ROOT / path).exists()]
    assert not missing_files, f"item {_label(item)}: evidence files missing: {missing_files}"
    stale = [test for test in item["tests"] if test not in collected()]
    assert not stale, f"item {_label(item)}: evidence tests not collected: {stale}"


if __name__ == "__main__":
    # `make review`: the checks above, then every evidence test, in one run.
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", __file__, *evidence_tests()]))
