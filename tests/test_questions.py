"""The questionnaire: every validator and contradiction is refused with a helpful message,
before anything is written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy, run_update

from tests.helpers import QUESTIONS, TEMPLATE_ROOT, WORKING_TREE, project_env, render, template_snapshot

REFUSED = [
    ({"project_name": ""}, "project_name", "Give the project a name"),
    ({"project_name": "9 Lives"}, "project_name", "Start with a letter"),
    ({"project_name": "x" * 61}, "project_name", "Keep it to 60 characters at most"),
    ({"project_slug": "Order_Service"}, "project_slug", "Write it like order-service"),
    ({"project_slug": "order--service"}, "project_slug", "Write it like order-service"),
    ({"package_name": "order-service"}, "package_name", "Write it like order_service"),
    ({"package_name": "1orders"}, "package_name", "Write it like order_service"),
    ({"package_name": "class"}, "package_name", "Rename it: it's a Python keyword"),
    ({"package_name": "logging"}, "package_name", "Add a suffix: it shadows stdlib"),
    # The default package name follows the project name: "Calendar" would be `calendar`.
    ({"project_name": "Calendar"}, "package_name", "Add a suffix: it shadows stdlib"),
    ({"package_name": "tomllib"}, "package_name", "Add a suffix: it shadows stdlib"),
    ({"package_name": "pydantic"}, "package_name", "Add a suffix: it names a module"),
    ({"package_name": "tests"}, "package_name", "Add a suffix: it names a module"),
    ({"project_description": "x" * 201}, "project_description", "Keep it to 200 characters"),
    ({"business_value": "   "}, "business_value", "Say why the project exists"),
    ({"author_name": " "}, "author_name", "Name a team or a person"),
    ({"author_email": "team-at-example.com"}, "author_email", "Give name@domain.tld"),
    ({"author_email": 'te"am@example.com'}, "author_email", "Give name@domain.tld"),
    # Free text lands on one line of Python, TOML or Markdown (issue 16).
    ({"project_description": "One line.\nAnother."}, "project_description", "Use one line, no tabs"),
    ({"business_value": "a\rb"}, "business_value", "Use one line, no tabs"),
    ({"author_name": "Back\x7fend"}, "author_name", "Use one line, no tabs"),
    ({"author_name": "Backend, Platform"}, "author_name", "Leave out ',', '<' and '>'"),
    ({"team_members": "PO,\ttech lead"}, "team_members", "Use one line, no tabs"),
    ({"main_use_cases": "orders\u2028refunds"}, "main_use_cases", "Use one line, no tabs"),
    ({"data_flow": "in\x85out"}, "data_flow", "Use one line, no tabs"),
    ({"security_risks": "\x00"}, "security_risks", "Use one line, no tabs"),
    ({"repository_url": 'https://git.example.com/a"b'}, "repository_url", "Percent-encode"),
    ({"repository_url": "https://git.example.com/" + "x" * 80}, "repository_url", "Keep it to 95 characters"),
    ({"communication_channels": []}, "communication_channels", "Pick at least one"),
    ({"iteration_length_weeks": 13}, "iteration_length_weeks", "Give 0 (none) to 12"),
    (
        {"requirements_document": "maintained", "requirements_url": "docs/reqs"},
        "requirements_url",
        "Use http(s)://…, or nothing",
    ),
    ({"repository_url": "http://git.example.com/x"}, "repository_url", "Use https://… or git@host:path"),
    (
        {"requirements_document": "stale", "requirements_url": "https://docs.example.com/<x>"},
        "requirements_url",
        "Percent-encode",
    ),
    ({"nonfunctional_priorities": []}, "nonfunctional_priorities", "Pick at least one"),
    ({"machines": 0}, "machines", "Give 1 to 1000 machines"),
    # Contradictions between answers.
    # Contradictions between answers: with --data, the later question of the two refuses
    # (interactively, its contradicting choice is shown disabled with the same reason).
    ({"database": "sqlite", "traffic": "high"}, "database", "lower the traffic: SQLite has one writer"),
    ({"database": "sqlite", "data_volume": "large"}, "database", "lower the data volume"),
    (
        {"database": "sqlite", "deployment": "kubernetes"},
        "database",
        "deploy with Compose: SQLite is a file",
    ),
    ({"database": "sqlite", "deployment": "paas"}, "database", "deploy with Compose: SQLite is a file"),
    (
        {"deployment": "compose", "machines": 3},
        "machines",
        "Choose 1: Compose runs on one host",
    ),
    ({"database": "sqlite", "read_replicas": True}, "read_replicas", "Say no: SQLite has no replicas"),
    # An answer that would change nothing is refused, not silently ignored.
    (
        {"architecture_pattern": "hexagonal"},
        "architecture_pattern",
        "pick layered: ADR 0002 says why",
    ),
    ({"framework": "django", "orm": "sqlalchemy"}, "orm", "it follows the framework"),
    ({"framework": "fastapi", "orm": "django"}, "orm", "it follows the framework"),
    (
        {"database": "sqlite", "backup_strategy": "managed_pitr"},
        "backup_strategy",
        "choose dumps: SQLite has no PITR",
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
    # As Copier prints it, at the prompt's one-line toolbar too: whole on an 80-column terminal,
    # whose last column the prompt leaves empty.
    assert len(str(refusal.value)) < 80, str(refusal.value)
    assert not destination.exists()


def test_an_unknown_choice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'oracle' is not in"):
        render(tmp_path / "project", {"database": "oracle"})


def copy_on_the_command_line(destination: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """`copier copy --defaults --skip-tasks -d <answer> …`, as a user types it: answers are text."""
    data = [arg for answer in answers for arg in ("-d", answer)]
    return subprocess.run(
        [
            *("copier", "copy", "--defaults", "--skip-tasks", "--vcs-ref", WORKING_TREE),
            *data,
            str(TEMPLATE_ROOT),
            str(destination),
        ],
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
    ({"database": "sqlite"}, {"read_replicas": True}, "SQLite has no replicas"),
    ({"database": "sqlite"}, {"backup_strategy": "managed_pitr"}, "choose dumps: SQLite has no PITR"),
    # Before: deployment and machines were silently reset to fit SQLite.
    ({}, {"database": "sqlite"}, "for 'database': deploy with Compose: SQLite is a file"),
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
    return template_snapshot(tmp_path_factory.mktemp("template") / "template")


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


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("git@gitlab.example.com:team/order-desk.git", "https://gitlab.example.com/team/order-desk"),
        ("ssh://git@git.example.com:2222/team/order-desk.git", "https://git.example.com/team/order-desk"),
        ("https://github.com/team/order-desk", "https://github.com/team/order-desk"),
    ],
    ids=["scp-like", "ssh-url", "https"],
)
def test_a_repository_url_over_ssh_is_accepted_and_linked_as_its_https_page(
    tmp_path: Path, url: str, web: str
) -> None:
    project = render(tmp_path / "project", {"repository_url": url})

    assert f'Repository = "{web}"' in (project / "pyproject.toml").read_text()
    brief = (project / "docs" / "project.md").read_text()
    assert f"- **URL:** <{web}>" in brief
    assert (f"(clone: `{url}`)" in brief) == (url != web)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["repository_url"] == url


# The last commit whose yes/no questions were confirm prompts (before they became choices).
CONFIRM_PROMPT_COMMIT = "5e729af"


def test_an_update_keeps_yes_no_answers_recorded_before_they_were_choices(
    template_repository: Path, tmp_path: Path
) -> None:
    """Projects generated when the questions were `y/n` prompts record true/false; so do choices."""
    old = tmp_path / "old-template"
    subprocess.run(["git", "clone", "--quiet", str(template_repository), str(old)], check=True)
    subprocess.run(["git", "-C", str(old), "checkout", "--quiet", CONFIRM_PROMPT_COMMIT], check=True)
    subprocess.run(["git", "-C", str(old), "tag", "v1"], check=True)
    spec = yaml.safe_load((old / "copier.yml").read_text())
    assert "choices" not in spec["staging_environment"], "the old template asks yes/no"
    recorded = {"staging_environment": False, "prototype_exists": True, "read_replicas": True}
    project = _generated_project(old, tmp_path / "project", recorded)
    # Point the project at the template as it is now (one more commit, tagged v2).
    subprocess.run(["git", "-C", str(old), "fetch", "--quiet", str(template_repository), "HEAD"], check=True)
    subprocess.run(["git", "-C", str(old), "checkout", "--quiet", "FETCH_HEAD"], check=True)
    subprocess.run(["git", "-C", str(old), "tag", "v2"], check=True)
    assert "choices" in yaml.safe_load((old / "copier.yml").read_text())["staging_environment"]

    run_update(str(project), defaults=True, overwrite=True, quiet=True, unsafe=True, skip_tasks=True)

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v2"
    assert {key: answers[key] for key in recorded} == recorded
    # What the answers drive is still there after the update: no staging, a replica setting.
    env_example = (project / ".env.example").read_text()
    assert "development, test or production" in env_example
    assert "DATABASE_REPLICA_URL" in env_example
