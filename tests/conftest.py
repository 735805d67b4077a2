"""Session fixtures: each combination is rendered and `uv sync`-ed once per worker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import Combination, render, run

_rendered: dict[str, Path] = {}


def pytest_configure(config: pytest.Config) -> None:
    missing = [tool for tool in ("uv", "git") if shutil.which(tool) is None]
    if missing:
        raise pytest.UsageError(f"the template's tests need {', '.join(missing)} on PATH (see README.md)")


@pytest.fixture(scope="session")
def synced_project(tmp_path_factory: pytest.TempPathFactory):
    """Return a function that renders a combination and syncs its environment, once."""

    def get(combination: Combination) -> Path:
        if combination.name not in _rendered:
            destination = tmp_path_factory.mktemp(combination.name) / "project"
            render(destination, combination.data)
            # The path a --skip-tasks render documents: `make lock`, then CI's `uv sync --locked`.
            # uv's cache is shared between projects: only the first sync downloads.
            run(["uv", "lock", "--quiet"], destination)
            run(["uv", "sync", "--locked", "--quiet"], destination)
            _rendered[combination.name] = destination
        return _rendered[combination.name]

    return get
