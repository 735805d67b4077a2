"""The benchmark's arithmetic: interleaving order, per-round ratios, medians and spreads,
targets and the comparison with a previous run. Pure functions over plain data, so
tests/test_bench.py checks them without a server.

Why rounds and ratios: on a shared machine the absolute figures move with whatever
else runs. Each round measures the floor and the services back to back, so a ratio
of two figures of the same round sees (nearly) the same machine; the median of the
per-round ratios over several rounds is what a target is judged on, and their
spread (min–max) says how far one round can be trusted.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

# A figure summarised over the rounds: {"median", "min", "max", "values"}.
Stat = dict[str, Any]
# figures[service][figure] -> Stat
Figures = dict[str, dict[str, Stat]]

FLOOR = "floor"
COPY_MODES = ("render", "tasks")  # `copier copy --skip-tasks`, `copier copy --trust`

# (label, service, figure, comparison, threshold): judged on the figure's median.
TARGETS: list[tuple[str, str, str, str, float]] = [
    ("FastAPI list ≥ 0.7× floor", "fastapi", "list_ratio", ">=", 0.7),
    ("FastAPI list p99 ≤ 2× floor's p99", "fastapi", "list_p99_ratio", "<=", 2.0),
    ("FastAPI create ≥ 0.5× floor", "fastapi", "create_ratio", ">=", 0.5),
    ("FastAPI liveness ≥ 0.8× floor", "fastapi", "liveness_ratio", ">=", 0.8),
    ("Django list ≥ 0.5× floor", "django", "list_ratio", ">=", 0.5),
    ("Django liveness ≥ 0.5× floor", "django", "liveness_ratio", ">=", 0.5),
    ("FastAPI time to first green ≤ 30 s", "fastapi", "first_green_s", "<=", 30.0),
    ("Django time to first green ≤ 30 s", "django", "first_green_s", "<=", 30.0),
    ("FastAPI `copier copy` without tasks ≤ 1.5× copy floor", "fastapi", "copier_render_ratio", "<=", 1.5),
    ("Django `copier copy` without tasks ≤ 1.5× copy floor", "django", "copier_render_ratio", "<=", 1.5),
    ("FastAPI `copier copy` with tasks ≤ 2.5× copy floor", "fastapi", "copier_copy_ratio", "<=", 2.5),
    ("Django `copier copy` with tasks ≤ 2.5× copy floor", "django", "copier_copy_ratio", "<=", 2.5),
]


# --------------------------------------------------------------------------- order


def load_schedule(
    rounds: int, services: Sequence[str], endpoints: Sequence[str]
) -> list[tuple[int, str, str]]:
    """(round, endpoint, service) in the order they are measured.

    Within a round, each endpoint is measured on every service back to back, floor
    first: the measurements a ratio divides are never more than len(services) - 1
    measurements apart, whatever the machine does meanwhile.
    """
    if rounds < 1:
        msg = "at least one round"
        raise ValueError(msg)
    order = [FLOOR, *(s for s in services if s != FLOOR)]
    return [
        (number, endpoint, service)
        for number in range(1, rounds + 1)
        for endpoint in endpoints
        for service in order
    ]


def copy_schedule(rounds: int, frameworks: Sequence[str]) -> list[tuple[int, str, str]]:
    """(round, template, mode) in the order `copier copy` is timed: the one-file floor
    first in each round, then each framework's render-only copy and copy with tasks."""
    if rounds < 1:
        msg = "at least one round"
        raise ValueError(msg)
    return [
        (number, template, mode)
        for number in range(1, rounds + 1)
        for template, mode in [(FLOOR, "floor"), *((f, m) for f in frameworks for m in COPY_MODES)]
    ]


# --------------------------------------------------------------------------- summaries


def summarize(values: Sequence[float], digits: int = 2) -> Stat:
    """Median and spread (min–max) of one figure's per-round values."""
    if not values:
        msg = "no values to summarise"
        raise ValueError(msg)
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "values": [round(value, digits) for value in values],
    }


def per_round_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Each round's figure divided by the same round's floor figure."""
    if len(numerators) != len(denominators):
        msg = f"{len(numerators)} rounds against {len(denominators)} floor rounds"
        raise ValueError(msg)
    return [n / d for n, d in zip(numerators, denominators, strict=True)]


def load_figures(rounds: Sequence[Mapping[str, Mapping[str, Mapping[str, float]]]]) -> Figures:
    """Figures from the load rounds: rounds[i][service][endpoint] = {"rps", "p50_ms", "p99_ms"}.

    Every service gets its medians of req/s, p50 and p99; every service but the floor
    gets, per endpoint, the median of its per-round req/s ratio to the floor
    (`<endpoint>_ratio`, higher is better) and of its per-round p99 ratio
    (`<endpoint>_p99_ratio`, lower is better). A figure appears only when every
    round measured it (a round that broke leaves no half-figure behind).
    """
    figures: Figures = {}
    if not rounds:
        return figures
    services = [s for s in rounds[0] if all(s in r for r in rounds)]
    for service in services:
        row = figures.setdefault(service, {})
        for endpoint in rounds[0][service]:
            if not all(endpoint in r[service] for r in rounds):
                continue
            series = {key: [r[service][endpoint][key] for r in rounds] for key in ("rps", "p50_ms", "p99_ms")}
            row[f"{endpoint}_rps"] = summarize(series["rps"], digits=1)
            row[f"{endpoint}_p50_ms"] = summarize(series["p50_ms"])
            row[f"{endpoint}_p99_ms"] = summarize(series["p99_ms"])
            floor_measured = FLOOR in services and all(endpoint in r[FLOOR] for r in rounds)
            if service == FLOOR or not floor_measured:
                continue
            floor = {key: [r[FLOOR][endpoint][key] for r in rounds] for key in ("rps", "p99_ms")}
            row[f"{endpoint}_ratio"] = summarize(per_round_ratios(series["rps"], floor["rps"]))
            row[f"{endpoint}_p99_ratio"] = summarize(per_round_ratios(series["p99_ms"], floor["p99_ms"]))
    return figures


def copy_figures(rounds: Sequence[Mapping[str, Any]]) -> Figures:
    """Figures from the copy rounds: rounds[i] = {"floor": s, "<framework>": {"render": s, "tasks": s}}.

    The floor gets `copier_copy_s` (the one-file template); each framework gets its
    seconds (`copier_render_s`, `copier_copy_s`) and the medians of their per-round
    ratios to the same round's floor copy (`copier_render_ratio`, `copier_copy_ratio`).
    """
    figures: Figures = {}
    if not rounds or not all(FLOOR in r for r in rounds):
        return figures
    floor = [float(r[FLOOR]) for r in rounds]
    figures[FLOOR] = {"copier_copy_s": summarize(floor)}
    frameworks = [f for f in rounds[0] if f != FLOOR and all(f in r for r in rounds)]
    for framework in frameworks:
        row = figures.setdefault(framework, {})
        for mode, seconds_key, ratio_key in (
            ("render", "copier_render_s", "copier_render_ratio"),
            ("tasks", "copier_copy_s", "copier_copy_ratio"),
        ):
            if not all(mode in r[framework] for r in rounds):
                continue
            seconds = [float(r[framework][mode]) for r in rounds]
            row[seconds_key] = summarize(seconds)
            row[ratio_key] = summarize(per_round_ratios(seconds, floor))
    return figures


def merge(*parts: Figures) -> Figures:
    merged: Figures = {}
    for part in parts:
        for service, row in part.items():
            merged.setdefault(service, {}).update(row)
    return merged


# --------------------------------------------------------------------------- targets


def evaluate(figures: Figures) -> list[dict[str, Any]]:
    """Each target judged on its figure's median: PASS, MISS, or n/a when not measured."""
    results = []
    for label, service, figure, comparison, threshold in TARGETS:
        stat = figures.get(service, {}).get(figure)
        if stat is None:
            result = "n/a"
        elif comparison == ">=":
            result = "PASS" if stat["median"] >= threshold else "MISS"
        else:
            result = "PASS" if stat["median"] <= threshold else "MISS"
        results.append(
            {"target": label, "service": service, "figure": figure, "stat": stat, "result": result}
        )
    return results


# --------------------------------------------------------------------------- comparison


def better_direction(figure: str) -> str | None:
    """'higher' or 'lower' for the figures a run is compared on, None for the rest.

    Ratios are what survive a noisy machine, so they are compared; so are the times
    to a first green run, which are targets of their own. Absolute req/s and
    latencies move with the machine and are not.
    """
    if figure.endswith(("_p99_ratio", "copier_render_ratio", "copier_copy_ratio")):
        return "lower"
    if figure.endswith("_ratio"):
        return "higher"
    if figure == "first_green_s":
        return "lower"
    return None


def compare(before: Figures, after: Figures) -> list[dict[str, Any]]:
    """Each compared figure of two runs, with its verdict.

    A median that moved by more than the two runs' combined spread (half of each
    run's min–max range, added) is flagged: "regression" when it moved the bad way,
    "improvement" when the good way. Otherwise "within spread". A figure measured
    once in either run has no spread and is reported as "measured once", never
    flagged; one that only one run has is "only in one run".
    """
    rows = []
    services = [*after, *(s for s in before if s not in after)]
    for service in services:
        figures = [
            *after.get(service, {}),
            *(f for f in before.get(service, {}) if f not in after.get(service, {})),
        ]
        for figure in figures:
            direction = better_direction(figure)
            if direction is None:
                continue
            old = before.get(service, {}).get(figure)
            new = after.get(service, {}).get(figure)
            row: dict[str, Any] = {"service": service, "figure": figure, "before": old, "after": new}
            if old is None or new is None:
                row.update(moved=None, tolerance=None, verdict="only in one run")
            else:
                # Rounded as the figures are, so that a move exactly the tolerance is within it.
                moved = round(new["median"] - old["median"], 6)
                tolerance = round((old["max"] - old["min"]) / 2 + (new["max"] - new["min"]) / 2, 6)
                row.update(moved=moved, tolerance=tolerance)
                if len(old["values"]) < 2 or len(new["values"]) < 2:
                    row["verdict"] = "measured once"
                elif abs(moved) <= tolerance:
                    row["verdict"] = "within spread"
                else:
                    worse = moved < 0 if direction == "higher" else moved > 0
                    row["verdict"] = "regression" if worse else "improvement"
            rows.append(row)
    return rows


def comparable(results: Mapping[str, Any]) -> bool:
    """Whether a results file carries per-round figures (runs before the rounds did not)."""
    figures = results.get("figures")
    if not isinstance(figures, dict):
        return False
    return all(
        isinstance(stat, dict) and {"median", "min", "max", "values"} <= stat.keys()
        for row in figures.values()
        if isinstance(row, dict)
        for stat in row.values()
    ) and any(isinstance(row, dict) and row for row in figures.values())
