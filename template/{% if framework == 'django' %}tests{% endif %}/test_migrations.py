"""Migrations go up and down on the real database, and match the models."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    out = StringIO()

    call_command("makemigrations", "--check", "--dry-run", stdout=out)

    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_migrate_to_zero_and_back_to_latest() -> None:
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    apps_with_migrations = {app for app, _ in leaves}

    executor.migrate([(app, None) for app in apps_with_migrations])
    emptied = set(connection.introspection.table_names()) - {"django_migrations"}

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)
    restored = set(connection.introspection.table_names())

    assert emptied == set()
    assert {"items_item", "accounts_user"} <= restored
