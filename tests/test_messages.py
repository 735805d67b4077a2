"""What the questionnaire says when it refuses an answer: the advice first, in 80 columns
as Copier prints it, and nothing it cannot do (Copier cannot go back). And the
`make project` path: a refused answer is one line, not a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import QUESTIONS, TEMPLATE_ROOT, WORKING_TREE, project_env

# How Copier shows a refusal. A question's validator: in the prompt's one-line toolbar
# (cut at the terminal's width) and as the error of a refused -d answer. A choice's
# validator: beside the disabled choice at the prompt, and as the error of a refused -d.
QUESTION_REFUSAL = "Validation error for question '{name}': {message}"
CHOICE_AT_PROMPT = "   - {label} ({message})"
CHOICE_REFUSAL = "Invalid choice for '{name}': {message}"
COLUMNS = 80

# A message starts with what to do: one of these verbs (a choice's reason is lowercase,
# after the label it follows).
ADVICE = {
    "Add",
    "Choose",
    "Give",
    "Keep",
    "Leave",
    "Name",
    "Percent-encode",
    "Pick",
    "Rename",
    "Say",
    "Start",
    "Use",
    "Write",
    "change",
    "choose",
    "deploy",
    "lower",
    "pick",
    "say",
    "set",
}

FREE_TEXT = (TEMPLATE_ROOT / "includes" / "free-text.jinja").read_text()
# An expression in a message stands for at most this many characters (a count, a number).
EXPRESSION_WIDTH = 4


def _messages(validator: str) -> list[str]:
    """The literal messages of a validator: the text between its Jinja tags."""
    without_comments = re.sub(r"\{#.*?#\}", "", validator, flags=re.DOTALL)
    messages = []
    for text in re.split(r"\{%.*?%\}", without_comments, flags=re.DOTALL):
        if "free_text.refusal(" in text:
            messages += _messages(FREE_TEXT)
            text = re.sub(r"\{\{\s*free_text\.refusal\(.*?\)\s*\}\}", "", text)
        if text.strip():
            messages.append(re.sub(r"\{\{.*?\}\}", "9" * EXPRESSION_WIDTH, text.strip()))
    return messages


def _echoed_answers(validator: str) -> list[str]:
    """Free-text answers a validator's message repeats: their length is the user's, unbounded."""
    free = {name for name, spec in QUESTIONS.items() if spec["type"] == "str" and "choices" not in spec}
    expressions = re.findall(r"\{\{(.*?)\}\}", validator)
    return [e.strip() for e in expressions if e.strip() in free]


def _refusals() -> list[tuple[str, str, str, str]]:
    """(question, where it shows, the message, the line as Copier prints it) for every message."""
    lines = []
    for name, spec in QUESTIONS.items():
        for message in _messages(spec.get("validator", "")):
            lines.append((name, "question", message, QUESTION_REFUSAL.format(name=name, message=message)))
        for label, choice in spec.get("choices", {}).items():
            if not isinstance(choice, dict):
                continue
            for message in _messages(choice.get("validator", "")):
                lines.append((name, "prompt", message, CHOICE_AT_PROMPT.format(label=label, message=message)))
                lines.append((name, "choice", message, CHOICE_REFUSAL.format(name=name, message=message)))
    return lines


REFUSALS = _refusals()


def test_the_static_check_sees_every_validator() -> None:
    with_validators = {
        name
        for name, spec in QUESTIONS.items()
        if spec.get("validator") or any(isinstance(c, dict) for c in spec.get("choices", {}).values())
    }
    assert {name for name, _, _, _ in REFUSALS} == with_validators
    assert len(REFUSALS) >= 40, len(REFUSALS)


IDS = [f"{question}-{where}-{index}" for index, (question, where, _, _) in enumerate(REFUSALS)]


@pytest.mark.parametrize(("question", "where", "message", "line"), REFUSALS, ids=IDS)
def test_every_message_fits_in_80_columns_as_copier_prints_it(
    question: str, where: str, message: str, line: str
) -> None:
    # The prompt leaves a terminal's last column empty: 79 characters show on 80 columns.
    assert len(line) < COLUMNS, f"{len(line)} columns: {line}"


@pytest.mark.parametrize(("question", "where", "message", "line"), REFUSALS, ids=IDS)
def test_every_message_starts_with_the_advice(question: str, where: str, message: str, line: str) -> None:
    assert message.split()[0].rstrip(":;,") in ADVICE, f"advice first, please: {message!r}"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_no_message_repeats_a_free_text_answer(name: str) -> None:
    """The answer is on the screen above the message; repeating it would push the advice out."""
    spec: dict[str, Any] = QUESTIONS[name]
    validators = [spec.get("validator", "")]
    validators += [c.get("validator", "") for c in spec.get("choices", {}).values() if isinstance(c, dict)]
    assert [echo for v in validators for echo in _echoed_answers(v)] == []


def test_nothing_tells_the_user_to_go_back() -> None:
    """Copier asks each question once, in order: there is no going back to an answer."""
    texts = [TEMPLATE_ROOT / "copier.yml", *sorted((TEMPLATE_ROOT / "includes").rglob("*.jinja"))]
    texts += [TEMPLATE_ROOT / "docs" / "questions.md"]
    offending = [str(path) for path in texts if re.search(r"go(ing)? back", path.read_text(), re.IGNORECASE)]
    assert offending == []


def _make_project(destination: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """`make project` as a user runs it, from this checkout (the wrapper the target calls)."""
    data = " ".join(f"-d {answer}" for answer in answers)
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "project",
            f"DEST={destination}",
            f"ARGS=--skip-tasks -q --vcs-ref={WORKING_TREE} {data}",
        ],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        env=project_env(),
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("answers", "line"),
    [
        (["machines=0"], "Refused: Validation error for question 'machines': Give 1 to 1000 machines."),
        (
            ["deployment=compose", "traffic=high", "database=sqlite"],
            "Refused: Invalid choice for 'database': lower the traffic: SQLite has one writer",
        ),
    ],
    ids=["question", "choice"],
)
def test_make_project_shows_a_refused_answer_as_one_line(
    tmp_path: Path, answers: list[str], line: str
) -> None:
    destination = tmp_path / "project"

    result = _make_project(destination, *answers)

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    refusals = [text for text in result.stderr.splitlines() if text.startswith("Refused:")]
    assert refusals == [line]
    assert len(line) <= COLUMNS  # printed plainly, not by the prompt: all 80 columns show
    assert not destination.exists()


def test_the_wrapper_passes_copiers_own_exit_codes_through(tmp_path: Path) -> None:
    """Not a refusal: Copier's own error (here, a template that does not exist) and its exit code."""
    result = subprocess.run(
        [sys.executable, "scripts/project.py", "--defaults", str(tmp_path / "nowhere"), str(tmp_path / "p")],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        env=project_env(),
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert "Refused:" not in result.stderr
