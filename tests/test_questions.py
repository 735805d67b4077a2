"""The questionnaire: every validator and contradiction is refused with a helpful message,
before anything is written."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy, run_update

from tests.helpers import QUESTIONS, TEMPLATE_ROOT, project_env, render

REFUSED = [
    ({"project_name": ""}, "project_name", "cannot be empty"),
    ({"project_name": "9 Lives"}, "project_name", "must start with a letter"),
    ({"project_name": "x" * 61}, "project_name", "60 characters or fewer"),
    ({"project_slug": "Order_Service"}, "project_slug", "lowercase letters, digits and single '-'"),
    ({"project_slug": "order--service"}, "project_slug", "is not valid"),
    ({"package_name": "order-service"}, "package_name", "is not a Python identifier"),
    ({"package_name": "1orders"}, "package_name", "is not a Python identifier"),
    ({"package_name": "class"}, "package_name", "is a Python keyword"),
    ({"package_name": "logging"}, "package_name", "is a module of Python's standard library"),
    # The default package name follows the project name: "Calendar" would be `calendar`.
    ({"project_name": "Calendar"}, "package_name", "is a module of Python's standard library"),
    ({"package_name": "tomllib"}, "package_name", "is a module of Python's standard library"),
    ({"package_name": "pydantic"}, "package_name", "would shadow a module the service imports"),
    ({"package_name": "tests"}, "package_name", "would shadow a module the service imports"),
    ({"project_description": "x" * 201}, "project_description", "200 characters at most"),
    ({"business_value": "   "}, "business_value", "Say in a sentence"),
    ({"author_name": " "}, "author_name", "cannot be empty"),
    ({"author_email": "team-at-example.com"}, "author_email", "is not an e-mail address"),
    ({"author_email": 'te"am@example.com'}, "author_email", "is not an e-mail address"),
    # Free text lands on one line of Python, TOML or Markdown (issue 16).
    ({"project_description": "One line.\nAnother."}, "project_description", "Keep it on one line"),
    ({"business_value": "a\rb"}, "business_value", "Keep it on one line"),
    ({"author_name": "Back\x7fend"}, "author_name", "Keep it on one line"),
    ({"author_name": "Backend, Platform"}, "author_name", "Leave out ',', '<' and '>'"),
    ({"team_members": "PO,\ttech lead"}, "team_members", "Keep it on one line"),
    ({"main_use_cases": "orders\u2028refunds"}, "main_use_cases", "Keep it on one line"),
    ({"data_flow": "in\x85out"}, "data_flow", "Keep it on one line"),
    ({"security_risks": "\x00"}, "security_risks", "Keep it on one line"),
    ({"repository_url": 'https://git.example.com/a"b'}, "repository_url", "percent-encode"),
    ({"repository_url": "https://git.example.com/" + "x" * 80}, "repository_url", "95 characters or fewer"),
    ({"communication_channels": []}, "communication_channels", "at least one channel"),
    ({"iteration_length_weeks": 13}, "iteration_length_weeks", "0 (none) to 12 weeks"),
    (
        {"requirements_document": "maintained", "requirements_url": "docs/reqs"},
        "requirements_url",
        "is not a URL",
    ),
    ({"repository_url": "http://git.example.com/x"}, "repository_url", "is not an https:// URL"),
    (
        {"requirements_document": "stale", "requirements_url": "https://docs.example.com/<x>"},
        "requirements_url",
        "percent-encode",
    ),
    ({"nonfunctional_priorities": []}, "nonfunctional_priorities", "at least one priority"),
    ({"machines": 0}, "machines", "between 1 and 1000"),
    # Contradictions between answers.
    # Contradictions between answers: with --data, the later question of the two refuses
    # (interactively, its contradicting choice is shown disabled with the same reason).
    ({"database": "sqlite", "traffic": "high"}, "database", "lower the traffic: SQLite has one writer"),
    ({"database": "sqlite", "data_volume": "large"}, "database", "lower the data volume"),
    (
        {"database": "sqlite", "deployment": "kubernetes"},
        "database",
        "deploy with Compose: SQLite is a local file",
    ),
    ({"database": "sqlite", "deployment": "paas"}, "database", "deploy with Compose: SQLite is a local file"),
    (
        {"deployment": "compose", "machines": 3},
        "machines",
        "Choose 1 machine: Docker Compose runs on a single",
    ),
    ({"database": "sqlite", "read_replicas": True}, "read_replicas", "SQLite has no read replicas"),
    # An answer that would change nothing is refused, not silently ignored.
    (
        {"architecture_pattern": "hexagonal"},
        "architecture_pattern",
        "the template builds layered feature packages only",
    ),
    ({"framework": "django", "orm": "sqlalchemy"}, "orm", "it follows the framework"),
    ({"framework": "fastapi", "orm": "django"}, "orm", "it follows the framework"),
    (
        {"database": "sqlite", "backup_strategy": "managed_pitr"},
        "backup_strategy",
        "choose scheduled dumps: SQLite has no PITR",
    ),
]


@pytest.mark.parametrize(("data", "question", "message"), REFUSED, ids=[r[1] + ":" + r[2] for r in REFUSED])
def test_wrong_answer_is_refused_before_anything_is_written(
    tmp_path: Path, data: dict[str, Any], question: str, message: str
) -> None:
    destination = tmp_path / "project"

    # A free answer fails its question's validator; a choice, the choice's own validator.
    with pytest.raises(ValueError, match=f"(question|choice for) '{question}'") as refusal:
        render(destination, data)

    assert message in str(refusal.value)
    assert not destination.exists()


def test_an_unknown_choice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'oracle' is not in"):
        render(tmp_path / "project", {"database": "oracle"})


def copy_on_the_command_line(destination: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """`copier copy --defaults --skip-tasks -d <answer> …`, as a user types it: answers are text."""
    data = [arg for answer in answers for arg in ("-d", answer)]
    return subprocess.run(
        [*("copier", "copy", "--defaults", "--skip-tasks"), *data, str(TEMPLATE_ROOT), str(destination)],
        capture_output=True,
        text=True,
        env=project_env(),
        check=False,
    )


def test_the_cli_refuses_a_contradiction_with_the_message(tmp_path: Path) -> None:
    destination = tmp_path / "project"

    result = copy_on_the_command_line(destination, "deployment=compose", "traffic=high", "database=sqlite")

    assert result.returncode != 0
    assert "lower the traffic: SQLite has one writer" in result.stderr
    assert not destination.exists()


def test_the_cli_accepts_a_number_given_as_text(tmp_path: Path) -> None:
    """`-d machines=1` reaches the other questions' checks as the string "1" (it crashed them)."""
    destination = tmp_path / "project"

    result = copy_on_the_command_line(destination, "machines=1")

    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((destination / ".copier-answers.yml").read_text())["machines"] == 1


@pytest.mark.parametrize(("framework", "orm"), [("fastapi", "sqlalchemy"), ("django", "django")])
def test_the_orm_follows_the_framework(tmp_path: Path, framework: str, orm: str) -> None:
    """Not asked (the framework decides it); a matching --data answer is accepted."""
    destination = render(tmp_path / "project", {"framework": framework, "orm": orm})

    assert "orm" not in yaml.safe_load((destination / ".copier-answers.yml").read_text())


def test_sqlite_alone_deploys_with_compose_on_one_host(tmp_path: Path) -> None:
    answers = yaml.safe_load(
        (render(tmp_path / "p", {"database": "sqlite"}) / ".copier-answers.yml").read_text()
    )

    assert (answers["deployment"], answers["machines"], answers["backup_strategy"]) == (
        "compose",
        1,
        "scheduled_dumps",
    )
    assert "read_replicas" not in answers, "not asked for SQLite"


UPDATE_REFUSALS = [
    ({"database": "sqlite"}, {"traffic": "high"}, "for 'traffic': change the database too"),
    ({"database": "sqlite"}, {"deployment": "kubernetes"}, "for 'deployment': change the database too"),
    ({"database": "sqlite"}, {"read_replicas": True}, "SQLite has no read replicas"),
    ({"database": "sqlite"}, {"backup_strategy": "managed_pitr"}, "choose scheduled dumps"),
    # Before: deployment and machines were silently reset to fit SQLite.
    ({}, {"database": "sqlite"}, "for 'database': deploy with Compose: SQLite is a local file"),
    ({}, {"database": "sqlite", "deployment": "compose"}, "for 'deployment': set machines to 1 too"),
    (
        {"read_replicas": True},
        {"database": "sqlite", "deployment": "compose", "machines": 1},
        "read replicas",
    ),
]


@pytest.mark.parametrize(
    ("recorded", "change", "message"),
    UPDATE_REFUSALS,
    ids=[f"{sorted(r)}->{sorted(c)}" for r, c, _ in UPDATE_REFUSALS],
)
def test_an_update_that_contradicts_a_recorded_answer_is_refused(
    template_repository: Path, tmp_path: Path, recorded: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    """Refused with the reason, never resolved by silently resetting a recorded answer."""
    project = _generated_project(template_repository, tmp_path / "project", recorded)
    answers_before = (project / ".copier-answers.yml").read_text()

    with pytest.raises(ValueError, match=re.escape(message)):
        run_update(
            str(project), data=change, defaults=True, overwrite=True, quiet=True, unsafe=True, skip_tasks=True
        )

    assert (project / ".copier-answers.yml").read_text() == answers_before


def test_an_update_may_change_contradicting_answers_together(
    template_repository: Path, tmp_path: Path
) -> None:
    project = _generated_project(template_repository, tmp_path / "project", {"database": "sqlite"})
    change = {"database": "postgresql", "traffic": "high", "deployment": "kubernetes", "machines": 3}

    run_update(
        str(project), data=change, defaults=True, overwrite=True, quiet=True, unsafe=True, skip_tasks=True
    )

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {key: answers[key] for key in change} == change


@pytest.fixture(scope="module")
def template_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of this template as it is now, committed or not."""
    template = tmp_path_factory.mktemp("template") / "template"
    subprocess.run(["git", "clone", "--quiet", str(TEMPLATE_ROOT), str(template)], check=True)
    shutil.copytree(
        TEMPLATE_ROOT, template, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git", ".venv", ".tools")
    )
    subprocess.run(["git", "-C", str(template), "add", "--all"], check=True)
    subprocess.run(
        ["git", "-C", str(template), *_IDENTITY, "commit", "-qm", "v1", "--allow-empty"], check=True
    )
    return template


_IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@e.x")


def _generated_project(template: Path, destination: Path, data: dict[str, Any]) -> Path:
    run_copy(str(template), str(destination), data=data, defaults=True, skip_tasks=True, quiet=True)
    subprocess.run(["git", "-C", str(destination), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(destination), "add", "--all"], check=True)
    subprocess.run(["git", "-C", str(destination), *_IDENTITY, "commit", "-qm", "generated"], check=True)
    return destination


def test_sqlite_is_accepted_where_it_fits(tmp_path: Path) -> None:
    destination = render(tmp_path / "project", {"database": "sqlite", "deployment": "compose"})

    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert answers["database"] == "sqlite"
    assert answers["machines"] == 1
    assert answers["backup_strategy"] == "scheduled_dumps"
    assert "read_replicas" not in answers  # not asked: SQLite has no replicas


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_question_is_typed_helped_and_defaulted(name: str) -> None:
    spec = QUESTIONS[name]

    assert spec.get("type") in {"str", "int", "bool", "float", "yaml", "json"}, f"{name} has no type"
    assert spec.get("help", "").startswith("["), f"{name} needs help text naming its kickoff section"
    assert "default" in spec, f"{name} needs a default so that --defaults works"


def test_questions_follow_the_kickoff_checklist_order() -> None:
    sections = [spec["help"].split("]")[0].strip("[") for spec in QUESTIONS.values()]
    order = ["Project Communication", "Architecture", "Databases"]

    assert [s for i, s in enumerate(sections) if i == 0 or sections[i - 1] != s] == order
