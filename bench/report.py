"""The benchmark's Markdown report: figures with their spread, targets, the comparison.

Every figure is the median over the rounds with its spread (min–max) in brackets; a
ratio is the median of the per-round ratios (each round's figure over the same
round's floor), not a ratio of medians.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bench.stats import Figures, Stat

ENDPOINT_TITLES = (("liveness", "liveness"), ("list", "list 20 items"), ("create", "create"))


def _spread(stat: Stat, show: Callable[[float], str]) -> str:
    if len(stat["values"]) < 2:
        return show(stat["median"])
    return f"{show(stat['median'])} ({show(stat['min'])}–{show(stat['max'])})"


def ratio(stat: Stat) -> str:
    """0.41× (0.38–0.44): the median ratio and the range of the per-round ratios."""
    if len(stat["values"]) < 2:
        return f"{stat['median']:.2f}×"
    return f"{stat['median']:.2f}× ({stat['min']:.2f}–{stat['max']:.2f})"


def rate(stat: Stat) -> str:
    return _spread(stat, lambda value: f"{value:,.0f}")


def seconds(stat: Stat) -> str:
    return _spread(stat, lambda value: f"{value:.1f}")


def shown(figure: str, stat: Stat | None) -> str:
    """A target's or a comparison's value, in the unit of its figure."""
    if stat is None:
        return "—"
    return ratio(stat) if figure.endswith("_ratio") else seconds(stat) + " s"


def figure_table(
    labels: Mapping[str, str], figures: Figures, rss: Mapping[str, Sequence[float]]
) -> list[str]:
    names = list(labels)
    lines = [
        "| Figure | " + " | ".join(labels[n] for n in names) + " |",
        "|" + "---|" * (len(names) + 1),
    ]

    def row(
        title: str,
        render: Callable[[dict[str, Stat]], str],
        *,
        floor_too: bool = True,
        floor: Callable[[dict[str, Stat]], str] | None = None,
    ) -> None:
        """One figure per column; the floor's by `floor` if given, none if not floor_too."""
        cells = []
        for name in names:
            if name == "floor" and not floor_too:
                cells.append("—")
                continue
            try:
                cells.append((floor or render)(figures[name]) if name == "floor" else render(figures[name]))
            except KeyError:
                cells.append("—")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")

    def pick(key: str, show: Callable[[Stat], str]) -> Callable[[dict[str, Stat]], str]:
        return lambda f: show(f[key])

    def latencies(endpoint: str) -> Callable[[dict[str, Stat]], str]:
        return lambda f: f"{f[f'{endpoint}_p50_ms']['median']:.2f} / {f[f'{endpoint}_p99_ms']['median']:.2f}"

    for endpoint, title in ENDPOINT_TITLES:
        row(f"{title}: req/s", pick(f"{endpoint}_rps", rate))
        row(f"{title}: req/s × floor", pick(f"{endpoint}_ratio", ratio), floor_too=False)
        row(f"{title}: p50 / p99 ms (medians)", latencies(endpoint))
        row(f"{title}: p99 × floor's p99", pick(f"{endpoint}_p99_ratio", ratio), floor_too=False)
    lines.append(
        "| RSS per worker after the last round, MiB | "
        + " | ".join(" / ".join(f"{v:.0f}" for v in rss.get(n, [])) or "—" for n in names)
        + " |"
    )
    # The Floor column of both copy rows is the one-file template, beside what it divides.
    row(
        "`copier copy --skip-tasks` s (render only; Floor: the one-file template)",
        lambda f: seconds(f["copier_render_s"]),
        floor=lambda f: seconds(f["copier_copy_s"]),
    )
    row("render only × copy floor", lambda f: ratio(f["copier_render_ratio"]), floor_too=False)
    row(
        "`copier copy --trust` s (with the tasks; Floor: the one-file template)",
        lambda f: seconds(f["copier_copy_s"]),
    )
    row("with the tasks × copy floor", lambda f: ratio(f["copier_copy_ratio"]), floor_too=False)
    row("`uv sync` s (warm cache)", lambda f: seconds(f["uv_sync_s"]), floor_too=False)
    row("`make test` s", lambda f: seconds(f["make_test_s"]), floor_too=False)
    row("time to first green s", lambda f: seconds(f["first_green_s"]), floor_too=False)
    return lines


def target_table(targets: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| Target | Median (spread) | Result |", "|---|---|---|"]
    for target in targets:
        lines.append(
            f"| {target['target']} | {shown(target['figure'], target['stat'])} | {target['result']} |"
        )
    return lines


def comparison_section(comparison: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    lines = [f"### Compared with {comparison['stamp']}", ""]
    if comparison.get("note"):
        return [*lines, comparison["note"]]
    rows = comparison["rows"]
    flagged = [r for r in rows if r["verdict"] in {"regression", "improvement"}]
    lines += [
        f"{comparison['source']}: template {comparison['commit']}, {comparison['rounds']} rounds."
        f" A median that moved by more than the combined spread (half of each run's min–max"
        f" range, added) is flagged: {len(flagged)} of {len(rows)} figures.",
    ]
    if comparison.get("settings"):
        lines.append("Settings differ: " + "; ".join(comparison["settings"]) + ".")
    lines += [
        "",
        "| Figure | Before | Now | Moved (tolerance) | Verdict |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        moved = "—" if row["moved"] is None else f"{row['moved']:+.2f} (±{row['tolerance']:.2f})"
        verdict = row["verdict"].upper() if row["verdict"] == "regression" else row["verdict"]
        name = f"{labels.get(row['service'], row['service'])} {row['figure']}"
        lines.append(
            f"| {name} | {shown(row['figure'], row['before'])} | {shown(row['figure'], row['after'])}"
            f" | {moved} | {verdict} |"
        )
    return lines


def markdown(
    labels: Mapping[str, str],
    figures: Figures,
    targets: Sequence[Mapping[str, Any]],
    meta: Mapping[str, Any],
    *,
    rss: Mapping[str, Sequence[float]],
    notes: Sequence[str],
    comparison: Mapping[str, Any] | None,
) -> str:
    lines = [
        f"## Preflight benchmark — {meta['stamp']}",
        "",
        f"{meta['cpus']} CPUs, {meta['workers']} workers per service, wrk -t{meta['threads']}"
        f" -c{meta['connections']}, {meta['rounds']} interleaved rounds (in each, every endpoint on"
        f" the floor then each service, back to back) of {meta['duration']} s per endpoint after"
        f" {meta['warmup']} s of warm-up; `copier copy` interleaved the same way with a one-file"
        f" template; {meta['items']} seeded items; template {meta['template_commit']}"
        f"{' (dirty)' if meta['template_dirty'] else ''}. Figures: median (min–max) over the rounds;"
        " a ratio is the median of the per-round ratios to the same round's floor.",
        "",
        *figure_table(labels, figures, rss),
        "",
        *target_table(targets),
    ]
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    if comparison is not None:
        lines += ["", *comparison_section(comparison, labels)]
    lines += ["", f"Wall time of the run: {meta['wall_time_s']:.0f} s."]
    return "\n".join(lines)
