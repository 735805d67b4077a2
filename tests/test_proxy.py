"""The proxy in front (ADR 0005, "The proxy in front"): its sample configuration repeats the
service's own limits, and its timeouts are longer than the service's.

A Compose render's deploy/nginx.conf is compared with the defaults the rendered service's code
sets (core/environment.py, core/server.py), and so is the ingress-nginx sample of a Kubernetes
render's ADR; copier.yml's computed values, which those files and docs are written from, must
match the service too. nginx must accept the file (`nginx -t`), and, in front of a stand-in for
the service, refuse what the service would refuse and replace the forwarded headers a client
sends. nginx is installed by scripts/test-prerequisites.sh: these tests never skip.
"""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import TEMPLATE_ROOT, answers, render, run

COPIER = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
# A Jinja-computed default is a string; these are plain numbers.
LIMITS = {
    name: COPIER[name]["default"]
    for name in (
        "max_body_bytes",
        "body_timeout_seconds",
        "graceful_timeout_seconds",
        "keep_alive_timeout_seconds",
    )
}
MAX_HEAD_BYTES = COPIER["max_head_kib"]["default"] * 1024
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@pytest.fixture(scope="module")
def compose_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("compose") / "project", {"deployment": "compose", "machines": 1})


@pytest.fixture(scope="module")
def kubernetes_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("kubernetes") / "project", {"deployment": "kubernetes"})


def service_defaults(project: Path) -> dict[str, float]:
    """The limits the rendered service's code sets, read from its source."""
    core = project / "src" / answers(project)["package_name"] / "core"
    environment = (core / "environment.py").read_text()
    server = (core / "server.py").read_text()

    def number(pattern: str, text: str) -> float:
        match = re.search(pattern, text)
        assert match, f"not found in the service's code: {pattern}"
        return float(match.group(1).replace("_", ""))

    keep_alive = re.search(r"timeout_keep_alive=(\d+)", server)
    return {
        "max_body_bytes": number(r"max_body_bytes: int = Field\(default=([\d_]+)", environment),
        "body_timeout_seconds": number(r"body_timeout_seconds: float = Field\(default=([\d.]+)", environment),
        "drain_seconds": number(r"DEPLOYED_DRAIN_SECONDS = ([\d.]+)", environment),
        "graceful_timeout_seconds": number(r"GRACEFUL_TIMEOUT_SECONDS = (\d+)", server),
        # Not passed to uvicorn: its default, which copier.yml records.
        "keep_alive_timeout_seconds": (
            float(keep_alive.group(1)) if keep_alive else LIMITS["keep_alive_timeout_seconds"]
        ),
    }


def nginx_directives(config: str) -> dict[str, list[str]]:
    """Every directive's arguments by name, comments left out (the sample has one server)."""
    found: dict[str, list[str]] = {}
    for line in config.splitlines():
        match = re.match(r"\s*([a-z_]+)\s+([^;{#]*);", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2).strip())
    return found


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s?)", value)
    assert match, f"a time in seconds, not {value!r}"
    return float(match.group(1))


def size(value: str) -> int:
    match = re.fullmatch(r"(\d+)([kmg]?)", value.lower())
    assert match, f"a size, not {value!r}"
    return int(match.group(1)) * _SIZE_UNITS[match.group(2)]


def test_copier_values_are_the_services_defaults(compose_project: Path) -> None:
    defaults = service_defaults(compose_project)
    assert {name: defaults[name] for name in LIMITS} == LIMITS, "change copier.yml with the service's code"


def test_nginx_sample_repeats_the_services_limits(compose_project: Path) -> None:
    defaults = service_defaults(compose_project)
    nginx = nginx_directives((compose_project / "deploy" / "nginx.conf").read_text())
    assert size(nginx["client_max_body_size"][0]) == defaults["max_body_bytes"]
    assert nginx["proxy_request_buffering"] == ["on"], "a slowly sent body must stay at the proxy"
    assert 0 < seconds(nginx["client_header_timeout"][0]) <= defaults["body_timeout_seconds"]
    assert 0 < seconds(nginx["client_body_timeout"][0]) <= defaults["body_timeout_seconds"]
    count, buffer = nginx["large_client_header_buffers"][0].split()
    assert int(count) * size(buffer) <= MAX_HEAD_BYTES, "the proxy refuses a head the service would"
    assert seconds(nginx["keepalive_timeout"][0]) > 0


def test_nginx_waits_for_the_service_longer_than_it_takes(compose_project: Path) -> None:
    defaults = service_defaults(compose_project)
    nginx = nginx_directives((compose_project / "deploy" / "nginx.conf").read_text())
    longest = max(
        defaults["body_timeout_seconds"], defaults["drain_seconds"] + defaults["graceful_timeout_seconds"]
    )
    assert seconds(nginx["proxy_read_timeout"][0]) > longest
    assert seconds(nginx["proxy_send_timeout"][0]) > longest
    # A connection per request (no upstream block, so no idle connection kept past the
    # service's keep-alive timeout), to a name resolved at request time.
    assert "upstream" not in nginx
    assert nginx["proxy_pass"] == ["$service"]
    headers = dict(value.split(None, 1) for value in nginx["proxy_set_header"])
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-For"] == "$remote_addr", "replace what the client sent"


def test_the_compose_file_runs_the_sample_only_where_it_is_rendered(
    compose_project: Path, tmp_path: Path
) -> None:
    run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"], compose_project)
    services = yaml.safe_load((compose_project / "compose.yaml").read_text())["services"]
    assert services["proxy"]["profiles"] == ["proxy"], "not started by a plain `docker compose up`"
    source = services["proxy"]["volumes"][0].split(":")[0]
    assert (compose_project / source).is_file()
    default = render(tmp_path / "paas", {})
    assert not (default / "deploy").exists()
    assert "proxy" not in yaml.safe_load((default / "compose.yaml").read_text())["services"]


def test_the_kubernetes_sample_repeats_the_services_limits(kubernetes_project: Path) -> None:
    defaults = service_defaults(kubernetes_project)
    adr = (kubernetes_project / "docs" / "decisions" / "0005-deployment.md").read_text()
    block = re.search(r"```yaml\n(# The Ingress\n.*?)```", adr, re.DOTALL)
    assert block, "the ingress-nginx sample is in ADR 0005"
    ingress, configmap = yaml.safe_load_all(block.group(1))
    annotations = {
        name.removeprefix("nginx.ingress.kubernetes.io/"): value
        for name, value in ingress["metadata"]["annotations"].items()
    }
    longest = max(
        defaults["body_timeout_seconds"], defaults["drain_seconds"] + defaults["graceful_timeout_seconds"]
    )
    assert size(annotations["proxy-body-size"]) == defaults["max_body_bytes"]
    assert annotations["proxy-request-buffering"] == "on"
    assert seconds(annotations["proxy-read-timeout"]) > longest
    assert seconds(annotations["proxy-send-timeout"]) > longest
    data = configmap["data"]
    assert seconds(data["upstream-keepalive-timeout"]) < defaults["keep_alive_timeout_seconds"]
    count, buffer = data["large-client-header-buffers"].split()
    assert int(count) * size(buffer) <= MAX_HEAD_BYTES
    assert 0 < seconds(data["client-header-timeout"]) <= defaults["body_timeout_seconds"]


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    assert nginx, "nginx is missing: scripts/test-prerequisites.sh installs it (apt-get install nginx)"
    return nginx


def test_nginx_accepts_the_sample(compose_project: Path, tmp_path: Path) -> None:
    config = compose_project / "deploy" / "nginx.conf"
    run([nginx_binary(), "-t", "-q", "-p", str(tmp_path), "-e", "stderr", "-c", str(config)], tmp_path)


class _Service(BaseHTTPRequestHandler):
    """Stands in for the service: records what reaches it, answers 200."""

    seen: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append({"headers": dict(self.headers), "body_bytes": len(body)})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def proxied(compose_project: Path, tmp_path: Path) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """nginx with the sample, on loopback, in front of a stand-in for the service."""
    seen: list[dict[str, Any]] = []
    handler = type("Service", (_Service,), {"seen": seen})
    service = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    port = _free_port()
    config = (compose_project / "deploy" / "nginx.conf").read_text()
    config = config.replace("listen 80;", f"listen 127.0.0.1:{port};")
    config = config.replace("http://app:8000", f"http://127.0.0.1:{service.server_port}")
    # Temporary files under the test's directory, not the system's.
    temp_paths = "".join(
        f"    {kind}_temp_path temp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = config.replace("http {\n", "http {\n" + temp_paths, 1)
    (tmp_path / "nginx.conf").write_text(config)
    (tmp_path / "temp").mkdir()
    nginx = subprocess.Popen(
        [
            nginx_binary(),
            "-p",
            str(tmp_path),
            "-e",
            "stderr",
            "-c",
            str(tmp_path / "nginx.conf"),
            "-g",
            f"daemon off; pid {tmp_path / 'nginx.pid'}; user root;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None, f"nginx did not start: {nginx.communicate()[1]}"
                assert time.monotonic() < deadline, "nginx did not listen within 10 s"
                time.sleep(0.05)
        yield port, seen
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        service.shutdown()
        service.server_close()


def _post(port: int, body: bytes, headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            "/api/v1/items",
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_nginx_passes_the_largest_body_and_replaces_forwarded_headers(
    proxied: tuple[int, list[dict[str, Any]]],
) -> None:
    port, seen = proxied
    spoofed = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert _post(port, b"x" * LIMITS["max_body_bytes"], spoofed) == 200
    [request] = seen
    assert request["body_bytes"] == LIMITS["max_body_bytes"]
    assert request["headers"]["X-Forwarded-Proto"] == "http", "the connection's scheme, not the client's word"
    assert request["headers"]["X-Forwarded-For"] == "127.0.0.1"


def test_nginx_refuses_what_the_service_would_before_it_reaches_the_service(
    proxied: tuple[int, list[dict[str, Any]]],
) -> None:
    port, seen = proxied
    assert _post(port, b"x" * (LIMITS["max_body_bytes"] + 1)) == 413
    assert _post(port, b"{}", {"X-Padding": "x" * MAX_HEAD_BYTES}) in {400, 431, 494}
    assert seen == []
