"""The control room's tables, in the two dialects it runs on (SQLite and PostgreSQL), and the migrations
that bring a database made by an older version up to date. Run once, when a `Store` opens."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

_DDL_COMMON = """
CREATE TABLE IF NOT EXISTS events (
  event_id TEXT PRIMARY KEY, kind TEXT NOT NULL, device_id TEXT NOT NULL, camera_id TEXT NOT NULL,
  plate TEXT NOT NULL, confidence {real} NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  ts {real} NOT NULL, lat {real}, lon {real}, match_kind TEXT, reason TEXT, list_name TEXT, priority INTEGER,
  hotlist_version BIGINT, final BOOLEAN NOT NULL, crop {blob}, payload TEXT NOT NULL, received_at {real} NOT NULL,
  passage_id TEXT);
CREATE INDEX IF NOT EXISTS events_kind_ts ON events (kind, ts);
CREATE INDEX IF NOT EXISTS events_plate ON events (plate);
CREATE INDEX IF NOT EXISTS events_received ON events (kind, received_at);
CREATE TABLE IF NOT EXISTS cars (
  device_id TEXT PRIMARY KEY, state TEXT NOT NULL, status TEXT, status_at {real}, last_heard {real},
  last_event_at {real}, last_lat {real}, last_lon {real}, hotlist_version BIGINT);
CREATE TABLE IF NOT EXISTS quarantine (
  id {serial}, topic TEXT NOT NULL, payload {blob} NOT NULL, reason TEXT NOT NULL, received_at {real} NOT NULL);
CREATE TABLE IF NOT EXISTS hotlists (
  list_name TEXT NOT NULL, version BIGINT NOT NULL, kind TEXT NOT NULL, issued_at TEXT NOT NULL,
  published_at {real} NOT NULL, key_id TEXT, entries INTEGER NOT NULL, sha256 TEXT NOT NULL,
  PRIMARY KEY (list_name, version));
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at {real} NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, csrf TEXT NOT NULL, created_at {real} NOT NULL,
  expires_at {real} NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (
  device_id TEXT NOT NULL, passage_id TEXT NOT NULL, decision TEXT NOT NULL, note TEXT NOT NULL,
  user_name TEXT NOT NULL, at {real} NOT NULL, PRIMARY KEY (device_id, passage_id));
CREATE TABLE IF NOT EXISTS audit (
  id {serial}, at {real} NOT NULL, user_name TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL,
  remote TEXT);
"""
_SQLITE = {"real": "REAL", "blob": "BLOB", "serial": "INTEGER PRIMARY KEY AUTOINCREMENT"}
_POSTGRES = {"real": "DOUBLE PRECISION", "blob": "BYTEA", "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}


def create(cur: Any, dialect: str) -> None:
    """Create what is missing and migrate what is old, on `cur` (the caller commits)."""
    ddl = _DDL_COMMON.format(**(_SQLITE if dialect == "sqlite" else _POSTGRES))
    for stmt in filter(str.strip, ddl.split(";")):
        cur.execute(stmt)
    _migrate(cur, dialect)
    # after the migration: an old database has no passage_id column until then
    cur.execute("CREATE INDEX IF NOT EXISTS events_passage ON events (device_id, passage_id)")


def _migrate(cur: Any, dialect: str) -> None:
    """A database made before events had `passage_id`: add the column and fill it from the payloads."""
    if dialect == "sqlite":
        cur.execute("SELECT name FROM pragma_table_info('events')")
        if any(r[0] == "passage_id" for r in cur.fetchall()):
            return
        cur.execute("ALTER TABLE events ADD COLUMN passage_id TEXT")
        cur.execute("UPDATE events SET passage_id = json_extract(payload, '$.passage_id')")
    else:
        cur.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'passage_id'"
        )
        if cur.fetchall():
            return
        cur.execute("ALTER TABLE events ADD COLUMN passage_id TEXT")
        cur.execute("UPDATE events SET passage_id = payload::jsonb ->> 'passage_id'")
    log.info("events: passage_id added to a database made by an older version")
