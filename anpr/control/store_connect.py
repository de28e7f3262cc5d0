"""Connections to the control room's database over two DB-API drivers: SQLite (the stdlib `sqlite3`, the
default) and PostgreSQL (`psycopg` 3, imported only when asked for), picked by the URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


class StoreError(Exception):
    """A database that cannot be opened (bad URL, unreachable server, missing driver)."""


def dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite:") else "postgres"


def sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///") :])


def connect(url: str, autocommit: bool) -> Any:
    """A DB-API connection to `url` (`sqlite:///PATH` or a PostgreSQL URL); StoreError when it cannot be had.

    Without `autocommit`, a SQLite connection opens each write transaction with BEGIN IMMEDIATE."""
    if dialect(url) == "sqlite":
        path = sqlite_path(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            # FULL: a PUBACK is sent only after the commit, so the commit must survive a power cut.
            con.execute("PRAGMA synchronous=FULL")
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open SQLite database {path}: {err}") from None
        return _SqliteTx(con) if not autocommit else con
    try:
        import psycopg
    except ImportError:
        raise StoreError("PostgreSQL needs psycopg: pip install 'anpr[control]'") from None
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as err:
        raise StoreError(f"cannot connect to PostgreSQL: {err}") from None


class _SqliteTx:
    """sqlite3 in autocommit mode with explicit BEGIN IMMEDIATE, so a batch is one write transaction."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self._open = False

    def cursor(self) -> sqlite3.Cursor:
        if not self._open:
            self.con.execute("BEGIN IMMEDIATE")
            self._open = True
        return self.con.cursor()

    def commit(self) -> None:
        if self._open:
            self.con.execute("COMMIT")
            self._open = False

    def rollback(self) -> None:
        if self._open:
            self.con.execute("ROLLBACK")
            self._open = False

    def close(self) -> None:
        self.con.close()
