"""What every part of the benchmark uses: where things are, the run's options and
services, running a command, PostgreSQL's administration."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CREATE_LUA = BENCH_DIR / "create.lua"
FLOOR_DIR = BENCH_DIR / "floor"
COPY_FLOOR_DIR = FLOOR_DIR / "copier-template"

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN_DSN = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
WORKERS = 2

LIVE = "/health/live"
ITEMS = "/api/v1/items"
ENDPOINTS = {
    "liveness": ("GET", LIVE),
    "list": ("GET", f"{ITEMS}?limit=20"),
    "create": ("POST", ITEMS),
}
# Sent with every request, to every target: what a TLS-terminating proxy adds.
PROXY_HEADER = "X-Forwarded-Proto: https"


class BrokenError(Exception):
    """Something that must work did not: the run is invalid and exits non-zero."""


@dataclass
class Options:
    frameworks: list[str]
    rounds: int
    duration: int
    warmup: int
    connections: int
    threads: int
    items: int
    keep: bool
    compare: Path | None  # the previous results to compare with, None for none


@dataclass
class Service:
    name: str  # fastapi, django, floor
    label: str
    project: Path | None = None
    package: str | None = None
    generation: dict[str, float] = field(default_factory=dict)
    first_page_keys: list[str] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    master_rss_mib: float | None = None
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- tools


def child_env(**extra: str) -> dict[str, str]:
    """The environment for tools run in a generated project: not this repo's venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.update(extra)
    return env


def run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float, what: str) -> float:
    """Run a command to completion; return its wall time; raise BrokenError if it fails."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True, check=False
        )
    except subprocess.TimeoutExpired as exc:
        msg = f"{what}: timed out after {timeout:.0f} s"
        raise BrokenError(msg) from exc
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
        msg = f"{what}: exit status {done.returncode}\n{tail}"
        raise BrokenError(msg)
    return elapsed


def copier_executable() -> str:
    # The Copier pinned in the template's dev group (this venv), else the one on PATH.
    pinned = Path(sys.prefix) / "bin" / "copier"
    found = str(pinned) if pinned.exists() else shutil.which("copier")
    if not found:
        msg = "copier is not installed (run `uv sync` in the template repository)"
        raise BrokenError(msg)
    return found


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing Debian's package (apt-get install -y wrk)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([*sudo, "apt-get", "update", "-qq"], [*sudo, "apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
    found = shutil.which("wrk")
    if not found:
        msg = "wrk could not be installed"
        raise BrokenError(msg)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --------------------------------------------------------------------------- database


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(name: str) -> None:
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))


def drop_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def apply_sql(database: str, sql: str) -> None:
    connection = await asyncpg.connect(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def check_postgres() -> str:
    async def version() -> str:
        connection = await asyncpg.connect(ADMIN_DSN, timeout=5)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    try:
        return asyncio.run(version())
    except (OSError, asyncpg.PostgresError) as exc:
        msg = f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} as {PG_USER} (trust auth): {exc}"
        raise BrokenError(msg) from exc


def service_project(service: Service) -> Path:
    if service.project is None:
        msg = f"{service.label}: no generated project to run"
        raise BrokenError(msg)
    return service.project
