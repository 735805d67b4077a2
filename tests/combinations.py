"""The answer combinations the suite renders.

Every choice of every question that changes generated code appears in at least one
combination (test_rendering checks that against copier.yml), and the three database
choices each run the generated project's own test suite.
"""

from __future__ import annotations

import pytest

from tests.helpers import Combination

# Questions whose answers change generated files beyond the docs' prose: code,
# configuration, CI, or the review's verdicts. (The others only inform the docs.)
CODE_DRIVING_QUESTIONS = (
    "repository_host",
    "framework",
    "python_version",
    "database",
    "read_replicas",
    "traffic",
    "deployment",
    "staging_environment",
    "backup_strategy",
    "scheduled_update_check",
)

# Choices no combination can sync and run here, with why; the single-choice pass
# (tests/test_single_choices.py) still renders them and runs ruff and mypy --strict on them.
NOT_RUNNABLE_HERE = {
    # No Python 3.14 on these machines, and uv cannot download one: `uv sync` cannot run.
    "python_version": ("3.14",),
}

COMBINATIONS = (
    Combination("fastapi-postgresql", {}, runs_own_suite=True),
    Combination(
        "fastapi-mariadb",
        {
            "database": "mysql",
            "python_version": "3.12",
            "traffic": "high",
            "read_replicas": True,
            "deployment": "kubernetes",
            "backup_strategy": "scheduled_dumps",
            "staging_environment": False,
            "project_name": "Order Desk",
            "repository_host": "other",
        },
        runs_own_suite=True,
    ),
    Combination(
        "fastapi-sqlite",
        {"database": "sqlite", "deployment": "compose", "python_version": "3.11", "traffic": "low"},
        runs_own_suite=True,
    ),
    Combination("django-postgresql", {"framework": "django"}, runs_own_suite=True),
    Combination(
        "django-mariadb",
        {
            "framework": "django",
            "database": "mysql",
            "python_version": "3.13",
            "read_replicas": True,
            "repository_host": "gitlab",
            "staging_environment": False,
        },
        runs_own_suite=True,
    ),
    Combination(
        "django-sqlite",
        {"framework": "django", "database": "sqlite", "deployment": "compose", "python_version": "3.11"},
        runs_own_suite=True,
    ),
    # Its read replica tests run on PostgreSQL (test_generated_projects.py); the suite does not.
    Combination(
        "fastapi-postgresql-replicas",
        {
            "read_replicas": True,
            "python_version": "3.11",
            "package_name": "ledger_api",
            "compliance": ["gdpr"],
            "repository_host": "gitlab",
            "scheduled_update_check": False,
        },
    ),
)


def combination_params(*, own_suite_only: bool = False, names: tuple[str, ...] = ()) -> list[object]:
    """pytest params, grouped so that one xdist worker renders and syncs each combination."""
    return [
        pytest.param(combination, id=combination.name, marks=pytest.mark.xdist_group(combination.name))
        for combination in COMBINATIONS
        if (combination.runs_own_suite or not own_suite_only) and (not names or combination.name in names)
    ]
