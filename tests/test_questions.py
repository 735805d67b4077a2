"""The questionnaire: every validator and contradiction is refused with a helpful message,
before anything is written."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import TEMPLATE_ROOT, project_env, render

QUESTIONS: dict[str, Any] = {
    name: spec
    for name, spec in yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text()).items()
    # Computed values (`when: false`) are never asked: not questions.
    if not name.startswith("_") and spec.get("when") is not False
}

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
    ({"communication_channels": []}, "communication_channels", "at least one channel"),
    ({"iteration_length_weeks": 13}, "iteration_length_weeks", "0 (none) to 12 weeks"),
    (
        {"requirements_document": "maintained", "requirements_url": "docs/reqs"},
        "requirements_url",
        "is not a URL",
    ),
    ({"repository_url": "http://git.example.com/x"}, "repository_url", "is not an https:// URL"),
    ({"nonfunctional_priorities": []}, "nonfunctional_priorities", "at least one priority"),
    ({"machines": 0}, "machines", "between 1 and 1000"),
    # Contradictions between answers.
    ({"deployment": "compose", "machines": 3}, "machines", "Docker Compose runs on a single host"),
    (
        {"database": "sqlite", "deployment": "compose", "traffic": "high"},
        "database",
        "SQLite allows one writer at a time and cannot serve high traffic",
    ),
    (
        {"database": "sqlite", "deployment": "compose", "data_volume": "large"},
        "database",
        "does not suit more than a terabyte",
    ),
    (
        {"database": "sqlite", "deployment": "kubernetes"},
        "database",
        "which Kubernetes does not keep across restarts",
    ),
    (
        {"database": "sqlite", "deployment": "compose", "read_replicas": True},
        "read_replicas",
        "SQLite has no read replicas",
    ),
    (
        {"framework": "django", "orm": "sqlalchemy"},
        "orm",
        "SQLAlchemy with Alembic is offered with FastAPI only",
    ),
    ({"framework": "fastapi", "orm": "django"}, "orm", "The Django ORM needs Django"),
    (
        {"database": "sqlite", "deployment": "compose", "backup_strategy": "managed_pitr"},
        "backup_strategy",
        "no managed point-in-time recovery for SQLite",
    ),
]


@pytest.mark.parametrize(("data", "question", "message"), REFUSED, ids=[r[1] + ":" + r[2] for r in REFUSED])
def test_wrong_answer_is_refused_before_anything_is_written(
    tmp_path: Path, data: dict[str, Any], question: str, message: str
) -> None:
    destination = tmp_path / "project"

    with pytest.raises(ValueError, match=f"question '{question}'") as refusal:
        render(destination, data)

    assert message in str(refusal.value)
    assert not destination.exists()


def test_an_unknown_choice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'oracle' is not in"):
        render(tmp_path / "project", {"database": "oracle"})


def test_the_cli_refuses_a_contradiction_with_the_message(tmp_path: Path) -> None:
    destination = tmp_path / "project"

    result = subprocess.run(
        [
            *("copier", "copy", "--defaults", "--skip-tasks"),
            *("-d", "database=sqlite", "-d", "deployment=compose", "-d", "traffic=high"),
            *(str(TEMPLATE_ROOT), str(destination)),
        ],
        capture_output=True,
        text=True,
        env=project_env(),
        check=False,
    )

    assert result.returncode != 0
    assert "cannot serve high traffic" in result.stderr
    assert not destination.exists()


@pytest.mark.parametrize(("framework", "orm"), [("fastapi", "sqlalchemy"), ("django", "django")])
def test_the_orm_follows_the_framework(tmp_path: Path, framework: str, orm: str) -> None:
    destination = render(tmp_path / "project", {"framework": framework})

    assert yaml.safe_load((destination / ".copier-answers.yml").read_text())["orm"] == orm


def test_sqlite_is_accepted_where_it_fits(tmp_path: Path) -> None:
    destination = render(tmp_path / "project", {"database": "sqlite", "deployment": "compose"})

    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert answers["database"] == "sqlite"
    assert answers["machines"] == 1
    assert answers["backup_strategy"] == "scheduled_dumps"
    assert answers["read_replicas"] is False


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_question_is_typed_helped_and_defaulted(name: str) -> None:
    spec = QUESTIONS[name]

    assert spec.get("type") in {"str", "int", "bool", "float", "yaml", "json"}, f"{name} has no type"
    assert spec.get("help", "").startswith("["), f"{name} needs help text naming its kickoff section"
    assert "default" in spec, f"{name} needs a default so that --defaults works"


def test_questions_follow_the_kickoff_checklist_order() -> None:
    sections = [spec["help"].split("]")[0].strip("[") for spec in QUESTIONS.values()]
    order = ["Project Communication", "Architecture", "Databases", "Web Servers"]

    assert [s for i, s in enumerate(sections) if i == 0 or sections[i - 1] != s] == order
