"""Fixtures. pytest-django creates the test database on the real server, migrates it,
runs each test in a transaction it rolls back, and drops the database at the end."""

import pytest
from django.test import Client


@pytest.fixture
def client(db: None) -> Client:
    """An HTTP client through the whole middleware stack; server errors come back as responses."""
    return Client(raise_request_exception=False)
