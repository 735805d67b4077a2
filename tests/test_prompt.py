"""The questionnaire at a real interactive prompt (a pseudo-terminal, as a user sees it):
contradictions are refused there too, not only with --data."""

from __future__ import annotations

import re
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.helpers import TEMPLATE_ROOT, WORKING_TREE, project_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DOWN = "\x1b[B"


# The narrowest terminal the messages are written for (tests/test_messages.py).
COLUMNS = 80


def _prompt(tmp_path: Path, ask: str | list[str], *data: str) -> tuple[pexpect.spawn, Path]:
    """`copier copy` that asks some questions interactively, at 80 columns; the others are given."""
    destination = tmp_path / "project"
    arguments = ["copy", "--skip-tasks", "--defaults", "--vcs-ref", WORKING_TREE]
    for question in [ask] if isinstance(ask, str) else ask:
        arguments += ["--ask", question]
    for answer in data:
        arguments += ["-d", answer]
    child = pexpect.spawn(
        "copier",
        [*arguments, str(TEMPLATE_ROOT), str(destination)],
        dimensions=(50, COLUMNS),
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
        (["deployment=kubernetes"], "deploy with Compose: SQLite is a file"),
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

    # Whole on the 80-column screen: a longer line would be cut at the edge.
    assert f"   - SQLite — one file on one host ({reason})" in screen
    assert _answers(destination)["database"] in {"postgresql", "mysql"}


def test_a_contradicting_number_of_machines_is_refused_with_the_reason(tmp_path: Path) -> None:
    child, destination = _prompt(tmp_path, "machines", "deployment=compose")
    child.expect("How many separate machines")
    child.send("\x15" + "3\r")  # clear the default, type 3
    # The one-line toolbar under the prompt cuts at the terminal's width: the advice is whole.
    child.expect_exact("Validation error for question 'machines': Choose 1: Compose runs on one host.")
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
                assert len(line) < COLUMNS, f"{len(line)} columns: {line}"


def test_a_refused_slug_shows_its_advice_whole_at_80_columns(tmp_path: Path) -> None:
    child, destination = _prompt(tmp_path, "project_slug")
    child.expect("Slug for the repository")
    child.send("\x15" + "Order_Service_" + "x" * 40 + "\r")
    child.expect_exact("Validation error for question 'project_slug': Write it like order-service.")
    child.send("\x15" + "order-service\r")
    child.expect(pexpect.EOF)

    assert _answers(destination)["project_slug"] == "order-service"


def test_a_yes_no_question_is_a_choice_and_its_enter_does_not_answer_the_next(tmp_path: Path) -> None:
    """At a yes/no prompt `n` submitted at once, and the Enter after it took the next default."""
    child, destination = _prompt(tmp_path, ["staging_environment", "security_risks"])
    child.expect("Will there be separate test/staging servers")
    child.expect_exact("No")
    child.send("n")  # not an answer at a choice: nothing is submitted
    child.send("\r")  # the Enter that used to skip the next question picks the highlighted Yes
    child.expect("What special security or safety risks exist")
    child.send("\x15" + "card data in logs\r")
    child.expect(pexpect.EOF)

    answers = _answers(destination)
    assert answers["staging_environment"] is True
    assert answers["security_risks"] == "card data in logs"


def test_a_yes_no_choice_records_false_for_no(tmp_path: Path) -> None:
    child, destination = _prompt(tmp_path, "scheduled_update_check")
    child.expect("Check for template updates on a schedule")
    child.send(DOWN + "\r")  # from the default Yes to No
    child.expect(pexpect.EOF)

    assert _answers(destination)["scheduled_update_check"] is False
    assert not (destination / ".github" / "workflows" / "template-update.yml").exists()
