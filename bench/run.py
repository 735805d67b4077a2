"""Preflight's benchmark: `make bench` (or `uv run --group bench python bench/run.py`).

From a fresh clone, in a few minutes, on one machine:

1. Generates the default FastAPI and Django projects with `copier copy --defaults --trust`, and times the copy
   and the way to a green test run (copy + `uv sync` + the project's `make test`), with
   a warm uv cache (an untimed render and `uv sync` fill it first).
2. Gives each service, and the floor (bench/floor: Starlette + asyncpg, nothing
   else), a fresh PostgreSQL database, migrates it and seeds it through the API.
3. Runs each with its production server configuration (`python -m <package>`,
   ENVIRONMENT=production, 2 workers, logs at WARNING) and drives it with wrk from a
   separate process over loopback: liveness, a page of 20 items, create.
4. Prints a Markdown report (figures, ratios to the floor, targets with PASS/MISS)
   and writes bench/results/<timestamp>.json and bench/results/latest.json.

A missed target is reported, not fatal: the exit status is 0. Anything broken (a
server that does not start, wrk errors, a non-2xx response, a red test run) exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CREATE_LUA = BENCH_DIR / "create.lua"
FLOOR_DIR = BENCH_DIR / "floor"

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

# (label, service, figure, comparison, threshold)
TARGETS = [
    ("FastAPI list ≥ 0.7× floor", "fastapi", "list_ratio", ">=", 0.7),
    ("FastAPI liveness ≥ 0.8× floor", "fastapi", "liveness_ratio", ">=", 0.8),
    ("Django list ≥ 0.5× floor", "django", "list_ratio", ">=", 0.5),
    ("FastAPI time to first green ≤ 30 s", "fastapi", "first_green_s", "<=", 30.0),
    ("Django time to first green ≤ 30 s", "django", "first_green_s", "<=", 30.0),
    ("FastAPI `copier copy` ≤ 2 s", "fastapi", "copier_copy_s", "<=", 2.0),
    ("Django `copier copy` ≤ 2 s", "django", "copier_copy_s", "<=", 2.0),
    ("FastAPI `copier copy` without tasks ≤ 2 s", "fastapi", "copier_render_s", "<=", 2.0),
    ("Django `copier copy` without tasks ≤ 2 s", "django", "copier_render_s", "<=", 2.0),
]


class BrokenError(Exception):
    """Something that must work did not: the run is invalid and exits non-zero."""


@dataclass
class Options:
    frameworks: list[str]
    duration: int
    warmup: int
    connections: int
    threads: int
    items: int
    keep: bool


@dataclass
class Service:
    name: str  # fastapi, django, floor
    label: str
    project: Path | None = None
    package: str | None = None
    generation: dict[str, Any] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)
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


async def _apply_sql(database: str, sql: str) -> None:
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


# --------------------------------------------------------------------------- generation


def package_name(project: Path) -> str:
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    found = re.search(r"^package_name:\s*['\"]?([a-z_][a-z0-9_]*)", answers, flags=re.MULTILINE)
    if not found:
        msg = f"no package_name in {project / '.copier-answers.yml'}"
        raise BrokenError(msg)
    return found.group(1)


def generate(service: Service, workdir: Path) -> None:
    """Render the default project twice: once to warm uv's cache, once timed."""
    framework = service.name
    data = [] if framework == "fastapi" else ["-d", f"framework={framework}"]
    copier = copier_executable()
    env = child_env()

    warm = workdir / f"warm-{framework}"
    log(f"{service.label}: warming uv's cache (render without tasks + uv sync)")
    render_s = run(
        [copier, "copy", "-q", "--defaults", "--skip-tasks", *data, str(REPO), str(warm)],
        cwd=workdir, env=env, timeout=180, what=f"{framework}: warm-up copier copy",
    )  # fmt: skip
    run(["uv", "sync", "-q"], cwd=warm, env=env, timeout=600, what=f"{framework}: warm-up uv sync")
    shutil.rmtree(warm, ignore_errors=True)

    project = workdir / framework
    log(f"{service.label}: copier copy --defaults --trust (timed)")
    copy_s = run(
        [copier, "copy", "-q", "--defaults", "--trust", *data, str(REPO), str(project)],
        cwd=workdir, env=env, timeout=180, what=f"{framework}: copier copy",
    )  # fmt: skip
    log(f"{service.label}: uv sync (timed)")
    sync_s = run(["uv", "sync", "-q"], cwd=project, env=env, timeout=600, what=f"{framework}: uv sync")
    log(f"{service.label}: make test (timed)")
    test_s = run(["make", "test"], cwd=project, env=env, timeout=600, what=f"{framework}: make test")
    service.project = project
    service.package = package_name(project)
    service.generation = {
        "copier_copy_s": round(copy_s, 2),
        "copier_render_s": round(render_s, 2),
        "uv_sync_s": round(sync_s, 2),
        "make_test_s": round(test_s, 2),
        "first_green_s": round(copy_s + sync_s + test_s, 2),
    }
    log(f"{service.label}: {service.generation}")


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    service: Service
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def output_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])


def start_server(service: Service, database: str, workdir: Path) -> Server:
    port = free_port()
    secret_key = secrets.token_urlsafe(48)
    common = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secret_key,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        "LOG_LEVEL": "WARNING",
    }
    if service.name == "floor":
        project = service_project(service)
        cmd = [
            str(project / ".venv" / "bin" / "python"), "-m", "uvicorn", "floor_app:app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS),
            "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
            "--no-access-log", "--no-server-header",
        ]  # fmt: skip
        env = child_env(
            DATABASE_URL=f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}",
            PYTHONPATH=str(FLOOR_DIR),
        )
        cwd = FLOOR_DIR
    else:
        project = service_project(service)
        cmd = [str(project / ".venv" / "bin" / "python"), "-m", str(service.package)]
        env = child_env(**common, **server_settings(service, database))
        cwd = project
    log_path = workdir / f"server-{service.name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(service, process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"{service.label}: the server exited with {process.returncode}:\n{server.output_tail()}"
            raise BrokenError(msg)
        try:
            answered = httpx.get(server.base_url + LIVE, timeout=1).status_code == 200
            # Every worker must be up, not just the first to answer.
            if answered and len(worker_pids(process.pid)) >= WORKERS:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_server(server)
    msg = f"{service.label}: the server did not start within 60 s:\n{server.output_tail()}"
    raise BrokenError(msg)


def service_project(service: Service) -> Path:
    if service.project is None:
        msg = f"{service.label}: no generated project to run"
        raise BrokenError(msg)
    return service.project


def server_settings(service: Service, database: str) -> dict[str, str]:
    if service.name == "fastapi":
        return {"DATABASE_URL": f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"}
    # Django: production settings behind a TLS-terminating proxy. The proxy's
    # X-Forwarded-Proto: https is sent with every request (PROXY_HEADER); the redirect
    # to HTTPS is switched off as well where the settings offer it, so no request of
    # a plain-HTTP local run is ever redirected.
    settings = {
        "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(service_project(service) / "staticfiles"),
    }
    config = next(service_project(service).glob("src/*/core/config.py"), None)
    if config is not None and "secure_ssl_redirect" in config.read_text(encoding="utf-8"):
        settings["SECURE_SSL_REDIRECT"] = "false"
    return settings


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
        except ProcessLookupError:
            pass
    # Workers that outlived their master (they share its process group).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, signal.SIGKILL)


def _proc_children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (ppid) follows the command name, which may contain spaces: split after ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            children.append(int(entry.name))
    return children


def worker_pids(master: int) -> list[int]:
    """uvicorn's worker processes: children of the master started by multiprocessing."""
    workers = []
    for pid in _proc_children(master):
        try:
            cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline or b"--multiprocessing-fork" in cmdline:
            workers.append(pid)
    return sorted(workers)


def rss_mib(pid: int) -> float:
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    msg = f"no VmRSS for pid {pid}"
    raise BrokenError(msg)


# --------------------------------------------------------------------------- load


def migrate(service: Service, database: str) -> None:
    if service.name == "floor":
        asyncio.run(_apply_sql(database, (FLOOR_DIR / "schema.sql").read_text(encoding="utf-8")))
        return
    project = service_project(service)
    env = child_env(
        ENVIRONMENT="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        LOG_LEVEL="WARNING",
        **server_settings(service, database),
    )
    if service.name == "fastapi":
        cmd = ["uv", "run", "-q", "alembic", "upgrade", "head"]
    else:
        cmd = ["uv", "run", "-q", "python", "manage.py", "migrate", "--no-input", "-v", "0"]
    run(cmd, cwd=project, env=env, timeout=180, what=f"{service.label}: migrations")
    if service.name == "django":
        # As the image build does (Dockerfile): the static files WhiteNoise serves.
        collect_env = child_env(
            DJANGO_SETTINGS_MODULE=f"{service.package}.settings.base",
            STATIC_ROOT=str(project / "staticfiles"),
        )
        collectstatic = ["python", "-m", str(service.package), "collectstatic", "--noinput", "-v", "0"]
        run(
            ["uv", "run", "-q", *collectstatic],
            cwd=project, env=collect_env, timeout=180, what=f"{service.label}: collectstatic",
        )  # fmt: skip


def seed(server: Server, count: int) -> dict[str, Any]:
    """Create `count` items through the service's own API; return the first page."""
    headers = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=server.base_url, timeout=10, headers=headers) as client:
        for number in range(1, count + 1):
            body = {
                "name": f"item-{number:05d}",
                "description": f"Seeded item {number}.",
                "quantity": number % 50,
            }
            response = client.post(ITEMS, json=body)
            if response.status_code != 201:
                msg = f"{server.service.label}: seeding got {response.status_code}: {response.text[:300]}"
                raise BrokenError(msg)
        response = client.get(f"{ITEMS}?limit=20")
    page = response.json() if response.status_code == 200 else {}
    if len(page.get("items", [])) != 20 or page.get("next_after") is None:
        msg = (
            f"{server.service.label}: GET {ITEMS}?limit=20 gave {response.status_code}: {response.text[:300]}"
        )
        raise BrokenError(msg)
    return page


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+\w+)", output, flags=re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+\w+)", output, flags=re.MULTILINE)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if not (rps and total and p50 and p99):
        msg = f"unreadable wrk output:\n{output}"
        raise BrokenError(msg)
    errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True))
        if sockets
        else {}
    )
    return {
        "requests": int(total.group(1)),
        "rps": round(float(rps.group(1)), 1),
        "p50_ms": round(_ms(p50.group(1)), 2),
        "p99_ms": round(_ms(p99.group(1)), 2),
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors,
    }


def wrk(server: Server, endpoint: str, seconds: int, options: Options, tag: str) -> dict[str, Any]:
    _, path = ENDPOINTS[endpoint]
    cmd = [
        "wrk", f"-t{options.threads}", f"-c{options.connections}", f"-d{seconds}s", "--latency",
        "-H", PROXY_HEADER,
    ]  # fmt: skip
    if endpoint == "create":
        cmd += ["-s", str(CREATE_LUA), server.base_url + path, "--", tag]
    else:
        cmd.append(server.base_url + path)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        msg = f"{server.service.label} {endpoint}: wrk did not finish"
        raise BrokenError(msg) from exc
    if done.returncode != 0:
        msg = f"{server.service.label} {endpoint}: wrk failed ({done.returncode}): {done.stderr.strip()}"
        raise BrokenError(msg)
    figures = parse_wrk(done.stdout)
    figures["seconds"] = seconds
    problems = []
    if figures["non_2xx_3xx"]:
        problems.append(f"{figures['non_2xx_3xx']} non-2xx/3xx responses")
    if any(figures["socket_errors"].values()):
        problems.append(f"socket errors {figures['socket_errors']}")
    if server.process.poll() is not None:
        problems.append(f"the server exited with {server.process.returncode}")
    if problems:
        msg = (
            f"{server.service.label} {endpoint}: {'; '.join(problems)}\n{done.stdout}\n{server.output_tail()}"
        )
        raise BrokenError(msg)
    return figures


def benchmark(service: Service, options: Options, workdir: Path, stamp: str) -> None:
    database = f"bench_{service.name}_{stamp.lower()}"
    log(f"{service.label}: database {database}, migrations")
    create_database(database)
    server = None
    try:
        migrate(service, database)
        log(f"{service.label}: starting the production server ({WORKERS} workers)")
        server = start_server(service, database, workdir)
        log(f"{service.label}: seeding {options.items} items through POST {ITEMS}")
        page = seed(server, options.items)
        service.load["first_page_keys"] = sorted(page["items"][0])
        for endpoint in ENDPOINTS:
            wrk(server, endpoint, options.warmup, options, tag=f"{stamp}-warm")
            log(f"{service.label}: {endpoint} for {options.duration} s")
            figures = wrk(server, endpoint, options.duration, options, tag=f"{stamp}-run")
            service.load[endpoint] = figures
            rps, p50, p99 = figures["rps"], figures["p50_ms"], figures["p99_ms"]
            log(f"{service.label}: {endpoint}: {rps:.0f} req/s, p50 {p50} ms, p99 {p99} ms")
        workers = worker_pids(server.process.pid)
        if len(workers) != WORKERS:
            msg = f"{service.label}: expected {WORKERS} workers, found {len(workers)}"
            raise BrokenError(msg)
        service.rss_mib = [rss_mib(pid) for pid in workers]
        service.master_rss_mib = rss_mib(server.process.pid)
    finally:
        if server is not None:
            stop_server(server)
        drop_database(database)


# --------------------------------------------------------------------------- report


def figures_of(services: dict[str, Service]) -> dict[str, dict[str, float | None]]:
    floor = services.get("floor")
    figures: dict[str, dict[str, float | None]] = {}
    for name, service in services.items():
        row: dict[str, float | None] = dict(service.generation)
        for endpoint in ENDPOINTS:
            rps = service.load.get(endpoint, {}).get("rps")
            floor_rps = floor.load.get(endpoint, {}).get("rps") if floor else None
            row[f"{endpoint}_rps"] = rps
            row[f"{endpoint}_ratio"] = round(rps / floor_rps, 2) if rps and floor_rps else None
        figures[name] = row
    return figures


def evaluate(figures: dict[str, dict[str, float | None]]) -> list[dict[str, Any]]:
    results = []
    for label, service, figure, comparison, threshold in TARGETS:
        value = figures.get(service, {}).get(figure)
        if value is None:
            result = "n/a"
        elif comparison == ">=":
            result = "PASS" if value >= threshold else "MISS"
        else:
            result = "PASS" if value <= threshold else "MISS"
        results.append(
            {"target": label, "service": service, "figure": figure, "value": value, "result": result}
        )
    return results


def markdown(
    services: dict[str, Service], figures: dict[str, Any], targets: list[dict[str, Any]], meta: dict[str, Any]
) -> str:
    names = list(services)
    header = "| Figure | " + " | ".join(services[n].label for n in names) + " |"
    lines = [
        f"## Preflight benchmark — {meta['stamp']}",
        "",
        f"{meta['cpus']} CPUs, {WORKERS} workers per service, wrk -t{meta['threads']} -c{meta['connections']}"
        f" for {meta['duration']} s per endpoint after {meta['warmup']} s of warm-up,"
        f" {meta['items']} seeded items,"
        f" template {meta['template_commit']}{' (dirty)' if meta['template_dirty'] else ''}.",
        "",
        header,
        "|" + "---|" * (len(names) + 1),
    ]

    def cell(name: str, render: Any) -> str:
        try:
            return render(services[name], figures[name])
        except (KeyError, TypeError):
            return "—"

    def rps_cell(endpoint: str) -> Any:
        def render(service: Service, row: dict[str, Any]) -> str:
            rps = service.load[endpoint]["rps"]
            ratio = row.get(f"{endpoint}_ratio")
            return f"{rps:,.0f}" + (
                f" ({ratio:.2f}×)" if ratio is not None and service.name != "floor" else ""
            )

        return render

    def latency_cell(endpoint: str) -> Any:
        return lambda service, _row: (
            f"{service.load[endpoint]['p50_ms']:.2f} / {service.load[endpoint]['p99_ms']:.2f}"
        )

    def generation_cell(key: str) -> Any:
        return lambda _service, row: f"{row[key]:.1f}"

    rows = []
    for endpoint, title in (("liveness", "liveness"), ("list", "list 20 items"), ("create", "create")):
        rows.append((f"{title}: req/s (× floor)", rps_cell(endpoint)))
        rows.append((f"{title}: p50 / p99 ms", latency_cell(endpoint)))
    rows.append(
        ("RSS per worker after the run, MiB", lambda s, _r: " / ".join(f"{v:.0f}" for v in s.rss_mib) or "—")
    )
    rows.append(("`copier copy --trust` s (with the tasks)", generation_cell("copier_copy_s")))
    rows.append(("`copier copy --skip-tasks` s (render only)", generation_cell("copier_render_s")))
    rows.append(("`uv sync` s (warm cache)", generation_cell("uv_sync_s")))
    rows.append(("`make test` s", generation_cell("make_test_s")))
    rows.append(("time to first green s", generation_cell("first_green_s")))
    for title, render in rows:
        lines.append(f"| {title} | " + " | ".join(cell(n, render) for n in names) + " |")

    lines += ["", "| Target | Value | Result |", "|---|---|---|"]
    for target in targets:
        value = target["value"]
        shown = (
            "—" if value is None else (f"{value:.2f}×" if "ratio" in target["figure"] else f"{value:.1f} s")
        )
        lines.append(f"| {target['target']} | {shown} | {target['result']} |")
    notes = [f"{services[n].label}: {note}" for n in names for note in services[n].notes]
    notes += meta.get("notes", [])
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    lines += ["", f"Wall time of the run: {meta['wall_time_s']:.0f} s."]
    return "\n".join(lines)


def git_state() -> tuple[str, bool]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return git("rev-parse", "--short", "HEAD") or "unknown", bool(
        git("status", "--porcelain", "--", "template", "copier.yml", "hooks")
    )


# --------------------------------------------------------------------------- main


def parse_options(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--frameworks", default="fastapi,django", help="comma-separated (default: fastapi,django)"
    )
    parser.add_argument("--duration", type=int, default=12, help="seconds measured per endpoint (default 12)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--items", type=int, default=1000, help="items seeded per service (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects and server logs")
    args = parser.parse_args(argv)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    if "fastapi" not in frameworks:
        parser.error("fastapi is always benchmarked (its environment runs the floor)")
    return Options(
        frameworks, args.duration, args.warmup, args.connections, args.threads, args.items, args.keep
    )


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    commit, dirty = git_state()
    meta: dict[str, Any] = {
        "stamp": stamp,
        "template_commit": commit,
        "template_dirty": dirty,
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "workers": WORKERS,
        "duration": options.duration,
        "warmup": options.warmup,
        "connections": options.connections,
        "threads": options.threads,
        "items": options.items,
        "notes": [
            "list and create run without authentication: the template has no authentication yet"
            " (the Credentials questions come later); they gain a login when it does.",
        ],
    }
    services: dict[str, Service] = {}
    broken: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="preflight-bench-"))
    try:
        ensure_wrk()
        meta["postgresql"] = check_postgres()
        meta["wrk"] = subprocess.run(
            ["wrk", "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
        labels = {"fastapi": "FastAPI", "django": "Django"}
        for framework in options.frameworks:
            service = Service(framework, labels.get(framework, framework))
            try:
                generate(service, workdir)
            except BrokenError as exc:
                broken.append(str(exc))
                log(f"BROKEN: {exc}")
                continue
            services[framework] = service
        if "fastapi" in services:
            floor = Service("floor", "Floor")
            floor.project = services["fastapi"].project
            floor.notes.append(
                "Starlette + asyncpg, no middleware, in the FastAPI project's interpreter and libraries"
            )
            services["floor"] = floor
            for service in services.values():
                try:
                    benchmark(service, options, workdir, stamp)
                except BrokenError as exc:
                    broken.append(str(exc))
                    log(f"BROKEN: {exc}")
    except BrokenError as exc:
        broken.append(str(exc))
        log(f"BROKEN: {exc}")
    finally:
        if options.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    meta["wall_time_s"] = round(time.perf_counter() - started, 1)
    figures = figures_of(services)
    targets = evaluate(figures)
    meta["notes"] += [f"BROKEN: {message.splitlines()[0]}" for message in broken]
    report = markdown(services, figures, targets, meta)
    print(report)
    RESULTS_DIR.mkdir(exist_ok=True)
    result = {
        "meta": meta,
        "services": {
            name: {
                "generation": s.generation,
                "load": s.load,
                "rss_mib_per_worker": s.rss_mib,
                "master_rss_mib": s.master_rss_mib,
                "notes": s.notes,
            }
            for name, s in services.items()
        },
        "figures": figures,
        "targets": targets,
        "broken": broken,
        "markdown": report,
    }
    text = json.dumps(result, indent=2) + "\n"
    (RESULTS_DIR / f"{stamp}.json").write_text(text, encoding="utf-8")
    (RESULTS_DIR / "latest.json").write_text(text, encoding="utf-8")
    log(f"results: {RESULTS_DIR / f'{stamp}.json'} (and latest.json)")
    if broken:
        for message in broken:
            print(f"\nBROKEN: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
