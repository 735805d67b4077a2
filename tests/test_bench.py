"""The benchmark's own logic: reading wrk's report and judging the targets.

The benchmark itself (make bench) is not part of the suite: its figures are read,
not asserted. What it computes from them is, here.
"""

from __future__ import annotations

import pytest

from bench.run import BrokenError, Service, evaluate, figures_of, parse_wrk

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


def _service(name: str, rps: dict[str, float], **generation: float) -> Service:
    service = Service(name, name)
    service.load = {endpoint: {"rps": value} for endpoint, value in rps.items()}
    service.generation = dict(generation)
    return service


def test_targets_compare_ratios_to_the_floor_and_times_to_their_limits() -> None:
    services = {
        "fastapi": _service(
            "fastapi",
            {"liveness": 8100.0, "list": 690.0, "create": 500.0},
            first_green_s=29.0,
            copier_copy_s=2.5,
            copier_render_s=1.9,
        ),
        "floor": _service("floor", {"liveness": 10000.0, "list": 1000.0, "create": 800.0}),
    }

    figures = figures_of(services)
    results = {target["target"]: target["result"] for target in evaluate(figures)}

    assert figures["fastapi"]["list_ratio"] == 0.69
    assert figures["fastapi"]["liveness_ratio"] == 0.81
    assert results["FastAPI list ≥ 0.7× floor"] == "MISS"
    assert results["FastAPI liveness ≥ 0.8× floor"] == "PASS"
    assert results["FastAPI time to first green ≤ 30 s"] == "PASS"
    assert results["FastAPI `copier copy` ≤ 2 s"] == "MISS"
    assert results["FastAPI `copier copy` without tasks ≤ 2 s"] == "PASS"
    assert results["Django list ≥ 0.5× floor"] == "n/a"  # not benchmarked in this run
