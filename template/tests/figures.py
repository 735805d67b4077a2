"""What the drills measured, printed at the end of the run (pytest's terminal summary).

A drill's assertions say whether the service held; its figures say how it held (how many
requests, answered how, how many writes kept), for a note or a review to quote. Each
flavor's conftest.py loads this module as a plugin.
"""

from collections.abc import Callable

import pytest

Figures = Callable[[str], None]

_lines: list[str] = []


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Report one line of figures, under the test's name."""

    def report(line: str) -> None:
        _lines.append(f"{request.node.name}: {line}")

    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _lines:
        terminalreporter.section("drill figures")
        for line in _lines:
            terminalreporter.write_line(line)
