"""Preflight's benchmark: `make bench` (or `uv run --group bench python bench/run.py`).

From a fresh clone, in about ten minutes, on one machine that may be busy with other
work: every figure is measured over several interleaved rounds (`--rounds`, default 3)
and reported as the median of its per-round ratios to a floor measured in the same
round, with the spread (min–max) of those ratios beside it.

1. Renders the default FastAPI and Django projects once untimed and runs `uv sync` in
   them, to warm Copier's and uv's caches.
2. Times `copier copy` in rounds: in each, a one-file template (bench/floor/copier-template,
   the copy floor: Copier's own cost) first, then each framework's render without the
   tasks (`--skip-tasks`) and with them (`--trust`). The last round's copy with the tasks
   is the project that then runs `uv sync` (warm cache) and `make test`: copy + sync +
   test is the time to a first green run, an absolute figure measured once.
3. Gives each service, and the floor (bench/floor/floor_app.py: Starlette + asyncpg,
   nothing else), a fresh PostgreSQL database, migrates it, starts it with its
   production server configuration (`python -m <package>`, ENVIRONMENT=production,
   2 workers, logs at WARNING) and seeds it through the API.
4. Drives them with wrk from a separate process over loopback, in rounds: in each
   round, each endpoint (liveness, a page of 20 items, create) on the floor, then on
   FastAPI, then on Django, each measurement after its own short warm-up. The servers
   stay up across the rounds: restarting them would add migrations, seeding and a cold
   start to every round and measure those, while the noise the rounds are for is the
   machine's. What accumulates meanwhile is the created rows, which the list (the
   first page by id) does not read and a unique index absorbs at logarithmic cost;
   a server that dies is caught after every measurement.
5. Prints a Markdown report (figures with spreads, targets judged on medians, PASS or
   MISS, and with `--compare` or a previous bench/results/latest.json, which figures
   moved beyond both runs' spread) and writes bench/results/<timestamp>.json and
   bench/results/latest.json.

A missed target or a regression is reported, not fatal: the exit status is 0.
Anything broken (a server that does not start, wrk errors, a non-2xx response, a red
test run) exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

if not __package__:  # run as a script (python bench/run.py): make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stats
from bench.report import markdown
from bench.servers import Server, bring_up, database_name, load_rounds, measure_memory, stop_server
from bench.tools import (
    COPY_FLOOR_DIR,
    REPO,
    RESULTS_DIR,
    WORKERS,
    BrokenError,
    Options,
    Service,
    check_postgres,
    child_env,
    copier_executable,
    drop_database,
    ensure_wrk,
    log,
    run,
)

# --------------------------------------------------------------------------- generation


def package_name(project: Path) -> str:
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    found = re.search(r"^package_name:\s*['\"]?([a-z_][a-z0-9_]*)", answers, flags=re.MULTILINE)
    if not found:
        msg = f"no package_name in {project / '.copier-answers.yml'}"
        raise BrokenError(msg)
    return found.group(1)


def copier_data(framework: str) -> list[str]:
    return [] if framework == "fastapi" else ["-d", f"framework={framework}"]


def copy_floor_template(workdir: Path) -> Path:
    """The one-file template, as a git repository of its own.

    Copier clones a template that is a git repository's root (as this one is) and
    copies a plain folder as it is; the floor gets the same clone, so the ratio
    measures what Preflight adds, not the clone."""
    template = workdir / "copy-floor-template"
    shutil.copytree(COPY_FLOOR_DIR, template)
    env = child_env(
        GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
        GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost",
    )  # fmt: skip
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "copy floor"]):
        run(cmd, cwd=template, env=env, timeout=60, what="copy floor: git")
    return template


def copy_command(template: str, mode: str, source: Path, destination: Path) -> list[str]:
    flags = {"floor": [], "render": ["--skip-tasks"], "tasks": ["--trust"]}[mode]
    data = [] if template == stats.FLOOR else copier_data(template)
    # HEAD: the working tree (uncommitted changes included), not the newest release tag.
    ref = ["--vcs-ref", "HEAD"]
    return [
        copier_executable(),
        "copy",
        "-q",
        "--defaults",
        *ref,
        *flags,
        *data,
        str(source),
        str(destination),
    ]


def warm_up(framework: str, workdir: Path) -> None:
    """An untimed render and `uv sync`, so every timed step meets warm caches."""
    env = child_env()
    warm = workdir / f"warm-{framework}"
    log(f"{framework}: warming the caches (render without tasks + uv sync)")
    run(
        copy_command(framework, "render", REPO, warm),
        cwd=workdir, env=env, timeout=180, what=f"{framework}: warm-up copier copy",
    )  # fmt: skip
    run(["uv", "sync", "-q"], cwd=warm, env=env, timeout=600, what=f"{framework}: warm-up uv sync")
    shutil.rmtree(warm, ignore_errors=True)


def copy_rounds(frameworks: list[str], rounds: int, workdir: Path, broken: list[str]) -> list[dict[str, Any]]:
    """`copier copy` timed in interleaved rounds (stats.copy_schedule); one dict per round.

    The copy with the tasks goes to workdir/<framework> each round (cleared before the
    next), so the last round's is the project the services run from. A framework whose
    copy breaks is left out of the later rounds."""
    env = child_env()
    floor_template = copy_floor_template(workdir)
    run(
        copy_command(stats.FLOOR, "floor", floor_template, workdir / "copy-floor-warm"),
        cwd=workdir, env=env, timeout=120, what="copy floor: warm-up copier copy",
    )  # fmt: skip
    results: list[dict[str, Any]] = [{} for _ in range(rounds)]
    alive = list(frameworks)
    for number, template, mode in stats.copy_schedule(rounds, frameworks):
        if template != stats.FLOOR and template not in alive:
            continue
        source = floor_template if template == stats.FLOOR else REPO
        destination = workdir / (template if mode == "tasks" else f"copy-{template}-{mode}")
        shutil.rmtree(destination, ignore_errors=True)
        try:
            seconds = run(
                copy_command(template, mode, source, destination),
                cwd=workdir, env=env, timeout=180, what=f"{template}: copier copy ({mode}, round {number})",
            )  # fmt: skip
        except BrokenError as exc:
            if template == stats.FLOOR:
                raise
            broken.append(str(exc))
            log(f"BROKEN: {exc}")
            alive.remove(template)
            continue
        what = "the one-file template" if template == stats.FLOOR else f"{template} ({mode})"
        log(f"copier copy, round {number}: {what}: {seconds:.2f} s")
        if template == stats.FLOOR:
            results[number - 1][template] = round(seconds, 3)
        else:
            results[number - 1].setdefault(template, {})[mode] = round(seconds, 3)
    return results


def first_green(service: Service, workdir: Path, copy_s: float) -> None:
    """`uv sync` and `make test` in the last round's copy (copied in copy_s seconds)."""
    framework = service.name
    project = workdir / framework
    env = child_env()
    log(f"{service.label}: uv sync (timed)")
    sync_s = run(["uv", "sync", "-q"], cwd=project, env=env, timeout=600, what=f"{framework}: uv sync")
    log(f"{service.label}: make test (timed)")
    test_s = run(["make", "test"], cwd=project, env=env, timeout=600, what=f"{framework}: make test")
    service.project = project
    service.package = package_name(project)
    service.generation = {
        "uv_sync_s": round(sync_s, 2),
        "make_test_s": round(test_s, 2),
        "first_green_s": round(copy_s + sync_s + test_s, 2),
    }
    log(f"{service.label}: {service.generation}")


# --------------------------------------------------------------------------- results


def git_state() -> tuple[str, bool]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return git("rev-parse", "--short", "HEAD") or "unknown", bool(
        git("status", "--porcelain", "--", "template", "copier.yml", "hooks")
    )


def read_previous(path: Path | None) -> tuple[Path, dict[str, Any] | str] | None:
    """The previous results, read before this run overwrites latest.json (or why they could not be)."""
    if path is None:
        return None
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return path, f"{path} could not be read ({exc}): nothing compared."
    if not isinstance(previous, dict):
        return path, f"{path} holds no benchmark results: nothing compared."
    return path, previous


SETTINGS = ("rounds", "duration", "warmup", "connections", "threads", "workers", "items", "cpus")


def comparison_of(
    previous: tuple[Path, dict[str, Any] | str], figures: stats.Figures, meta: dict[str, Any]
) -> dict[str, Any]:
    path, results = previous
    if isinstance(results, str):
        return {"stamp": str(path), "note": results}
    old_meta = results.get("meta", {})
    stamp = str(old_meta.get("stamp", path))
    if not stats.comparable(results):
        note = (
            f"{path} has no per-round figures (written before the benchmark ran in rounds, or by a"
            " run that measured nothing): nothing compared."
        )
        return {"stamp": stamp, "note": note}
    differing = [
        f"{key} {old_meta.get(key)} then, {meta.get(key)} now"
        for key in SETTINGS
        if old_meta.get(key) != meta.get(key)
    ]
    return {
        "stamp": stamp,
        "source": str(path),
        "commit": old_meta.get("template_commit", "unknown"),
        "rounds": old_meta.get("rounds"),
        "settings": differing,
        "rows": stats.compare(results["figures"], figures),
    }


# --------------------------------------------------------------------------- main


def parse_options(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--frameworks", default="fastapi,django", help="comma-separated (default: fastapi,django)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of every measurement (default 3, at least 2)",
    )
    parser.add_argument(
        "--duration", type=int, default=8, help="seconds measured per endpoint and round (default 8)"
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of warm-up before each measurement (default 2)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--items", type=int, default=1000, help="items seeded per service (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects and server logs")
    compare = parser.add_mutually_exclusive_group()
    compare.add_argument(
        "--compare",
        type=Path,
        metavar="PATH",
        help="results to compare with and flag regressions beyond the spread"
        " (default: bench/results/latest.json, if a previous run left one)",
    )
    compare.add_argument("--no-compare", action="store_true", help="compare with no previous run")
    args = parser.parse_args(argv)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    if "fastapi" not in frameworks:
        parser.error("fastapi is always benchmarked (its environment runs the floor)")
    if args.rounds < 2:
        parser.error("--rounds must be at least 2: one round has no spread")
    if args.compare is not None and not args.compare.is_file():
        parser.error(f"--compare {args.compare}: no such file")
    latest = RESULTS_DIR / "latest.json"
    compare_with = None if args.no_compare else args.compare or (latest if latest.is_file() else None)
    return Options(
        frameworks, args.rounds, args.duration, args.warmup, args.connections, args.threads, args.items,
        args.keep, compare_with,
    )  # fmt: skip


def generation_figures(services: dict[str, Service]) -> stats.Figures:
    """The figures measured once (uv sync, make test, time to first green), as one-value stats."""
    return {
        name: {key: stats.summarize([value]) for key, value in service.generation.items()}
        for name, service in services.items()
        if service.generation
    }


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    previous = read_previous(options.compare)  # before this run overwrites latest.json
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
        "rounds": options.rounds,
        "duration": options.duration,
        "warmup": options.warmup,
        "connections": options.connections,
        "threads": options.threads,
        "items": options.items,
        "notes": [
            "list and create run without authentication: the template has no authentication yet"
            " (the Credentials questions come later); they gain a login when it does.",
            "time to first green: the last round's `copier copy --trust`, then `uv sync` and"
            " `make test`, measured once (an absolute target).",
        ],
    }
    labels = {"floor": "Floor", "fastapi": "FastAPI", "django": "Django"}
    services: dict[str, Service] = {}
    broken: list[str] = []
    copies: list[dict[str, Any]] = []
    loads: list[dict[str, dict[str, dict[str, Any]]]] = []
    servers: dict[str, Server] = {}
    workdir = Path(tempfile.mkdtemp(prefix="preflight-bench-"))
    try:
        ensure_wrk()
        meta["postgresql"] = check_postgres()
        meta["wrk"] = subprocess.run(
            ["wrk", "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
        frameworks = []
        for framework in options.frameworks:
            try:
                warm_up(framework, workdir)
                frameworks.append(framework)
            except BrokenError as exc:
                broken.append(str(exc))
                log(f"BROKEN: {exc}")
        copies = copy_rounds(frameworks, options.rounds, workdir, broken)
        for framework in frameworks:
            copied = copies[-1].get(framework, {}).get("tasks")
            if copied is None:
                continue  # its copy broke (already reported)
            service = Service(framework, labels.get(framework, framework))
            try:
                first_green(service, workdir, copied)
            except BrokenError as exc:
                broken.append(str(exc))
                log(f"BROKEN: {exc}")
                continue
            services[framework] = service
        if "fastapi" in services:
            floor = Service("floor", labels["floor"])
            floor.project = services["fastapi"].project
            floor.notes.append(
                "Starlette + asyncpg, no middleware, in the FastAPI project's interpreter and libraries"
            )
            services = {"floor": floor, **services}
            for service in services.values():
                try:
                    servers[service.name] = bring_up(service, options, workdir, stamp)
                except BrokenError as exc:
                    broken.append(str(exc))
                    log(f"BROKEN: {exc}")
            if "floor" in servers:
                loads = load_rounds(servers, options, stamp, broken)
                for server in servers.values():
                    try:
                        measure_memory(server)
                    except BrokenError as exc:
                        broken.append(str(exc))
    except BrokenError as exc:
        broken.append(str(exc))
        log(f"BROKEN: {exc}")
    finally:
        for server in servers.values():
            stop_server(server)
        for service in services.values():
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                drop_database(database_name(service, stamp))
        if options.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    meta["wall_time_s"] = round(time.perf_counter() - started, 1)
    figures = stats.merge(stats.load_figures(loads), stats.copy_figures(copies), generation_figures(services))
    targets = stats.evaluate(figures)
    comparison = comparison_of(previous, figures, meta) if previous is not None else None
    meta["notes"] += [f"BROKEN: {message.splitlines()[0]}" for message in broken]
    notes = [f"{s.label}: {note}" for s in services.values() for note in s.notes] + meta["notes"]
    report = markdown(
        {name: labels[name] for name in ("floor", *options.frameworks) if name in labels},
        figures,
        targets,
        meta,
        rss={name: s.rss_mib for name, s in services.items()},
        notes=notes,
        comparison=comparison,
    )
    print(report)
    RESULTS_DIR.mkdir(exist_ok=True)
    result = {
        "meta": meta,
        "services": {
            name: {
                "generation": s.generation,
                "first_page_keys": s.first_page_keys,
                "rss_mib_per_worker": s.rss_mib,
                "master_rss_mib": s.master_rss_mib,
                "notes": s.notes,
            }
            for name, s in services.items()
        },
        "rounds": {"load": loads, "copy": copies},
        "figures": figures,
        "targets": targets,
        "comparison": comparison,
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
