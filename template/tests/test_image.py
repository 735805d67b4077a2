"""The container image, tested as the image: its runtime stage migrates a fresh database and serves.

There may be no container engine where the tests run, so this replays the Dockerfile itself,
instruction by instruction: the builder stage's `RUN`s and `COPY`s in one fresh directory (its
`/app`), with the stage's `ENV`; then, in another fresh directory (the runtime stage's `/app`),
only what the runtime stage `COPY`s, the runtime `ENV`, and its `CMD`. The list of what is
copied comes from the Dockerfile, so a file the image needs but does not copy (say, migrations
read from the source tree) fails here as it would in production. What cannot be replayed
without an engine is said where it is skipped: the base image (this machine's interpreter of
the Dockerfile's PYTHON_VERSION stands in for it), the uv binary copied from uv's image (the
uv running these tests stands in), and the user the runtime stage creates (the test runs as
whoever runs it).
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest

from tests.servers import running_server
from tests.service import DEPLOYED_HEADERS, DEPLOYED_SETTINGS
from tests.test_server import SCRIPT_SOURCE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
# The one stage-external COPY the replay stands in for: uv's binary, from uv's image.
UV_IMAGE = "ghcr.io/astral-sh/uv"
# The runtime stage's user is created by these; the test cannot create users.
USER_CREATION = re.compile(r"^(groupadd|useradd)\b")
# What python:<version>-slim sets before the Dockerfile's own ENV.
BASE_IMAGE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


@dataclass
class Instruction:
    keyword: str
    flags: dict[str, list[str]]  # `--mount=...` may come more than once
    arguments: str


@dataclass
class Stage:
    name: str
    instructions: list[Instruction] = field(default_factory=list)


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """The Dockerfile's global ARGs and its stages: continuation lines joined, comments left out."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stages.append(Stage(name=rest.split()[-1] if " AS " in rest.upper() else str(len(stages))))
        elif keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            arguments[name.strip()] = default.strip()
        else:
            flags: dict[str, list[str]] = {}
            while rest.startswith("--"):
                flag, _, rest = rest.partition(" ")
                name, _, value = flag[2:].partition("=")
                flags.setdefault(name, []).append(value)
                rest = rest.lstrip()
            stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return arguments, stages


def mount_targets(run: Instruction) -> list[tuple[str, str]]:
    """A RUN's bind mounts from the build context, as (source, target); cache mounts are left out."""
    mounts = []
    for mount in run.flags.get("mount", []):
        options = dict(option.partition("=")[::2] for option in mount.split(","))
        if options.get("type") == "bind":
            mounts.append((options["source"], options["target"]))
    return mounts


def ignored_by(patterns: list[str]) -> Callable[[str], bool]:
    """.dockerignore's rule: the last pattern that matches a path (or one of its folders) decides."""

    def matches(pattern: str, path: str) -> bool:
        parts = path.split("/")
        return any(fnmatch("/".join(parts[:n]), pattern) for n in range(1, len(parts) + 1))

    def ignored(path: str) -> bool:
        verdict = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            if matches(pattern.lstrip("!").rstrip("/"), path):
                verdict = not negated
        return verdict

    return ignored


def copy_build_context(destination: Path) -> None:
    """`COPY . <destination>`: the project as the build context holds it, less .dockerignore's."""
    ignore_file = PROJECT_ROOT / ".dockerignore"
    lines = ignore_file.read_text().splitlines() if ignore_file.exists() else []
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    ignored = ignored_by(patterns)
    reincluded = [pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")]
    for folder, folders, files in os.walk(PROJECT_ROOT):
        relative = Path(folder).relative_to(PROJECT_ROOT)
        # Walk into an ignored folder only when a `!pattern` may take something back from it.
        folders[:] = [
            name
            for name in folders
            if not ignored(path := (relative / name).as_posix())
            or any(pattern == path or pattern.startswith(path + "/") for pattern in reincluded)
        ]
        for name in files:
            path = (relative / name).as_posix()
            if not ignored(path):
                (destination / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(PROJECT_ROOT / path, destination / path)


class Replay:
    """One stage's filesystem: its WORKDIR, `/app`, is a fresh directory on this machine."""

    def __init__(self, root: Path, environment: dict[str, str]) -> None:
        self.root = root
        self.env = dict(environment)
        self.workdir = root

    def path(self, image_path: str) -> Path:
        assert image_path.startswith("/app"), f"the replay maps /app only, not {image_path}"
        return self.root / image_path.removeprefix("/app").lstrip("/")

    def translate(self, text: str) -> str:
        """A command or value with the image's /app paths pointed at this directory."""
        return re.sub(r"(?<![\w./-])/app(?=/|\b|$)", str(self.root), text)

    def set_env(self, arguments: str) -> None:
        for assignment in shlex.split(arguments):
            name, separator, value = assignment.partition("=")
            assert separator, f"ENV {assignment}: the replay reads the NAME=value form only"
            expanded = re.sub(r"\$\{?(\w+)\}?", lambda m: self.env.get(m.group(1), ""), value)
            self.env[name] = self.translate(expanded)

    def workdir_to(self, image_path: str) -> None:
        self.workdir = self.path(image_path)
        self.workdir.mkdir(parents=True, exist_ok=True)


@dataclass
class Image:
    """The runtime stage laid out: its /app, its ENV, its CMD and its HEALTHCHECK command."""

    root: Path
    env: dict[str, str]
    cmd: list[str]
    healthcheck: list[str]


def from_stage(instruction: Instruction) -> str:
    return instruction.flags.get("from", [""])[0]


def replay_builder(arguments: dict[str, str], stage: Stage, build: Path) -> Replay:
    """Run the builder stage's instructions in `build`, its /app."""
    builder = Replay(build, {**BASE_IMAGE_ENV, "UV_PYTHON": base_interpreter(arguments["PYTHON_VERSION"])})
    uv = shutil.which("uv")
    assert uv, "uv is on PATH (`uv run pytest`)"
    # uv's own cache, as the build's cache mount keeps it between builds.
    builder.env.update({name: os.environ[name] for name in ("HOME", "UV_CACHE_DIR") if name in os.environ})
    for instruction in stage.instructions:
        unknown = f"the replay does not know the builder's {instruction.keyword} {instruction.arguments}"
        if instruction.keyword == "ENV":
            builder.set_env(instruction.arguments)
        elif instruction.keyword == "WORKDIR":
            builder.workdir_to(instruction.arguments)
        elif instruction.keyword == "COPY" and from_stage(instruction).startswith(UV_IMAGE):
            # uv's binary: the one running the tests stands in for it.
            builder.env["PATH"] = f"{Path(uv).parent}:{builder.env['PATH']}"
        elif instruction.keyword == "COPY" and instruction.arguments == ". /app" and not instruction.flags:
            copy_build_context(build)
        elif instruction.keyword == "RUN":
            for source, target in mount_targets(instruction):
                shutil.copy2(PROJECT_ROOT / source, builder.workdir / target)
            command = ["/bin/sh", "-c", builder.translate(instruction.arguments)]
            subprocess.run(command, cwd=builder.workdir, env=builder.env, check=True)  # noqa: S603
        else:
            pytest.fail(unknown)
    return builder


def lay_out_runtime(stage: Stage, builder: Stage, build: Replay, runtime: Path) -> Image:
    """The runtime stage in `runtime`, its /app: only what it copies from the builder."""
    image = Replay(runtime, BASE_IMAGE_ENV)
    exec_forms: dict[str, list[str]] = {}
    for instruction in stage.instructions:
        unknown = f"the replay does not know the runtime's {instruction.keyword} {instruction.arguments}"
        if instruction.keyword == "ENV":
            image.set_env(instruction.arguments)
        elif instruction.keyword == "WORKDIR":
            image.workdir_to(instruction.arguments)
        elif instruction.keyword == "COPY":
            assert from_stage(instruction) == builder.name, "the runtime stage copies from the builder only"
            source, destination = shlex.split(instruction.arguments)
            shutil.copytree(build.path(source), image.path(destination), symlinks=True)
        elif instruction.keyword == "RUN":
            # Creating the user `app` is the only RUN it knows: the test runs as whoever runs it.
            assert USER_CREATION.match(instruction.arguments), unknown
        elif instruction.keyword in {"CMD", "HEALTHCHECK"}:
            exec_forms[instruction.keyword] = json.loads(instruction.arguments.removeprefix("CMD").strip())
        elif instruction.keyword not in {"USER", "EXPOSE"}:
            pytest.fail(unknown)
    return Image(runtime, image.env, exec_forms["CMD"], exec_forms["HEALTHCHECK"])


def base_interpreter(version: str) -> str:
    """The interpreter standing in for python:<version>-slim: this one's, if it is that version."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert running == version, f"the Dockerfile builds on Python {version}; the tests run {running}"
    return str(Path(sys.base_prefix) / "bin" / f"python{version}")


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    arguments, stages = parse_dockerfile(DOCKERFILE.read_text())
    *builders, final = stages
    assert len(builders) == 1, "the replay knows one builder stage and the runtime stage"
    build, runtime = tmp_path_factory.mktemp("builder"), tmp_path_factory.mktemp("runtime")
    laid_out = lay_out_runtime(final, builders[0], replay_builder(arguments, builders[0], build), runtime)
    # The image holds nothing of the builder's: take the build away before anything runs.
    shutil.rmtree(build)
    return laid_out


def deployed_env(image: Image, database_url: str) -> dict[str, str]:
    """The image's ENV plus what a deployment supplies: its secrets, its database, its hosts."""
    return {
        **image.env,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": database_url,
        "WEB_CONCURRENCY": "1",
        **DEPLOYED_SETTINGS,
    }


def test_the_image_migrates_a_fresh_database_and_serves_it(image: Image, scratch_database_url: str) -> None:
    env = deployed_env(image, scratch_database_url)
    migrate = [*image.cmd, "migrate"]  # as Compose's migrate service and the release step run it

    for _ in range(2):  # a release that runs it again finds nothing left to do
        result = subprocess.run(  # noqa: S603 (the image's own command)
            migrate, cwd=image.root, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr

    with running_server(env, DEPLOYED_HEADERS, command=image.cmd, cwd=image.root) as server:
        with server.client() as client:
            ready = client.get("/health/ready")
            created = client.post("/api/v1/items", json={"name": "from-the-image", "quantity": 2})
            # Location is absolute (the proxy's scheme and host); the path is the service's.
            location = httpx.URL(created.headers.get("location", "/")).path
            read = client.get(location)
            # The API docs' scripts: files the image holds (Django's collected static files).
            scripts = [client.get(source) for source in SCRIPT_SOURCE.findall(client.get("/docs").text)]
        port = server.base_url.rsplit(":", 1)[1]
        # The HEALTHCHECK names the image's port, 8000; the replay serves on a free one.
        healthcheck = [part.replace(":8000/", f":{port}/") for part in image.healthcheck]
        health = subprocess.run(healthcheck, cwd=image.root, env=env, check=False)  # noqa: S603
        output = server.stop()

    assert ready.status_code == 200, output
    assert created.status_code == 201, created.text
    assert read.status_code == 200, read.text
    assert read.json()["name"] == "from-the-image"
    assert scripts, "the docs page loads its scripts"
    assert all(script.status_code == 200 for script in scripts), [(s.url, s.status_code) for s in scripts]
    assert health.returncode == 0, "the image's HEALTHCHECK passes against the running service"
