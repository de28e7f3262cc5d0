"""The hotlist database file: its connections (WAL, synchronous=FULL, owner-only) and its two tables, the
entries and the one metadata row."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from anpr.core.dbfile import private_file
from anpr.hotlist.entries import COLUMNS

_META_COLUMNS = (
    "version", "list_name", "issued_at", "key_id", "last_sync_attempt", "last_sync_success",
    "last_refusal", "last_refusal_at", "skipped_entries", "source",
)  # fmt: skip


def connect(path: Path) -> sqlite3.Connection:
    private_file(path)  # the list names plates and reasons: its owner only
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def create(db: sqlite_utils.Database, list_name: str) -> None:
    """Create the tables a new file lacks (an existing file is left as it is)."""
    if not db["entries"].exists():
        # WITHOUT ROWID (which sqlite-utils cannot declare): the primary key IS the table, so an exact
        # lookup is one B-tree seek instead of index seek + row fetch (about half the time at 1 M rows).
        ints = {"priority", "covert", "wildcard"}
        sql_cols = ", ".join(f"{c} {'INTEGER' if c in ints else 'TEXT'}" for c in COLUMNS)
        db.execute(f"CREATE TABLE entries ({sql_cols}, PRIMARY KEY (plate, list_name, origin)) WITHOUT ROWID")
        db.execute("CREATE INDEX IF NOT EXISTS entries_wildcard ON entries(wildcard) WHERE wildcard = 1")
    meta = db["meta"]
    if not meta.exists():
        cols: dict[str, Any] = {"id": int, **{c: str for c in _META_COLUMNS}}
        cols.update(version=int, skipped_entries=int)
        db.create_table("meta", cols, pk="id")
        db.execute("INSERT INTO meta (id, list_name, skipped_entries) VALUES (1, ?, 0)", [list_name])
