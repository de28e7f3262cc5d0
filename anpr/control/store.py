"""Where the control room keeps events, car status, quarantined payloads and issued hotlists: the queries.

One class over two DB-API drivers (`store_connect`: SQLite by default, or PostgreSQL), picked by
`database_url`; the tables are `store_schema`'s. The SQL is shared (both speak `ON CONFLICT ... DO
NOTHING/UPDATE`); only the DDL and the placeholder differ. De-duplication is the primary key on
`event_id`: a re-sent event is a no-op insert, whichever receiver or car sends it, however often.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from anpr.control import store_schema
from anpr.control.ingest import EventRow, Ingested, Quarantined, StatusRow
from anpr.control.query import EventFilter, where_clause
from anpr.control.store_connect import StoreError, connect, dialect

log = logging.getLogger(__name__)

_COLUMNS = (
    "event_id", "kind", "device_id", "camera_id", "plate", "confidence", "first_seen", "last_seen", "ts", "lat",
    "lon", "match_kind", "reason", "list_name", "priority", "hotlist_version", "final", "crop", "payload",
    "passage_id",
)  # fmt: skip

_INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(_COLUMNS)}, received_at) VALUES ({', '.join('?' * (len(_COLUMNS) + 1))}) "
    "ON CONFLICT (event_id) DO NOTHING"
)
_UPSERT_STATUS = (
    "INSERT INTO cars (device_id, state, status, status_at, last_heard) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, status = excluded.status, "
    "status_at = excluded.status_at, last_heard = excluded.last_heard"
)
# The newest event (by the car's clock) sets the car's last place; a late re-send of an old one does not.
_UPSERT_CAR_EVENT = (
    "INSERT INTO cars (device_id, state, last_event_at, last_lat, last_lon, hotlist_version) "
    "VALUES (?, 'unknown', ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET "
    "last_event_at = excluded.last_event_at, last_lat = COALESCE(excluded.last_lat, cars.last_lat), "
    "last_lon = COALESCE(excluded.last_lon, cars.last_lon), "
    "hotlist_version = COALESCE(excluded.hotlist_version, cars.hotlist_version) "
    "WHERE cars.last_event_at IS NULL OR cars.last_event_at < excluded.last_event_at"
)
_HEARD = "UPDATE cars SET last_heard = ? WHERE device_id = ? AND (last_heard IS NULL OR last_heard < ?)"
_LIST_COLUMNS = (
    "event_id, kind, device_id, camera_id, plate, confidence, first_seen, last_seen, ts, lat, lon, match_kind, "
    "reason, list_name, priority, hotlist_version, final, crop IS NOT NULL AS has_crop, received_at, passage_id"
)


@dataclass(slots=True)
class AddResult:
    stored: list[EventRow] = field(default_factory=list)
    duplicates: int = 0
    statuses: int = 0
    quarantined: int = 0


class Store:
    """Thread-safe: one write connection (the receiver's writer thread) and one read connection (the page)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = dialect(url)
        self._wlock, self._rlock = threading.Lock(), threading.Lock()
        self._w = connect(self.url, autocommit=False)
        self._r = connect(self.url, autocommit=True)
        with self._wlock:
            store_schema.create(self._w.cursor(), self.dialect)
            self._w.commit()

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else sql.replace("?", "%s")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor on the write connection: committed when the block ends, rolled back if it raises."""
        with self._wlock:
            cur = self._w.cursor()
            try:
                yield cur
                self._w.commit()
            except Exception:
                self._w.rollback()
                raise

    def check(self) -> str | None:
        """None when the database answers on the write connection (a lost one is reopened), else why not.

        The receiver asks after a refused batch: an answering database means one message was poison."""
        with self._wlock:
            try:
                self._w.rollback()
                cur = self._w.cursor()
                cur.execute("SELECT 1")
                cur.fetchall()
                self._w.commit()
                return None
            except Exception as err:
                log.warning("database check failed (%s); reconnecting", err)
            with contextlib.suppress(Exception):  # closing a broken connection may fail; it is replaced anyway
                self._w.close()
            try:
                self._w = connect(self.url, autocommit=False)
            except StoreError as err:
                return str(err)
            return None

    # -- writing (the receiver) ------------------------------------------------------------------------
    def add(self, items: Iterable[Ingested], received_at: float) -> AddResult:
        """Store a batch in one transaction; returns the events that were new (for the live page)."""
        items = list(items)
        res = AddResult()
        newest: dict[str, EventRow] = {}
        heard: set[str] = set()
        events = [it for it in items if isinstance(it, EventRow)]
        with self._transaction() as cur:
            new_ids = self._insert_events(cur, events, received_at)
            for ev in events:
                if ev.event_id in new_ids:
                    new_ids.discard(ev.event_id)  # the same event twice in one batch is stored once
                    res.stored.append(ev)
                else:
                    res.duplicates += 1
                if ev.device_id not in newest or newest[ev.device_id].ts < ev.ts:
                    newest[ev.device_id] = ev
                heard.add(ev.device_id)
            statuses = [it for it in items if isinstance(it, StatusRow)]
            bad = [it for it in items if isinstance(it, Quarantined)]
            # executemany: one pipelined round trip per statement on PostgreSQL
            if statuses:
                cur.executemany(
                    self._sql(_UPSERT_STATUS),
                    [(st.device_id, st.state, st.payload, received_at, received_at) for st in statuses],
                )
            if bad:
                cur.executemany(
                    self._sql("INSERT INTO quarantine (topic, payload, reason, received_at) VALUES (?,?,?,?)"),
                    [(q.topic, q.payload, q.reason, received_at) for q in bad],
                )
            res.statuses, res.quarantined = len(statuses), len(bad)
            if newest:
                cur.executemany(
                    self._sql(_UPSERT_CAR_EVENT),
                    [(ev.device_id, ev.ts, ev.lat, ev.lon, ev.hotlist_version) for ev in newest.values()],
                )
                cur.executemany(self._sql(_HEARD), [(received_at, dev, received_at) for dev in heard])
        return res

    def _insert_events(self, cur: Any, events: list[EventRow], received_at: float) -> set[str]:
        """Insert, skipping known ids; returns the ids that were new."""
        if not events:
            return set()
        if self.dialect == "sqlite":  # in-process: one statement per row costs microseconds
            new: set[str] = set()
            for ev in events:
                cur.execute(_INSERT_EVENT, (*_values(ev), received_at))
                if cur.rowcount == 1:
                    new.add(ev.event_id)
            return new
        # PostgreSQL: one pipelined round trip for the batch instead of one per row.
        cur.executemany(
            self._sql(_INSERT_EVENT) + " RETURNING event_id",
            [(*_values(ev), received_at) for ev in events],
            returning=True,
        )
        new = set()
        while True:
            new.update(row[0] for row in cur.fetchall())
            if not cur.nextset():
                return new

    def record_hotlist(self, list_name: str, version: int, kind: str, issued_at: str, published_at: float,
                       key_id: str | None, entries: int, sha256: str) -> None:  # fmt: skip
        with self._transaction() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO hotlists VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (list_name, version) DO UPDATE "
                    "SET published_at = excluded.published_at, sha256 = excluded.sha256"
                ),
                (list_name, version, kind, issued_at, published_at, key_id, entries, sha256),
            )

    # -- reading (the page, export) --------------------------------------------------------------------
    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._rlock:
            try:
                cur = self._r.cursor()
                cur.execute(self._sql(sql), tuple(args))
            except Exception:
                if not getattr(self._r, "closed", False):
                    raise
                # a PostgreSQL restart broke the connection: reopen it and ask once more
                self._r = connect(self.url, autocommit=True)
                cur = self._r.cursor()
                cur.execute(self._sql(sql), tuple(args))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def events(self, flt: EventFilter) -> list[dict[str, Any]]:
        where, args = where_clause(flt)
        order = "received_at DESC, ts DESC" if flt.order == "received" else "ts DESC"
        rows = self._rows(f"SELECT {_LIST_COLUMNS} FROM events{where} ORDER BY {order} LIMIT ?", (*args, flt.limit))
        for r in rows:
            r["final"], r["has_crop"] = bool(r["final"]), bool(r["has_crop"])
        return rows

    def passage_events(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """Every stored event of the passages `keys` ((device_id, passage_id) pairs), oldest first."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(keys), 200):  # bounded statements, whatever the page asks for
            chunk = keys[i : i + 200]
            terms = " OR ".join("(device_id = ? AND passage_id = ?)" for _ in chunk)
            args = [v for key in chunk for v in key]
            out.extend(self._rows(f"SELECT {_LIST_COLUMNS}, payload FROM events WHERE {terms} ORDER BY ts", args))
        for r in out:
            r["final"], r["has_crop"] = bool(r["final"]), bool(r["has_crop"])
        return out

    def crop(self, event_id: str) -> bytes | None:
        found = self.crop_of(event_id)
        return None if found is None else found[1]

    def crop_of(self, event_id: str) -> tuple[str, bytes] | None:
        """(the event's kind, its crop): the page shows a read's crop to operators only."""
        rows = self._rows("SELECT kind, crop FROM events WHERE event_id = ?", (event_id,))
        return (str(rows[0]["kind"]), bytes(rows[0]["crop"])) if rows and rows[0]["crop"] is not None else None

    def event_ids(self) -> list[str]:
        return [r["event_id"] for r in self._rows("SELECT event_id FROM events")]

    def cars(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM cars ORDER BY device_id")

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read-only statement (`?` placeholders) for the login and audit modules."""
        return self._rows(sql, args)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """One write statement (`?` placeholders) in its own transaction; returns the rows it touched."""
        with self._transaction() as cur:
            cur.execute(self._sql(sql), tuple(args))
            return max(0, int(cur.rowcount))

    def quarantine(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM quarantine ORDER BY id DESC LIMIT ?", (limit,))
        for r in rows:
            r["payload"] = bytes(r["payload"])
        return rows

    def hotlists(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM hotlists ORDER BY published_at DESC")

    def counts(self) -> dict[str, int]:
        rows = self._rows(
            "SELECT (SELECT COUNT(*) FROM events WHERE kind = 'hit') AS hits, "
            "(SELECT COUNT(*) FROM events WHERE kind = 'read') AS reads, "
            "(SELECT COUNT(*) FROM quarantine) AS quarantined, (SELECT COUNT(*) FROM cars) AS cars"
        )
        return {k: int(v) for k, v in rows[0].items()}

    def purge(self, *, reads_before: float, hits_before: float, quarantine_before: float) -> dict[str, int]:
        """Delete what arrived before each cutoff (epoch seconds); returns the rows deleted per kind."""
        steps = (
            ("reads", "DELETE FROM events WHERE kind = 'read' AND received_at < ?", reads_before),
            ("hits", "DELETE FROM events WHERE kind = 'hit' AND received_at < ?", hits_before),
            ("quarantine", "DELETE FROM quarantine WHERE received_at < ?", quarantine_before),
            # a review goes with the last event of its passage (it names a plate and an officer's note)
            ("reviews", "DELETE FROM reviews WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.device_id = "
             "reviews.device_id AND e.passage_id = reviews.passage_id) AND at < ?", hits_before),
        )  # fmt: skip
        done: dict[str, int] = {}
        with self._transaction() as cur:
            for name, sql, cut in steps:
                cur.execute(self._sql(sql), (cut,))
                done[name] = max(0, int(cur.rowcount))
        return done

    def close(self) -> None:
        for con, lock in ((self._w, self._wlock), (self._r, self._rlock)):
            with lock:
                con.close()


def _values(ev: EventRow) -> tuple[Any, ...]:
    return tuple(getattr(ev, c) for c in _COLUMNS)


def open_store(url: str) -> Store:
    return Store(url)


__all__ = ["AddResult", "Store", "open_store"]
