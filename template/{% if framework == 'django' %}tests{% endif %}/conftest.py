"""Fixtures. pytest-django creates the test database on the real server, migrates it,
runs each test in a transaction it rolls back, and drops the database at the end.
`server` is the production entry point serving that database over real HTTP."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.servers import RunningServer, running_server
from tests.service import FROM_PROXY, collect_static, database_url, production_env


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


@pytest.fixture(scope="module")
def server(django_db_setup: None, django_db_blocker: Any, static_root: Path) -> Iterator[RunningServer]:
    """The production entry point with production settings over real HTTP on the test
    database, its clients behind the TLS proxy: one per test module, so a module may stop it."""
    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    with running_server(production_env(url, static_root), headers=FROM_PROXY) as running:
        yield running
