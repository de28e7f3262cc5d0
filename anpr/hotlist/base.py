"""What the rest of the service sees of the hotlist: the Matcher protocol and the frozen status/results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from anpr.types import Candidate, HotlistMatch, PlateRead

RefusalReason = Literal[
    "unsigned",  # no signature block at all
    "unknown-key",  # signed by a key this unit does not trust
    "bad-signature",  # signature does not verify: tampered or corrupted
    "truncated",  # the compressed stream ends early
    "malformed",  # not gzip, not JSON, or missing/invalid fields
    "too-large",  # decompresses past max_document_mb
    "wrong-list",  # a document for another list
    "older-version",  # not newer than the version held
    "gap",  # a delta whose base is not the version held
    "shrink",  # a snapshot that empties the list or drops more than max_shrink of it, not signed as allowed
]


class DocumentRefused(Exception):
    """A hotlist document that must not be applied. `reason` is machine-readable, `detail` is for people."""

    def __init__(self, reason: RefusalReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: RefusalReason = reason
        self.detail = detail


class Matcher(Protocol):
    """The list as the pipeline sees it: every consensus read is matched, every final read remembered for
    a re-check when the list changes, and the status is shown by `anpr status` and the status message."""

    def match(self, read: PlateRead) -> HotlistMatch | None:
        """The best match (exact > wildcard > fuzzy, then smaller distance, then higher priority), or None."""
        ...

    def version(self) -> int | None:
        """The signed list version held, or None when only an unsigned local list (or nothing) is loaded."""
        ...

    def remember_read(
        self, plate: str, candidates: Sequence[Candidate], event_id: str, seen_at: datetime, format: str = "unknown"
    ) -> None:
        """Keep a final read for the re-check window, so a list update that arrives later still finds it."""
        ...

    def add_recheck_listener(self, callback: Callable[[RecheckHit], None]) -> None:
        """`callback(hit)` runs (in the applying thread) for each remembered read a list update now matches."""
        ...

    def status(self) -> HotlistStatus: ...


@dataclass(frozen=True, slots=True)
class HotlistStatus:
    """What `anpr hotlist status` prints and the status message carries."""

    version: int | None
    list_name: str
    issued_at: datetime | None
    key_id: str | None
    entries: int
    """Entries that can match now (signed and local, not expired)."""
    local_entries: int
    """Of which from an unsigned local CSV (demo/tests)."""
    age_s: float | None
    stale: bool
    """True past `stale_after_s` or when no signed list was ever applied."""
    last_sync_attempt: datetime | None
    last_sync_success: datetime | None
    last_refusal: str | None
    """`reason: detail` of the last refused document, None if none was refused since the last success."""
    last_refusal_at: datetime | None
    skipped_entries: int
    """Entries of the applied document dropped as invalid (bad plate or check digit)."""


@dataclass(frozen=True, slots=True)
class RecheckHit:
    """A read remembered before a list update that matches an entry of the new list."""

    event_id: str
    plate: str
    seen_at: datetime
    match: HotlistMatch
