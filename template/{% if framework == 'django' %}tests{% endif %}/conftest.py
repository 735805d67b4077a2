"""Fixtures. pytest-django creates the test database on the real server, migrates it,
runs each test in a transaction it rolls back, and drops the database at the end."""

from pathlib import Path

import pytest
from django.test import Client

from tests.servers import collect_static


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
