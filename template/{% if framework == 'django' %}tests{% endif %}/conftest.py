"""Fixtures. pytest-django creates the test database on the real server, migrates it,
runs each test in a transaction it rolls back, and drops the database at the end.
`server` is the production entry point serving that database over real HTTP."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.servers import Serve, server, serving  # noqa: F401 (`server`: a shared fixture)
from tests.service import (
    FROM_PROXY,
    collect_static,
    create_scratch_database,
    database_url,
    drop_scratch_database,
    production_env,
)

# The drills' figures, printed at the end of the run (tests/figures.py).
pytest_plugins = ["tests.figures"]


@pytest.fixture
def client(db: None) -> Client:
    """An HTTP client through the whole middleware stack; server errors come back as responses."""
    return Client(raise_request_exception=False)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Static files collected once for every test that runs the real server."""
    root = tmp_path_factory.mktemp("static")
    collect_static(root)
    return root


@pytest.fixture
def empty_tables(transactional_db: None) -> None:
    """Every table is emptied after the test (by `transactional_db`), whoever wrote to it."""


@pytest.fixture
def scratch_database_url(django_db_setup: None, django_db_blocker: Any, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own on the test server, for tests that migrate from nothing."""
    with django_db_blocker.unblock():
        url = create_scratch_database(tmp_path)
    try:
        yield url
    finally:
        with django_db_blocker.unblock():
            drop_scratch_database(url)


@pytest.fixture(scope="session")
def served_database_url(django_db_setup: None, django_db_blocker: Any) -> str:
    """The database `server` serves: the test database pytest-django created and migrated."""
    with django_db_blocker.unblock():
        return database_url(connection.settings_dict)


@pytest.fixture(scope="session")
def serve(static_root: Path) -> Serve:
    """Starts the production entry point with production settings on a database, its clients
    behind the TLS proxy."""

    return serving(lambda url, settings: production_env(url, static_root, **settings), FROM_PROXY)
