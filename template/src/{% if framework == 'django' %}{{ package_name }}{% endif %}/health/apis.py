"""Probes for the platform: liveness says the process serves, readiness that it can work."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from django.db import connections
from django.http import HttpRequest
from ninja import Router, Schema, Status

logger = logging.getLogger(__name__)

router = Router(tags=["health"])

# Readiness must answer within the platform's probe timeout even if the database hangs.
READINESS_TIMEOUT_SECONDS = 2.0
# Pings run in threads of their own: a hung ping holds one of these, never a thread
# that serves requests, and the event loop never waits for it.
_PING_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readiness")


class Liveness(Schema):
    status: Literal["ok"]


class Readiness(Schema):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]


def ping_database(alias: str = "default") -> None:
    """Raise if the database cannot answer a trivial query; frees the connection after."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


@router.get("/live", response=Liveness, summary="Liveness: the process is serving")
def live(request: HttpRequest) -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/ready",
    response={200: Readiness, 503: Readiness},
    summary="Readiness: the database answers",
)
async def ready(request: HttpRequest) -> Status[Readiness]:
    # The one async view: it alone needs a deadline. The ping runs in a thread (with a
    # connection of its own) that asyncio.wait_for stops waiting for after the timeout.
    ping = asyncio.get_running_loop().run_in_executor(_PING_THREADS, ping_database)
    try:
        await asyncio.wait_for(ping, timeout=READINESS_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 — any failure means "not ready", never a 500
        logger.warning("readiness check failed: %s", type(exc).__name__)
        return Status(503, Readiness(status="unavailable", database="unavailable"))
    return Status(200, Readiness(status="ok", database="ok"))
