"""Whether the store takes a verified document: it must follow the version held (the list this unit
follows, newer, a delta from exactly the held version); a snapshot must not empty or gut the list; and
entries that are not valid are skipped (counted) rather than refusing the whole list."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from anpr.hotlist import document
from anpr.hotlist.base import DocumentRefused
from anpr.hotlist.entries import Row, to_row

log = logging.getLogger(__name__)


def check_sequence(doc: document.Document, held: int | None, list_name: str) -> bool:
    """Raise DocumentRefused for a document that does not follow the version held; False if already held."""
    if doc.list_name != list_name:
        raise DocumentRefused("wrong-list", f"document is for list {doc.list_name!r}, this unit follows {list_name!r}")
    if held is not None and doc.version == held:
        return False
    if held is not None and doc.version < held:
        raise DocumentRefused("older-version", f"version {doc.version} is older than the held version {held}")
    if doc.kind == "delta":
        if doc.base_version is None or doc.version <= doc.base_version:
            raise DocumentRefused("malformed", f"delta {doc.base_version}->{doc.version} does not move forward")
        if held is None or doc.base_version != held:
            raise DocumentRefused(
                "gap", f"delta {doc.base_version}->{doc.version} does not start at the held version {held}"
            )
    return True


def valid_rows(records: Sequence[Mapping[str, Any]], origin: str, list_name: str, what: str) -> tuple[list[Row], int]:
    """The entries as rows, and how many were skipped as invalid (a few logged, each by its plate)."""
    rows: list[Row] = []
    skipped = 0
    for rec in records:
        try:
            rows.append(to_row(rec, origin, list_name))
        except ValueError as err:
            skipped += 1
            if skipped <= 20:  # one line per bad entry, but not a million of them
                log.warning("hotlist %s: entry %r skipped: %s", what, rec.get("plate"), err)
    if skipped:
        log.warning("hotlist %s: %d invalid entries skipped", what, skipped)
    return rows, skipped


def check_shrink(new: int, held: int, version: int, max_shrink: float) -> None:
    """Refuse a snapshot that would empty the list or cut it past `max_shrink` (a broken export, not news)."""
    if new == 0:
        raise DocumentRefused("shrink", f"snapshot v{version} has no valid entry; {held} held are kept")
    if held and new < held * (1.0 - max_shrink):
        raise DocumentRefused(
            "shrink",
            f"snapshot v{version} has {new} valid entries, {held} held: more than "
            f"{max_shrink:.0%} would go (sign with --allow-shrink if that is meant)",
        )
