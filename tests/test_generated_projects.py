"""Generated projects run their own test suites against the real databases."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.combinations import combination_params
from tests.helpers import Combination, run

SyncedProject = Callable[[Combination], Path]


@pytest.mark.parametrize("combination", combination_params(own_suite_only=True))
def test_generated_project_suite_passes(combination: Combination, synced_project: SyncedProject) -> None:
    """`make test` in the project: its tests, migrations up/down/up, coverage gate."""
    result = run(["make", "test"], synced_project(combination))

    summary = next(line for line in reversed(result.stdout.splitlines()) if line.startswith("="))
    assert re.search(r"\d+ passed", summary), summary
    assert not re.search(r"\d+ (failed|skipped|error)", summary), "a generated project must not skip tests"


# `make review` once per flavor. Elsewhere `make test` above already proves as much: it
# runs tests/test_architecture_review.py (every evidence file exists, every evidence test
# is collected) and every evidence test, and passes only with none failed or skipped.
REVIEWED = ("fastapi-sqlite", "django-sqlite")


@pytest.mark.parametrize("combination", combination_params(names=REVIEWED))
def test_generated_project_review_passes(combination: Combination, synced_project: SyncedProject) -> None:
    """`make review` in the project: every file and test the review names exists, and the tests pass."""
    result = run(["make", "review"], synced_project(combination))

    summary = result.stdout.strip().splitlines()[-1]  # pytest -q ends with "N passed in …"
    assert re.search(r"\d+ passed", summary), summary
    assert not re.search(r"\d+ (failed|skipped|error)", summary), summary


# The combinations that run their own suite with read replicas are on MariaDB. On
# PostgreSQL, this one runs what a replica changes: the replica test (two real databases)
# and the database layer's tests, not the whole suite again.
REPLICAS_ON_POSTGRESQL = ("fastapi-postgresql-replicas",)
REPLICA_TESTS = ["tests/test_read_replica.py", "tests/core/test_database.py"]


@pytest.mark.parametrize("combination", combination_params(names=REPLICAS_ON_POSTGRESQL))
def test_read_replica_tests_pass_on_postgresql(
    combination: Combination, synced_project: SyncedProject
) -> None:
    result = run(
        ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider", *REPLICA_TESTS], synced_project(combination)
    )

    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), summary
    assert not re.search(r"\d+ (failed|skipped|error)", summary), summary
