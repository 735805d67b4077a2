"""The architecture review: review/review.yml covers both checklists, and every render's
docs/architecture-review.json names only files and tests that exist in that render."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.combinations import combination_params
from tests.helpers import QUESTIONS, TEMPLATE_ROOT, Combination, render, run

SyncedProject = Callable[[Combination], Path]

REVIEW_FILE = TEMPLATE_ROOT / "review" / "review.yml"
REVIEW_CHECKLIST = TEMPLATE_ROOT / "docs" / "architecture-review-checklist.md"
KICKOFF_CHECKLIST = TEMPLATE_ROOT / "docs" / "kickoff-checklist.md"
STATUSES = {"met", "partly", "gap", "n/a"}
REVIEW: dict[str, Any] = yaml.safe_load(REVIEW_FILE.read_text())


def _review_sections() -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    for line in REVIEW_CHECKLIST.read_text().splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif line.startswith("- [ ] "):
            sections[-1][1].append(line[6:].strip())
    return sections


def _kickoff_sections() -> list[tuple[str, list[str]]]:
    lines = KICKOFF_CHECKLIST.read_text().splitlines()
    sections: list[tuple[str, list[str]]] = []
    for index, line in enumerate(lines):
        if index + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[index + 1]) and line.strip():
            sections.append((line.strip(), []))
        elif line.startswith("- ") and sections:
            sections[-1][1].append(line[2:].strip())
    return sections


def test_the_data_file_covers_all_115_review_items_in_checklist_order() -> None:
    data = [(s["name"], [i["item"] for i in s["items"]]) for s in REVIEW["sections"]]
    assert data == _review_sections()
    assert sum(len(items) for _, items in data) == 115


def test_the_data_file_covers_all_56_kickoff_questions_in_checklist_order() -> None:
    data = [(s["section"], [q["question"] for q in s["questions"]]) for s in REVIEW["kickoff"]]
    assert data == _kickoff_sections()
    assert sum(len(questions) for _, questions in data) == 56


@pytest.mark.parametrize(
    "entry", [i for s in REVIEW["sections"] for i in s["items"]], ids=lambda entry: entry["item"]
)
def test_every_case_is_well_formed(entry: dict[str, Any]) -> None:
    cases = entry["cases"]
    assert "when" not in cases[-1], "the last case applies when no other does: no `when`"
    for case in cases:
        assert case["status"] in STATUSES
        assert case["note"].strip(), "every status says why (what is there, missing, or ruling it out)"
        if case["status"] == "met":
            expected = "test" if case.get("tests") else "process"
            assert case.get("kind") == expected, "met with tests is kind: test, without is kind: process"


@pytest.mark.parametrize(
    "question", [q for s in REVIEW["kickoff"] for q in s["questions"]], ids=lambda q: q["question"][:50]
)
def test_every_kickoff_question_is_asked_recorded_or_an_open_gap(question: dict[str, Any]) -> None:
    ways = [key for key in ("asked", "recorded", "gap") if key in question]
    assert len(ways) == 1, ways
    if "asked" in question:
        assert question["asked"] in QUESTIONS, f"{question['asked']} is not a question copier.yml asks"
    elif "recorded" in question:
        assert question["reason"].strip()
        assert any(
            (TEMPLATE_ROOT / "template" / (question["recorded"] + suffix)).exists()
            for suffix in ("", ".jinja")
        ), f"{question['recorded']} is not a generated document"


def _collected(project: Path) -> set[str]:
    result = run(["uv", "run", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], project)
    nodes = {line for line in result.stdout.splitlines() if "::" in line}
    return nodes | {node.split("[", 1)[0] for node in nodes}


@pytest.mark.parametrize("combination", combination_params())
def test_every_render_names_only_evidence_that_exists(
    combination: Combination, synced_project: SyncedProject
) -> None:
    project = synced_project(combination)
    review = json.loads((project / "docs" / "architecture-review.json").read_text())
    items = [item for section in review["sections"] for item in section["items"]]
    collected = _collected(project)

    assert [item["item"] for item in items] == [i for _, s in _review_sections() for i in s]
    problems = []
    for item in items:
        label = f"item {item['number']} ({item['item']})"
        problems += [
            f"{label}: file {path} is not in the render"
            for path in item["files"]
            if not (project / path).exists()
        ]
        problems += [
            f"{label}: test {test} is not collected (stale id?)"
            for test in item["tests"]
            if test not in collected
        ]
    assert not problems, "\n".join(problems)
    kickoff = sum(len(s["questions"]) for s in review["kickoff"])
    assert kickoff == 56
    counts = review["counts"]
    assert counts["met"] == counts["met-test"] + counts["met-process"]
    assert sum(counts[status] for status in STATUSES) == 115
    text = (project / "docs" / "architecture-review.md").read_text()
    assert f"Summary: {counts['met-test']} met with a test, {counts['met-process']} met by a process" in text
    assert (
        text.count("\n| ") - text.count("\n| ---") - text.count("\n| # |") - text.count("\n| Question |")
        == 115 + 56
    )


# The README's table of what a default render reaches; checked against the data file.
README_ROW = re.compile(
    r"^\| (FastAPI|Django) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$",
    re.MULTILINE,
)


@pytest.mark.parametrize(("flavor", "framework"), [("FastAPI", "fastapi"), ("Django", "django")])
def test_the_readme_states_the_review_counts_of_a_default_render(
    flavor: str, framework: str, tmp_path: Path
) -> None:
    project = render(tmp_path / "project", {"framework": framework})
    review = json.loads((project / "docs" / "architecture-review.json").read_text())
    counts, kickoff = review["counts"], review["kickoff_counts"]
    rows = {
        row[0]: tuple(int(n) for n in row[1:])
        for row in README_ROW.findall((TEMPLATE_ROOT / "README.md").read_text())
    }

    assert rows.get(flavor) == (
        counts["met-test"],
        counts["met-process"],
        counts["partly"],
        counts["gap"],
        counts["n/a"],
        kickoff["asked"],
        kickoff["recorded"],
        kickoff["gap"],
    ), f"README.md's {flavor} row: update it to these figures"
