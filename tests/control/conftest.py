"""Fixtures for the control-room tests: a real mosquitto, a real PostgreSQL, stores of both kinds."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import start_browser
from helpers.control import Postgres

from anpr.control.store import Store, open_store

_db_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres | str]:
    """A running PostgreSQL, or the reason it cannot run here (tests that need it skip with it)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield "psycopg not installed (pip install 'anpr[control]')"
        return
    pg = Postgres()
    why = pg.start()
    yield pg if why is None else why
    pg.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: Postgres | str
) -> Iterator[Callable[[], Store]]:
    """Opens stores on one fresh database (SQLite file or PostgreSQL database); closes them after."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'control.sqlite'}"
    else:
        if isinstance(postgres, str):
            pytest.skip(f"PostgreSQL cannot run here: {postgres}")
        url = postgres.create_db(f"t{next(_db_numbers)}")
    opened: list[Store] = []

    def make() -> Store:
        s = open_store(url)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (skips with the reason when it is not installed)."""
    driver = start_browser()
    yield driver
    driver.quit()
