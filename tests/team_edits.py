"""What a team does to a generated project between two template releases, as data.

Each flavor's edits add an `orders` feature package with its migration and test, wire it
into the files the template keeps changing (FastAPI's `main.py` and migrations `env.py`,
Django's `api.py` and settings), add a setting to `core/config.py` and `.env.example`,
put the feature under the import-linter contracts in `pyproject.toml` and add a note to
the README (`uv add httpx` is run by the test). Each edit is made the way the file in
hand allows, so `apply` works on every release and, run again after an update, changes
only what the update lost: tests/test_update_across_releases.py relies on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE = "src/preflight_service"  # the default answers' package


@dataclass(frozen=True)
class Insert:
    """Put a text after the first line that starts with an anchor (stripped), the way the
    file in hand allows: `ways` are (anchor, text) pairs tried in order, as a team wires a
    feature in the way its version of the file does. Skipped when the text is there already, and,
    when `optional`, when no anchor is found (the file no longer needs the edit)."""

    path: str
    ways: tuple[tuple[str, str], ...]
    optional: bool = False


@dataclass(frozen=True)
class Replace:
    """Rewrite one whole line of a generated file: `ways` are (old line, new line) pairs."""

    path: str
    ways: tuple[tuple[str, str], ...]


def _edit(target: Path, edit: Insert | Replace) -> bool:
    """Make one edit; False when it was there already or is not needed."""
    lines = target.read_text().splitlines()
    for old, new in edit.ways:
        new_lines = new.splitlines()
        if isinstance(edit, Replace):
            if new in lines:
                return False
            if old in lines:
                lines[lines.index(old)] = new
                break
        else:
            if any(lines[i : i + len(new_lines)] == new_lines for i in range(len(lines))):
                return False
            anchors = [i for i, line in enumerate(lines) if line.strip().startswith(old)]
            if anchors:
                lines[anchors[0] + 1 : anchors[0] + 1] = new_lines
                break
    else:
        if isinstance(edit, Insert) and edit.optional:
            return False
        raise AssertionError(f"{target}: none of the lines the team's edit expects is there: {edit.ways}")
    target.write_text("\n".join(lines) + "\n")
    return True


def _apply(project: Path, edits: list[Insert | Replace], new_files: dict[str, str]) -> set[str]:
    changed = set()
    for path, text in new_files.items():
        target = project / path
        if target.exists() and target.read_text() == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        changed.add(path)
    for edit in edits:
        if _edit(project / edit.path, edit):
            changed.add(edit.path)
    return changed


README_NOTE = """
## Our team's notes

Orders are counted at /api/v1/orders/count; the order pages list ORDERS_PAGE_SIZE at a time.
"""

# Every setting is documented in .env.example (required by the generated tests since 0.3.0).
ENV_EXAMPLE_NOTE = "# Orders: how many an order page lists.\n# ORDERS_PAGE_SIZE=50\n"

FASTAPI_FILES = {
    f"{PACKAGE}/orders/__init__.py": '"""Orders: the team\'s own feature."""\n',
    f"{PACKAGE}/orders/constants.py": '"""Limits of the orders feature."""\n\nREFERENCE_MAX_LENGTH = 40\n',
    f"{PACKAGE}/orders/exceptions.py": '"""Errors of the orders feature (none yet)."""\n',
    f"{PACKAGE}/orders/schemas.py": '''"""What the orders endpoints answer."""

from pydantic import BaseModel


class OrderCount(BaseModel):
    count: int
''',
    f"{PACKAGE}/orders/models.py": '''"""ORM model of the orders feature."""

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from preflight_service.core.database import Base
from preflight_service.orders.constants import REFERENCE_MAX_LENGTH


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX_LENGTH), unique=True)
''',
    f"{PACKAGE}/orders/repository.py": '''"""Reads of the orders table."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from preflight_service.orders.models import Order


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count(self) -> int:
        return (await self._session.execute(select(func.count()).select_from(Order))).scalar_one()
''',
    f"{PACKAGE}/orders/service.py": '''"""Use cases of the orders feature."""

from preflight_service.orders.repository import OrderRepository


class OrderService:
    def __init__(self, repository: OrderRepository) -> None:
        self._repository = repository

    async def count(self) -> int:
        return await self._repository.count()
''',
    f"{PACKAGE}/orders/dependencies.py": '''"""Dependency wiring of the orders feature."""

from typing import Annotated

from fastapi import Depends

from preflight_service.core.database import ReadDbSession
from preflight_service.orders.repository import OrderRepository
from preflight_service.orders.service import OrderService


def get_order_service(session: ReadDbSession) -> OrderService:
    return OrderService(OrderRepository(session))


OrderServiceDep = Annotated[OrderService, Depends(get_order_service)]
''',
    f"{PACKAGE}/orders/router.py": '''"""HTTP endpoints of the orders feature."""

from fastapi import APIRouter

from preflight_service.orders.dependencies import OrderServiceDep
from preflight_service.orders.schemas import OrderCount

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("/count")
async def count_orders(service: OrderServiceDep) -> OrderCount:
    return OrderCount(count=await service.count())
''',
    f"{PACKAGE}/migrations/versions/0002_create_orders.py": '''"""Create the orders table.

Revision ID: 0002
Revises: 0001
Create Date: by the team
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("reference", name=op.f("uq_orders_reference")),
    )


def downgrade() -> None:
    op.drop_table("orders")
''',
    "tests/orders/__init__.py": "",
    "tests/orders/test_router.py": """from httpx import AsyncClient


async def test_no_orders_at_first(client: AsyncClient) -> None:
    response = await client.get("/api/v1/orders/count")

    assert response.status_code == 200
    assert response.json() == {"count": 0}
""",
}

SETTING = (
    "    # Orders: how many an order page lists.\n    orders_page_size: int = Field(default=50, ge=1, le=500)"
)
ORDERS_CONTAINERS = (
    'containers = ["preflight_service.items"]',
    'containers = ["preflight_service.items", "preflight_service.orders"]',
)

FASTAPI_EDITS: list[Insert | Replace] = [
    Insert(
        f"{PACKAGE}/main.py",
        (
            (
                "from preflight_service.items.router import router as items_router",
                "from preflight_service.orders.router import router as orders_router",
            ),
        ),
    ),
    # 0.1.0 nests the feature routers under one versioned router; later releases include
    # each with the version prefix.
    Insert(
        f"{PACKAGE}/main.py",
        (
            ("api_v1.include_router(items_router)", "    api_v1.include_router(orders_router)"),
            (
                "app.include_router(items_router, prefix=API_V1_PREFIX)",
                "    app.include_router(orders_router, prefix=API_V1_PREFIX)",
            ),
        ),
    ),
    # Until 0.3.0, migrations see only the models env.py imports; since, every feature's.
    Insert(
        f"{PACKAGE}/migrations/env.py",
        (
            (
                "from preflight_service.items import models as _items_models",
                "from preflight_service.orders import models as _orders_models  # noqa: F401",
            ),
        ),
        optional=True,
    ),
    Insert(f"{PACKAGE}/core/config.py", (("db_echo: bool = False", SETTING),)),
    Replace("pyproject.toml", (ORDERS_CONTAINERS,)),
    Replace(
        "pyproject.toml",
        (
            (
                'layers = ["main", "items | health", "core"]',
                'layers = ["main", "items | health | orders", "core"]',
            ),
        ),
    ),
]

DJANGO_FILES = {
    f"{PACKAGE}/orders/__init__.py": '"""Orders: the team\'s own feature app."""\n',
    f"{PACKAGE}/orders/apps.py": """from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "preflight_service.orders"
    label = "orders"
    verbose_name = "Orders"
""",
    f"{PACKAGE}/orders/constants.py": '"""Limits of the orders feature."""\n\nREFERENCE_MAX_LENGTH = 40\n',
    f"{PACKAGE}/orders/exceptions.py": '"""Errors of the orders feature (none yet)."""\n',
    f"{PACKAGE}/orders/schemas.py": '''"""What the orders endpoints answer."""

from ninja import Schema


class OrderCount(Schema):
    count: int
''',
    f"{PACKAGE}/orders/models.py": '''"""The orders feature's model."""

from django.db import models

from preflight_service.orders.constants import REFERENCE_MAX_LENGTH


class Order(models.Model):
    reference = models.CharField(max_length=REFERENCE_MAX_LENGTH, unique=True)
''',
    f"{PACKAGE}/orders/admin.py": """from django.contrib import admin

from preflight_service.orders.models import Order

admin.site.register(Order)
""",
    f"{PACKAGE}/orders/services.py": '''"""Writes of the orders feature."""

from preflight_service.orders.models import Order


def order_create(*, reference: str) -> Order:
    return Order.objects.create(reference=reference)
''',
    f"{PACKAGE}/orders/selectors.py": '''"""Reads of the orders feature."""

from preflight_service.orders.models import Order


def order_count() -> int:
    return Order.objects.count()
''',
    f"{PACKAGE}/orders/apis.py": '''"""HTTP endpoints of the orders feature."""

from django.http import HttpRequest
from ninja import Router

from preflight_service.orders.schemas import OrderCount
from preflight_service.orders.selectors import order_count

router = Router(tags=["orders"])


@router.get("/count", response=OrderCount, summary="Count the orders")
def count_orders(request: HttpRequest) -> OrderCount:
    return OrderCount(count=order_count())
''',
    f"{PACKAGE}/orders/migrations/__init__.py": "",
    f"{PACKAGE}/orders/migrations/0001_initial.py": """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reference", models.CharField(max_length=40, unique=True)),
            ],
        ),
    ]
""",
    "tests/orders/__init__.py": "",
    "tests/orders/test_apis.py": """from django.test import Client

from preflight_service.orders.services import order_create


def test_orders_are_counted(client: Client) -> None:
    assert client.get("/api/v1/orders/count").json() == {"count": 0}

    order_create(reference="A-1")

    assert client.get("/api/v1/orders/count").json() == {"count": 1}
""",
}

DJANGO_EDITS: list[Insert | Replace] = [
    Insert(
        f"{PACKAGE}/api.py",
        (
            (
                "from preflight_service.items.apis import router as items_router",
                "from preflight_service.orders.apis import router as orders_router",
            ),
        ),
    ),
    Insert(
        f"{PACKAGE}/api.py",
        (
            (
                'api.add_router(f"{API_V1_PREFIX}/items", items_router)',
                'api.add_router(f"{API_V1_PREFIX}/orders", orders_router)',
            ),
        ),
    ),
    Insert(
        f"{PACKAGE}/settings/base.py", (('"preflight_service.items",', '    "preflight_service.orders",'),)
    ),
    Insert(
        f"{PACKAGE}/core/config.py", (("db_command_timeout_seconds: int = Field(default=30, ge=1)", SETTING),)
    ),
    Replace("pyproject.toml", (ORDERS_CONTAINERS,)),
    # 0.3.0 moved the health probes into an app of their own.
    Replace(
        "pyproject.toml",
        (
            (
                'layers = ["__main__ | asgi", "urls", "api", "items | accounts", "core"]',
                'layers = ["__main__ | asgi", "urls", "api", "items | accounts | orders", "core"]',
            ),
            (
                'layers = ["__main__ | asgi", "urls", "api", "items | accounts | health", "core"]',
                'layers = ["__main__ | asgi", "urls", "api", "items | accounts | health | orders", "core"]',
            ),
        ),
    ),
]


def apply(project: Path, framework: str) -> set[str]:
    """Make the team's edits in a project generated with the default answers, the way its
    files allow; return the files changed. A second run changes nothing."""
    if framework == "fastapi":
        changed = _apply(project, FASTAPI_EDITS, FASTAPI_FILES)
    else:
        changed = _apply(project, DJANGO_EDITS, DJANGO_FILES)
    for name, note in (("README.md", README_NOTE), (".env.example", ENV_EXAMPLE_NOTE)):
        target = project / name
        if note not in target.read_text():
            target.write_text(target.read_text() + note)
            changed.add(name)
    return changed
