"""The local hotlist: a SQLite file (WAL, synchronous=FULL) of entries plus one metadata row.

Signed documents replace the `signed` entries in ONE transaction, so a power cut leaves the old list or
the new one. An unsigned CSV (demo/tests) lives beside them as `local` entries. Matching reads through a
second connection, so the car keeps matching against the old list while a big update is being applied.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from anpr.core.dbfile import rollback
from anpr.hotlist import document, keys, store_schema
from anpr.hotlist.admit import check_sequence, check_shrink, valid_rows
from anpr.hotlist.base import DocumentRefused, HotlistStatus, RecheckHit
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.entries import COLUMNS, now_iso, read_csv, row_to_record
from anpr.hotlist.matching import EntryMatcher
from anpr.hotlist.recheck import RecentReads
from anpr.types import Candidate, HotlistMatch, PlateRead

log = logging.getLogger(__name__)

ApplyResult = Literal["applied", "unchanged", "refused"]
_INSERT = f"INSERT OR REPLACE INTO entries ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


class HotlistStore:
    """Implements `anpr.hotlist.base.Matcher`. Thread-safe: sources apply from their threads."""

    def __init__(self, path: str | Path, cfg: HotlistConfig, trusted: Mapping[str, Ed25519PublicKey]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.cfg = cfg
        self.trusted = dict(trusted)
        self._wlock = threading.Lock()
        self._wconn = store_schema.connect(self.path)
        self.db = sqlite_utils.Database(self._wconn)
        store_schema.create(self.db, cfg.list_name)
        rconn = store_schema.connect(self.path)
        # Lookups are random seeks: map the file and keep its pages cached (a 1 M list is about 85 MB).
        rconn.execute("PRAGMA mmap_size = 268435456")
        rconn.execute("PRAGMA cache_size = -65536")
        self._rconn = rconn
        self._rlock = threading.Lock()
        self._meta: dict[str, Any] = self._read_meta()
        self.matcher = EntryMatcher(rconn, self._rlock, cfg.fuzzy, self.version)
        self.recent = RecentReads(cfg.recheck_window_s, cfg.recheck_max_reads)
        self._listeners: list[Callable[[RecheckHit], None]] = []
        self.matcher.reload_wildcards()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file and truncate it: the file alone then holds the list."""
        with self._wlock:
            self._wconn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._wlock, self._rlock:
            self._wconn.close()
            self._rconn.close()

    # -- metadata -------------------------------------------------------------------------------------

    def _read_meta(self) -> dict[str, Any]:
        row = self._wconn.execute("SELECT * FROM meta WHERE id = 1").fetchone()
        return dict(row)

    def _set_meta(self, **values: Any) -> None:
        """Update the metadata row; inside an open transaction when called from an apply."""
        sets = ", ".join(f"{k} = ?" for k in values)
        self._wconn.execute(f"UPDATE meta SET {sets} WHERE id = 1", list(values.values()))

    def version(self) -> int | None:
        v = self._meta.get("version")
        return int(v) if v is not None else None

    def status(self) -> HotlistStatus:
        m = self._meta
        now = datetime.now(timezone.utc)
        expiry = "(expires_at IS NULL OR expires_at > ?)"
        with self._rlock:
            total = self._rconn.execute(f"SELECT count(*) FROM entries WHERE {expiry}", [now_iso()]).fetchone()[0]
            local = self._rconn.execute(
                f"SELECT count(*) FROM entries WHERE origin = 'local' AND {expiry}", [now_iso()]
            ).fetchone()[0]

        def dt(v: str | None) -> datetime | None:
            return datetime.fromisoformat(v) if v else None

        issued = dt(m.get("issued_at"))
        age = (now - issued).total_seconds() if issued else None
        return HotlistStatus(
            version=self.version(),
            list_name=self.cfg.list_name,
            issued_at=issued,
            key_id=m.get("key_id"),
            entries=int(total),
            local_entries=int(local),
            age_s=age,
            stale=age is None or age > self.cfg.stale_after_s,
            last_sync_attempt=dt(m.get("last_sync_attempt")),
            last_sync_success=dt(m.get("last_sync_success")),
            last_refusal=m.get("last_refusal"),
            last_refusal_at=dt(m.get("last_refusal_at")),
            skipped_entries=int(m.get("skipped_entries") or 0),
        )

    def note_sync(self, ok: bool, source: str) -> None:
        """A source reached (ok) or failed to reach its origin; an unchanged answer counts as success."""
        with self._wlock:
            now = now_iso()
            self._set_meta(last_sync_attempt=now, **({"last_sync_success": now, "source": source} if ok else {}))
            self._meta = self._read_meta()

    # -- applying documents ---------------------------------------------------------------------------

    @property
    def document_limit(self) -> int:
        """Most bytes a document may take, compressed or inflated (sources read at most this plus one)."""
        return int(self.cfg.max_document_mb * (1 << 20))

    def apply_bytes(self, data: bytes, source: str) -> ApplyResult:
        """Verify and apply a signed document; a refusal keeps the list untouched and is logged and recorded."""
        try:
            if len(data) > self.document_limit:
                raise DocumentRefused("too-large", f"{len(data)} bytes compressed, more than {self.document_limit}")
            doc = document.decode(data, self.trusted, max_bytes=self.document_limit)
            return self.apply_document(doc, source)
        except DocumentRefused as ref:
            self._refuse(ref, source)
            return "refused"
        except sqlite3.Error as err:  # a full disk: the held list keeps answering, the source tries again
            log.error("hotlist document from %s not applied, keeping version %s: %s", source, self.version(), err)
            return "refused"

    def _refuse(self, ref: DocumentRefused, source: str) -> None:
        log.warning("hotlist document from %s refused, keeping version %s: %s", source, self.version(), ref)
        with self._wlock:
            now = now_iso()
            try:
                self._set_meta(last_refusal=str(ref), last_refusal_at=now, last_sync_attempt=now)
            except sqlite3.Error as err:
                log.error("hotlist refusal not recorded: %s", err)
            self._meta = self._read_meta()

    def apply_document(self, doc: document.Document, source: str) -> ApplyResult:
        """Apply a verified document. Raises DocumentRefused when it does not follow the version held."""
        with self._wlock:
            if not check_sequence(doc, self.version(), self.cfg.list_name):
                log.info("hotlist version %d from %s already held", doc.version, source)
                now = now_iso()
                self._set_meta(last_sync_attempt=now, last_sync_success=now)
                self._meta = self._read_meta()
                return "unchanged"
            rows, skipped = valid_rows(doc.entries, "signed", self.cfg.list_name, f"v{doc.version}")
            if doc.kind == "snapshot" and not doc.allow_shrink:
                (held,) = self._wconn.execute("SELECT COUNT(*) FROM entries WHERE origin = 'signed'").fetchone()
                check_shrink(len(rows), held, doc.version, self.cfg.max_shrink)
            t0 = time.perf_counter()
            conn = self._wconn
            conn.execute("BEGIN IMMEDIATE")
            try:
                log.debug("hotlist apply v%s begun", doc.version)
                if doc.kind == "snapshot":
                    conn.execute("DELETE FROM entries WHERE origin = 'signed'")
                else:
                    conn.executemany(
                        "DELETE FROM entries WHERE plate = ? AND list_name = ? AND origin = 'signed'",
                        [(p, n or self.cfg.list_name) for p, n in doc.remove],
                    )
                conn.executemany(_INSERT, rows)
                now = now_iso()
                self._set_meta(
                    version=doc.version, issued_at=document.utc_iso(doc.issued_at), key_id=doc.key_id,
                    last_sync_attempt=now, last_sync_success=now, last_refusal=None, last_refusal_at=None,
                    skipped_entries=skipped, source=source,
                )  # fmt: skip
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
            self._meta = self._read_meta()
        log.info(
            "hotlist %s v%d from %s applied: %d entries in %.2f s (key %s)",
            doc.kind, doc.version, source, len(rows), time.perf_counter() - t0, doc.key_id,
        )  # fmt: skip
        self._after_update()
        return "applied"

    def import_csv(self, path: str | Path) -> int:
        """Replace the unsigned local entries with a CSV (demo/tests; the field uses signed documents)."""
        rows, _ = valid_rows(list(read_csv(path)), "local", self.cfg.list_name, str(path))
        log.warning("hotlist: %d entries loaded from %s are UNSIGNED (fine for demo/tests only)", len(rows), path)
        with self._wlock:
            self._wconn.execute("BEGIN IMMEDIATE")
            try:
                self._wconn.execute("DELETE FROM entries WHERE origin = 'local'")
                self._wconn.executemany(_INSERT, rows)
                self._wconn.execute("COMMIT")
            except BaseException:
                rollback(self._wconn)
                raise
        self._after_update()
        return len(rows)

    def records(self, origin: str | None = "signed") -> Iterator[dict[str, Any]]:
        """Entries as document records, in plate order (all origins when `origin` is None)."""
        where, params = ("WHERE origin = ?", [origin]) if origin else ("", [])
        with self._rlock:
            rows = self._rconn.execute(f"SELECT * FROM entries {where} ORDER BY plate, list_name", params).fetchall()
        for row in rows:
            yield row_to_record(row)

    # -- matching and re-check -------------------------------------------------------------------------

    def match(self, read: PlateRead) -> HotlistMatch | None:
        """Best match: exact > wildcard > fuzzy, then smaller distance, then higher priority; expired never."""
        return self.matcher.match(read)

    def remember_read(
        self, plate: str, candidates: Sequence[Candidate], event_id: str, seen_at: datetime, format: str = "unknown"
    ) -> None:
        """Keep a read for `recheck_window_s` so a later list update can still raise its hit."""
        self.recent.remember(event_id, plate, format, candidates, seen_at, self.match)

    def recheck(self) -> list[RecheckHit]:
        """Match the remembered reads again; return the hits that are new since each read was remembered."""
        return self.recent.recheck(self.match)

    def add_recheck_listener(self, callback: Callable[[RecheckHit], None]) -> None:
        """`callback(hit)` runs in the applying thread after each list update, once per new hit."""
        self._listeners.append(callback)

    def _after_update(self) -> None:
        self.matcher.reload_wildcards()
        hits = self.recheck()
        for hit in hits:
            log.warning(
                "hotlist re-check: earlier read %s (%s) now matches %s", hit.event_id, hit.plate, hit.match.entry.plate
            )
            for cb in self._listeners:
                try:
                    cb(hit)
                except Exception:
                    log.exception("hotlist re-check listener failed for %s", hit.event_id)


def store_path(cfg: HotlistConfig, state_dir: str | Path) -> Path:
    """An absolute `db` is used as is; a relative one names a file inside `state_dir`."""
    p = Path(cfg.db)
    return p if p.is_absolute() else Path(state_dir) / p.name


def build_hotlist(cfg: HotlistConfig, state_dir: str | Path) -> HotlistStore:
    """Open (creating if needed) the store; loads the demo CSV when `cfg.csv` is set. Raises ValueError for bad keys."""
    store = HotlistStore(store_path(cfg, state_dir), cfg, keys.load_trusted(cfg.trusted_keys))
    if not cfg.trusted_keys:
        log.warning("hotlist: no trusted keys configured; every signed document will be refused")
    if cfg.csv:
        if Path(cfg.csv).is_file():
            try:
                store.import_csv(cfg.csv)
            except sqlite3.Error as err:  # a full disk: start with the list held, never stay down
                log.error("hotlist: local CSV %s not loaded (%s); keeping the %s entries held", cfg.csv, err, "local")
        else:
            log.warning("hotlist: demo CSV %s not found; no local list loaded", cfg.csv)
    return store
