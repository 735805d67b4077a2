"""The questionnaire at a real interactive prompt (a pseudo-terminal, as a user sees it):
contradictions are refused there too, not only with --data."""

from __future__ import annotations

import re
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.helpers import TEMPLATE_ROOT, project_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DOWN = "\x1b[B"


def _prompt(tmp_path: Path, ask: str, *data: str) -> tuple[pexpect.spawn, Path]:
    """`copier copy` that asks one question interactively; the other answers are given."""
    destination = tmp_path / "project"
    arguments = ["copy", "--skip-tasks", "--defaults", "--ask", ask]
    for answer in data:
        arguments += ["-d", answer]
    child = pexpect.spawn(
        "copier",
        [*arguments, str(TEMPLATE_ROOT), str(destination)],
        dimensions=(50, 120),
        encoding="utf-8",
        timeout=60,
        env=project_env(),
    )
    return child, destination


def _answers(project: Path) -> dict[str, object]:
    recorded: dict[str, object] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return recorded


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (["deployment=compose", "traffic=high"], "lower the traffic: SQLite has one writer"),
        (["deployment=compose", "data_volume=large"], "lower the data volume: SQLite is one file"),
        (["deployment=kubernetes"], "deploy with Compose: SQLite is a local file"),
    ],
    ids=["traffic", "data_volume", "deployment"],
)
def test_a_contradicting_database_is_shown_disabled_and_cannot_be_picked(
    tmp_path: Path, data: list[str], reason: str
) -> None:
    child, destination = _prompt(tmp_path, "database", *data)
    child.expect("Which database system")
    # A disabled choice is skipped by the cursor.
    child.send(DOWN * 2 + "\r")  # unblocked, two steps down would be SQLite
    child.expect(pexpect.EOF)
    screen = ANSI.sub("", child.before or "")

    assert f"SQLite — one file on one host ({reason})" in screen
    assert _answers(destination)["database"] in {"postgresql", "mysql"}


def test_a_contradicting_number_of_machines_is_refused_with_the_reason(tmp_path: Path) -> None:
    child, destination = _prompt(tmp_path, "machines", "deployment=compose")
    child.expect("How many separate machines")
    child.send("\x15" + "3\r")  # clear the default, type 3
    child.expect("Choose 1 machine: Docker Compose runs on a single host")
    child.send("\x08\x081\r")
    child.expect(pexpect.EOF)

    assert _answers(destination)["machines"] == 1


def test_no_read_replica_question_for_sqlite(tmp_path: Path) -> None:
    child, destination = _prompt(tmp_path, "database", "deployment=compose")
    child.expect("Which database system")
    child.send(DOWN * 2 + "\r")  # SQLite is allowed here: Compose, moderate traffic
    child.expect(pexpect.EOF)
    screen = ANSI.sub("", child.before or "")

    answers = _answers(destination)
    assert answers["database"] == "sqlite"
    assert "read_replicas" not in answers
    assert "read replicas" not in screen


def test_the_reasons_shown_beside_a_disabled_choice_fit_in_80_columns() -> None:
    database = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())["database"]
    for label, choice in database["choices"].items():
        if not isinstance(choice, dict):
            continue
        reasons = re.findall(r"%\}([^{]+)", choice["validator"])
        for reason in (r.strip() for r in reasons):
            if reason:
                line = f"   - {label} ({reason})"
                assert len(line) <= 80, f"{len(line)} columns: {line}"
