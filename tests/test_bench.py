"""The benchmark's own logic: reading wrk's report, the interleaving order, medians and
spreads of per-round ratios, judging the targets and comparing two runs.

The benchmark itself (make bench) is not part of the suite: its figures are read,
not asserted. What it computes from them is, here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import stats
from bench.report import markdown, ratio
from bench.run import comparison_of, parse_options
from bench.servers import parse_wrk
from bench.tools import BrokenError

WRK_REPORT = """\
Running 1s test @ http://127.0.0.1:8112/health/live
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   189.19us  479.02us   5.87ms   96.29%
    Req/Sec    18.13k     2.01k   19.24k    90.91%
  Latency Distribution
     50%   99.00us
     75%  101.00us
     90%  140.00us
     99%    3.01ms
  19815 requests in 1.10s, 2.65MB read
Requests/sec:  18011.61
Transfer/sec:      2.40MB
"""


def test_wrk_report_is_read_in_milliseconds() -> None:
    figures = parse_wrk(WRK_REPORT)

    assert figures == {
        "requests": 19815,
        "rps": 18011.6,
        "p50_ms": 0.1,
        "p99_ms": 3.01,
        "non_2xx_3xx": 0,
        "socket_errors": {},
    }


def test_wrk_errors_are_counted() -> None:
    report = WRK_REPORT.replace(
        "Requests/sec:",
        "  Socket errors: connect 0, read 2, write 0, timeout 5\n"
        "  Non-2xx or 3xx responses: 7\nRequests/sec:",
    )

    figures = parse_wrk(report)

    assert figures["non_2xx_3xx"] == 7
    assert figures["socket_errors"] == {"connect": 0, "read": 2, "write": 0, "timeout": 5}


def test_an_unreadable_report_breaks_the_run() -> None:
    with pytest.raises(BrokenError, match="unreadable wrk output"):
        parse_wrk("wrk: connection refused")


# --------------------------------------------------------------------------- order


def test_each_round_measures_every_endpoint_on_the_floor_then_the_services_back_to_back() -> None:
    order = stats.load_schedule(3, ["fastapi", "django", "floor"], ["liveness", "list"])

    assert order[:6] == [
        (1, "liveness", "floor"),
        (1, "liveness", "fastapi"),
        (1, "liveness", "django"),
        (1, "list", "floor"),
        (1, "list", "fastapi"),
        (1, "list", "django"),
    ]
    # Rounds 2 and 3 repeat round 1's order.
    assert order[6:] == [
        (number, endpoint, service) for number in (2, 3) for _, endpoint, service in order[:6]
    ]


def test_copies_are_timed_floor_first_then_each_framework_without_and_with_tasks() -> None:
    assert stats.copy_schedule(2, ["fastapi", "django"]) == [
        (1, "floor", "floor"),
        (1, "fastapi", "render"),
        (1, "fastapi", "tasks"),
        (1, "django", "render"),
        (1, "django", "tasks"),
        (2, "floor", "floor"),
        (2, "fastapi", "render"),
        (2, "fastapi", "tasks"),
        (2, "django", "render"),
        (2, "django", "tasks"),
    ]
    with pytest.raises(ValueError, match="at least one round"):
        stats.copy_schedule(0, ["fastapi"])


# --------------------------------------------------------------------------- medians and spreads


def test_a_summary_is_the_median_and_the_range() -> None:
    assert stats.summarize([3.0, 1.0, 10.0, 2.0]) == {
        "median": 2.5,
        "min": 1.0,
        "max": 10.0,
        "values": [3.0, 1.0, 10.0, 2.0],
    }
    assert stats.summarize([0.5, 0.9, 0.7])["median"] == 0.7


def _round(
    floor: tuple[float, float], **services: tuple[float, float]
) -> dict[str, dict[str, dict[str, float]]]:
    """One load round of the list endpoint: (req/s, p99 ms) per service."""
    return {
        name: {"list": {"rps": rps, "p50_ms": p99 / 4, "p99_ms": p99}}
        for name, (rps, p99) in {"floor": floor, **services}.items()
    }


def test_a_ratio_divides_figures_of_the_same_round_so_it_holds_while_the_machine_moves() -> None:
    # The machine halves, then doubles, every figure: each round's ratio stays 0.7.
    rounds = [
        _round((1000, 10), fastapi=(700, 15)),
        _round((500, 20), fastapi=(350, 30)),
        _round((2000, 5), fastapi=(1400, 7.5)),
    ]

    figures = stats.load_figures(rounds)

    assert figures["fastapi"]["list_ratio"] == {
        "median": 0.7,
        "min": 0.7,
        "max": 0.7,
        "values": [0.7, 0.7, 0.7],
    }
    assert figures["fastapi"]["list_p99_ratio"]["median"] == 1.5
    assert figures["floor"]["list_rps"] == {
        "median": 1000.0,
        "min": 500.0,
        "max": 2000.0,
        "values": [1000.0, 500.0, 2000.0],
    }
    assert "list_ratio" not in figures["floor"]


def test_the_ratio_is_the_median_of_per_round_ratios_not_a_ratio_of_medians() -> None:
    rounds = [
        _round((1000, 10), fastapi=(800, 10)),
        _round((3000, 10), fastapi=(900, 10)),
        _round((2000, 10), fastapi=(1800, 10)),
    ]

    figures = stats.load_figures(rounds)

    # Per round 0.8, 0.3, 0.9; the ratio of the medians would be 900 / 2000 = 0.45.
    assert figures["fastapi"]["list_ratio"] == {
        "median": 0.8,
        "min": 0.3,
        "max": 0.9,
        "values": [0.8, 0.3, 0.9],
    }


def test_a_service_missing_from_a_round_leaves_no_half_figure() -> None:
    rounds = [_round((1000, 10), fastapi=(700, 15), django=(200, 40)), _round((1000, 10), fastapi=(700, 15))]

    figures = stats.load_figures(rounds)

    assert "django" not in figures
    assert figures["fastapi"]["list_ratio"]["median"] == 0.7


# --------------------------------------------------------------------------- targets


def _copies(floor: list[float], **frameworks: tuple[list[float], list[float]]) -> list[dict[str, object]]:
    return [
        {
            "floor": seconds,
            **{
                name: {"render": render[i], "tasks": tasks[i]} for name, (render, tasks) in frameworks.items()
            },
        }
        for i, seconds in enumerate(floor)
    ]


def test_copies_are_ratios_to_the_same_rounds_one_file_copy_judged_at_1_5_and_2_5() -> None:
    copies = _copies(
        [1.0, 2.0, 1.0],
        fastapi=([1.4, 2.8, 1.4], [2.6, 5.2, 2.6]),
        django=([1.6, 3.2, 1.6], [2.4, 4.8, 2.4]),
    )

    figures = stats.copy_figures(copies)
    results = {t["target"]: t["result"] for t in stats.evaluate(figures)}

    assert figures["floor"]["copier_copy_s"]["median"] == 1.0
    assert figures["fastapi"]["copier_render_ratio"]["values"] == [1.4, 1.4, 1.4]
    assert figures["fastapi"]["copier_copy_s"]["median"] == 2.6
    assert results["FastAPI `copier copy` without tasks ≤ 1.5× copy floor"] == "PASS"
    assert results["FastAPI `copier copy` with tasks ≤ 2.5× copy floor"] == "MISS"
    assert results["Django `copier copy` without tasks ≤ 1.5× copy floor"] == "MISS"
    assert results["Django `copier copy` with tasks ≤ 2.5× copy floor"] == "PASS"
    assert results["FastAPI time to first green ≤ 30 s"] == "n/a"  # not measured here


def test_targets_are_judged_on_the_median_whatever_one_round_did() -> None:
    def stat(*values: float) -> stats.Stat:
        return stats.summarize(values)

    figures: stats.Figures = {
        "fastapi": {
            "list_ratio": stat(0.69, 0.75, 0.66),  # one round passes, the median misses
            "list_p99_ratio": stat(1.9, 2.5, 1.8),  # one round misses, the median passes
            "create_ratio": stat(0.5, 0.5, 0.5),  # on the line passes
            "liveness_ratio": stat(0.79, 0.81, 0.95),
            "first_green_s": stat(29.0),
        },
        "django": {"list_ratio": stat(0.2, 0.3, 0.4), "liveness_ratio": stat(0.51, 0.49, 0.5)},
    }

    results = {t["target"]: t["result"] for t in stats.evaluate(figures)}

    assert results["FastAPI list ≥ 0.7× floor"] == "MISS"
    assert results["FastAPI list p99 ≤ 2× floor's p99"] == "PASS"
    assert results["FastAPI create ≥ 0.5× floor"] == "PASS"
    assert results["FastAPI liveness ≥ 0.8× floor"] == "PASS"
    assert results["FastAPI time to first green ≤ 30 s"] == "PASS"
    assert results["Django list ≥ 0.5× floor"] == "MISS"
    assert results["Django liveness ≥ 0.5× floor"] == "PASS"
    assert results["Django time to first green ≤ 30 s"] == "n/a"


# --------------------------------------------------------------------------- comparison


def _verdicts(before: stats.Figures, after: stats.Figures) -> dict[str, str]:
    return {f"{r['service']} {r['figure']}": r["verdict"] for r in stats.compare(before, after)}


def test_a_median_that_moves_beyond_both_runs_spread_is_flagged_the_way_it_moved() -> None:
    def stat(*values: float) -> stats.Stat:
        return stats.summarize(values)

    before: stats.Figures = {
        "fastapi": {
            "list_ratio": stat(0.60, 0.62, 0.64),  # half-range 0.02
            "create_ratio": stat(0.40, 0.42, 0.44),
            "liveness_ratio": stat(0.70, 0.80, 0.90),
            "copier_copy_ratio": stat(2.0, 2.1, 2.2),
            "list_p99_ratio": stat(1.5, 1.6, 1.7),
            "list_rps": stat(1000, 1100, 1200),
            "first_green_s": stat(30.0),
        }
    }
    after: stats.Figures = {
        "fastapi": {
            "list_ratio": stat(0.54, 0.55, 0.56),  # moved -0.07 > 0.02 + 0.01: worse
            "create_ratio": stat(0.44, 0.45, 0.46),  # moved +0.03 = 0.02 + 0.01: within
            "liveness_ratio": stat(0.95, 0.96, 0.97),  # moved +0.16 > 0.10 + 0.01: better
            "copier_copy_ratio": stat(2.4, 2.5, 2.6),  # lower is better: moved +0.4, worse
            "list_p99_ratio": stat(1.0, 1.1, 1.2),  # lower is better: moved -0.5, better
            "list_rps": stat(500, 550, 600),  # absolute: not compared
            "first_green_s": stat(60.0),
            "create_p99_ratio": stat(1.0, 1.1, 1.2),
        }
    }

    verdicts = _verdicts(before, after)

    assert verdicts == {
        "fastapi list_ratio": "regression",
        "fastapi create_ratio": "within spread",
        "fastapi liveness_ratio": "improvement",
        "fastapi copier_copy_ratio": "regression",
        "fastapi list_p99_ratio": "improvement",
        "fastapi first_green_s": "measured once",
        "fastapi create_p99_ratio": "only in one run",
    }
    row = next(r for r in stats.compare(before, after) if r["figure"] == "list_ratio")
    assert row["moved"] == -0.07
    assert row["tolerance"] == 0.03


def test_a_comparison_needs_per_round_figures(tmp_path: Path) -> None:
    old_format = {"meta": {"stamp": "20261201T000000Z"}, "figures": {"fastapi": {"list_ratio": 0.41}}}
    new_format = {
        "meta": {"stamp": "20261202T000000Z", "template_commit": "abc1234", "rounds": 3, "duration": 12},
        "figures": {"fastapi": {"list_ratio": stats.summarize([0.6, 0.62, 0.64])}},
    }
    after = {"fastapi": {"list_ratio": stats.summarize([0.5, 0.51, 0.52])}}
    meta = {"rounds": 3, "duration": 8}

    assert not stats.comparable(old_format)
    assert stats.comparable(new_format)
    assert "nothing compared" in comparison_of((tmp_path / "old.json", old_format), after, meta)["note"]
    comparison = comparison_of((tmp_path / "new.json", new_format), after, meta)
    assert comparison["stamp"] == "20261202T000000Z"
    assert comparison["settings"] == ["duration 12 then, 8 now"]
    assert [r["verdict"] for r in comparison["rows"]] == ["regression"]


def test_the_report_shows_each_ratio_with_its_spread_and_the_comparison() -> None:
    figures: stats.Figures = {"fastapi": {"list_ratio": stats.summarize([0.55, 0.54, 0.56])}}
    before: stats.Figures = {"fastapi": {"list_ratio": stats.summarize([0.6, 0.62, 0.64])}}
    meta = {
        "stamp": "20261204T000000Z", "cpus": 2, "workers": 2, "threads": 2, "connections": 32, "rounds": 3,
        "duration": 8, "warmup": 2, "items": 1000, "template_commit": "abc1234", "template_dirty": False,
        "wall_time_s": 1.0,
    }  # fmt: skip
    comparison = {
        "stamp": "20261203T000000Z", "source": "latest.json", "commit": "def5678", "rounds": 3,
        "settings": [], "rows": stats.compare(before, figures),
    }  # fmt: skip

    text = markdown(
        {"floor": "Floor", "fastapi": "FastAPI"},
        figures,
        stats.evaluate(figures),
        meta,
        rss={},
        notes=[],
        comparison=comparison,
    )

    assert ratio(figures["fastapi"]["list_ratio"]) == "0.55× (0.54–0.56)"
    assert "| list 20 items: req/s × floor | — | 0.55× (0.54–0.56) |" in text
    assert "| FastAPI list ≥ 0.7× floor | 0.55× (0.54–0.56) | MISS |" in text
    assert "### Compared with 20261203T000000Z" in text
    assert (
        "| FastAPI list_ratio | 0.62× (0.60–0.64) | 0.55× (0.54–0.56) | -0.07 (±0.03) | REGRESSION |" in text
    )


def test_one_round_is_refused_it_has_no_spread() -> None:
    with pytest.raises(SystemExit):
        parse_options(["--rounds", "1"])
