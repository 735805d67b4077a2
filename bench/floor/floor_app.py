"""The benchmark's floor: the smallest ASGI app that does what the generated service does.

Starlette routing, one asyncpg pool per worker, no middleware, no ORM, no schema
library. It answers the same three requests as the generated service, with the
same JSON shapes, so its throughput is the ceiling a service on this stack could
reach on this machine (and the generated service's figures are reported as a
ratio of it):

    GET  /health/live              {"status": "ok"}
    GET  /api/v1/items?limit=20    {"items": [...], "next_after": ...}  (keyset page)
    POST /api/v1/items             INSERT ... RETURNING, 201 with the item

Run by bench/run.py under uvicorn with 2 workers:
    python -m uvicorn floor_app:app --workers 2 --loop uvloop --http httptools ...
Settings: DATABASE_URL (a plain postgresql:// URL), DB_POOL_MIN_SIZE, DB_POOL_MAX_SIZE.
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_PAGE_SIZE = 100
COLUMNS = "id, name, description, quantity, created_at, updated_at"
LIST_FIRST_PAGE = f"SELECT {COLUMNS} FROM items ORDER BY id LIMIT $1"
LIST_AFTER = f"SELECT {COLUMNS} FROM items WHERE id > $1 ORDER BY id LIMIT $2"
INSERT = (
    "INSERT INTO items (name, description, quantity, created_at, updated_at)"
    f" VALUES ($1, $2, $3, now(), now()) RETURNING {COLUMNS}"
)
LIVE = b'{"status":"ok"}'


def _timestamp(value: datetime) -> str:
    # The shape pydantic gives an aware UTC datetime: 2025-01-31T12:00:00.123456Z
    return value.isoformat().replace("+00:00", "Z")


def _item(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "quantity": row["quantity"],
        "created_at": _timestamp(row["created_at"]),
        "updated_at": _timestamp(row["updated_at"]),
    }


def _problem(status: int, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def live(request: Request) -> Response:
    return Response(LIVE, media_type="application/json")


async def list_items(request: Request) -> Response:
    try:
        limit = int(request.query_params.get("limit", "20"))
        after_param = request.query_params.get("after")
        after = int(after_param) if after_param is not None else None
    except ValueError:
        return _problem(422, "limit and after must be integers")
    if not 1 <= limit <= MAX_PAGE_SIZE or (after is not None and after < 0):
        return _problem(422, "limit or after out of range")
    pool: asyncpg.Pool = request.app.state.pool
    # One row more than asked tells whether a next page exists, without a count.
    if after is None:
        rows = await pool.fetch(LIST_FIRST_PAGE, limit + 1)
    else:
        rows = await pool.fetch(LIST_AFTER, after, limit + 1)
    page = rows[:limit]
    body = {
        "items": [_item(row) for row in page],
        "next_after": page[-1]["id"] if len(rows) > limit else None,
    }
    return JSONResponse(body)


async def create_item(request: Request) -> Response:
    try:
        data = json.loads(await request.body())
        name = data["name"].strip()
        description = data.get("description")
        quantity = int(data.get("quantity", 0))
    except (ValueError, KeyError, TypeError, AttributeError):
        return _problem(422, "expected {name, description?, quantity?}")
    if not 1 <= len(name) <= 200 or quantity < 0:
        return _problem(422, "name or quantity out of range")
    pool: asyncpg.Pool = request.app.state.pool
    try:
        row = await pool.fetchrow(INSERT, name, description, quantity)
    except asyncpg.UniqueViolationError:
        return _problem(409, "name taken")
    assert row is not None
    return JSONResponse(_item(row), status_code=201, headers={"Location": f"{request.url.path}/{row['id']}"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"],
        min_size=int(os.environ.get("DB_POOL_MIN_SIZE", "10")),
        max_size=int(os.environ.get("DB_POOL_MAX_SIZE", "20")),
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/health/live", live),
        Route("/api/v1/items", list_items, methods=["GET"]),
        Route("/api/v1/items", create_item, methods=["POST"]),
    ],
    lifespan=lifespan,
)
