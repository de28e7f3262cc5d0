"""The live page's push: new events, car changes and reviews fanned out to every open Server-Sent Events
stream. The receiver's writer thread hands stored events to `Hub`, which passes them into the event loop
with `call_soon_threadsafe`; a browser that falls too far behind is dropped (it reconnects and reloads)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from anpr.control.export import iso
from anpr.control.ingest import EventRow
from anpr.control.store import AddResult

log = logging.getLogger(__name__)
_CLIENT_QUEUE = 1000  # a browser this far behind is dropped; it reconnects and reloads the lists


def row_of(ev: EventRow, received_at: float) -> dict[str, Any]:
    """The page's view of a freshly stored event: the same keys as `Store.events` rows."""
    keys = ("event_id", "kind", "device_id", "camera_id", "plate", "confidence", "first_seen", "last_seen", "lat",
            "lon", "match_kind", "reason", "list_name", "priority", "hotlist_version", "final",
            "passage_id")  # fmt: skip
    d = {k: getattr(ev, k) for k in keys}
    d.update(has_crop=ev.crop is not None, received_at=iso(received_at))
    return d


class Hub:
    """Fans new events out to every open event stream; reads only to the streams opened with `reads`."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: dict[asyncio.Queue[str], bool] = {}
        """Each stream's queue, and whether it may be sent reads (an operator's page) or hits only."""

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def on_stored(self, res: AddResult) -> None:
        """Receiver listener (writer thread)."""
        now = time.time()
        msgs = [(ev.kind != "hit", f"event: {ev.kind}\ndata: {json.dumps(row_of(ev, now))}\n\n") for ev in res.stored]
        if res.statuses or res.stored:
            msgs.append((False, "event: cars\ndata: {}\n\n"))
        if msgs and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._fanout, msgs)

    def reviewed(self, key: tuple[str, str], review: dict[str, Any]) -> None:
        """An operator confirmed or dismissed a hit: every open page updates the passage (event loop)."""
        body = json.dumps({"device_id": key[0], "passage_id": key[1], "review": review})
        self._fanout([(False, f"event: review\ndata: {body}\n\n")])

    def _fanout(self, msgs: list[tuple[bool, str]]) -> None:
        """`msgs`: (whether it is a read, the message)."""
        for q, reads in list(self._clients.items()):
            try:
                for is_read, m in msgs:
                    if reads or not is_read:
                        q.put_nowait(m)
            except asyncio.QueueFull:
                self._clients.pop(q, None)
                log.warning("an event stream fell %d messages behind; dropped it", _CLIENT_QUEUE)

    async def stream(self, *, reads: bool) -> AsyncIterator[str]:
        q: asyncio.Queue[str] = asyncio.Queue(_CLIENT_QUEUE)
        self._clients[q] = reads
        try:
            yield "retry: 1000\n: connected\n\n"
            while q in self._clients:
                try:
                    yield await asyncio.wait_for(q.get(), 15)
                except asyncio.TimeoutError:
                    yield ": ping\n\n"  # keeps proxies from closing an idle stream
        finally:
            self._clients.pop(q, None)
