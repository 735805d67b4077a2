"""The generated service's API docs render in headless Chromium with the network closed:
proof that no asset comes from a CDN."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.combinations import COMBINATIONS
from tests.helpers import Combination, answers, project_env

SyncedProject = Callable[[Combination], Path]
# The default project of each framework.
DOCS_PROJECTS = [combination for combination in COMBINATIONS if set(combination.data) <= {"framework"}]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(
    params=[pytest.param(c, id=c.name, marks=pytest.mark.xdist_group(c.name)) for c in DOCS_PROJECTS]
)
def served_docs(request: pytest.FixtureRequest, synced_project: SyncedProject) -> Iterator[str]:
    project = synced_project(request.param)
    port = _free_port()
    env = project_env(PORT=str(port), WEB_CONCURRENCY="1", ENVIRONMENT="development")
    server = subprocess.Popen(
        ["uv", "run", "--no-sync", "python", "-m", answers(project)["package_name"]],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base_url}/health/live", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the generated service did not start")
                time.sleep(0.3)
        yield f"{base_url}/docs"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_api_docs_render_their_operations_offline(served_docs: str, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is required (Debian package `chromium`; .ci/run installs it)"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            # The network is closed: every host but loopback goes to a dead proxy and
            # resolves to nothing, so an asset from a CDN would simply not load.
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            served_docs,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    # Swagger UI builds these elements from the OpenAPI schema only if its script ran.
    assert 'class="opblock-tag-section' in dom, dom[-2000:]
    assert "/api/v1/items/{item_id}" in dom
    assert "/health/ready" in dom
