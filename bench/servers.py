"""The services under load: their databases and production servers, seeding, wrk, and
the interleaved rounds of measurements (bench/run.py's step 3 and 4)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import stats
from bench.tools import (
    CREATE_LUA,
    ENDPOINTS,
    FLOOR_DIR,
    ITEMS,
    LIVE,
    PG_HOST,
    PG_PORT,
    PG_USER,
    PROXY_HEADER,
    WORKERS,
    BrokenError,
    Options,
    Service,
    apply_sql,
    child_env,
    create_database,
    free_port,
    log,
    run,
    service_project,
)

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
        asyncio.run(apply_sql(database, (FLOOR_DIR / "schema.sql").read_text(encoding="utf-8")))
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


def database_name(service: Service, stamp: str) -> str:
    return f"bench_{service.name}_{stamp.lower()}"


def bring_up(service: Service, options: Options, workdir: Path, stamp: str) -> Server:
    """A fresh database, migrated, and the production server on it, seeded."""
    database = database_name(service, stamp)
    log(f"{service.label}: database {database}, migrations")
    create_database(database)
    migrate(service, database)
    log(f"{service.label}: starting the production server ({WORKERS} workers)")
    server = start_server(service, database, workdir)
    try:
        log(f"{service.label}: seeding {options.items} items through POST {ITEMS}")
        service.first_page_keys = sorted(seed(server, options.items)["items"][0])
    except BrokenError:
        stop_server(server)
        raise
    return server


def load_rounds(
    servers: dict[str, Server], options: Options, stamp: str, broken: list[str]
) -> list[dict[str, dict[str, dict[str, Any]]]]:
    """wrk in interleaved rounds (stats.load_schedule); rounds[i][service][endpoint] = figures.

    A service whose measurement breaks is left out of the later rounds."""
    results: list[dict[str, dict[str, dict[str, Any]]]] = [{} for _ in range(options.rounds)]
    alive = set(servers)
    for number, endpoint, name in stats.load_schedule(options.rounds, list(servers), list(ENDPOINTS)):
        if name not in alive:
            continue
        server = servers[name]
        try:
            wrk(server, endpoint, options.warmup, options, tag=f"{stamp}-r{number}-warm")
            figures = wrk(server, endpoint, options.duration, options, tag=f"{stamp}-r{number}")
        except BrokenError as exc:
            broken.append(str(exc))
            log(f"BROKEN: {exc}")
            alive.discard(name)
            continue
        results[number - 1].setdefault(name, {})[endpoint] = figures
        rps, p50, p99 = figures["rps"], figures["p50_ms"], figures["p99_ms"]
        label = server.service.label
        log(f"round {number}: {label} {endpoint}: {rps:.0f} req/s, p50 {p50} ms, p99 {p99} ms")
    return results


def measure_memory(server: Server) -> None:
    service = server.service
    workers = worker_pids(server.process.pid)
    if len(workers) != WORKERS:
        msg = f"{service.label}: expected {WORKERS} workers, found {len(workers)}"
        raise BrokenError(msg)
    service.rss_mib = [rss_mib(pid) for pid in workers]
    service.master_rss_mib = rss_mib(server.process.pid)
