"""docs/architecture-review.md: every item of the review checklist, with evidence that exists."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.combinations import combination_params
from tests.helpers import TEMPLATE_ROOT, Combination

SyncedProject = Callable[[Combination], Path]

CHECKLIST = TEMPLATE_ROOT / "docs" / "architecture-review-checklist.md"
STATUSES = {"Met", "Documented", "Not applicable", "Gap"}
ROW = re.compile(r"^\| (\d+) \| (.+?) \| (Met|Documented|Not applicable|Gap|[^|]+?) \| (.*) \|$")
LINK = re.compile(r"\]\(([^)#]+)(#[^)]*)?\)")


def _checklist_items() -> list[str]:
    return [line[6:].strip() for line in CHECKLIST.read_text().splitlines() if line.startswith("- [ ] ")]


@pytest.mark.parametrize("combination", combination_params())
def test_review_covers_every_checklist_item_with_real_evidence(
    combination: Combination, synced_project: SyncedProject
) -> None:
    project = synced_project(combination)
    review = project / "docs" / "architecture-review.md"
    rows = [match.groups() for line in review.read_text().splitlines() if (match := ROW.match(line))]

    assert [item for _, item, _, _ in rows] == _checklist_items()
    assert [int(number) for number, _, _, _ in rows] == list(range(1, 116))
    for number, item, status, evidence in rows:
        assert status in STATUSES, f"{number} {item}: unknown status {status!r}"
        assert evidence.strip(), f"{number} {item}: no evidence"
        if status == "Not applicable":
            assert evidence.startswith("Answer "), f"{number} {item}: name the answer that made it so"
        for target, _ in LINK.findall(evidence):
            assert (review.parent / target).exists(), f"{number} {item}: {target} does not exist"
