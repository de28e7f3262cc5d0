"""The `Source` protocol every capture source implements, its health counters and its error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from anpr.types import Frame


class SourceError(Exception):
    """A source that cannot be used at all (missing file, nothing decodable, bad device string).

    The message names the source and says what to do; callers print it and exit, never a traceback.
    Faults a live source can recover from (camera unplugged, stream died) are retried, not raised.
    """


@dataclass(frozen=True, slots=True)
class SourceStats:
    """Health counters of a source since it was opened.

    `grabbed` counts frames decoded from the device/stream/file, `frames` those handed to the consumer
    and `dropped` those a live source overwrote because the consumer was slower. For a live source
    `grabbed == frames + dropped + (0 or 1 frame waiting)`. `corrupt` counts frames or files that could
    not be decoded and were skipped; `reconnects` counts successful re-opens after a loss.
    """

    frames: int = 0
    dropped: int = 0
    corrupt: int = 0
    reconnects: int = 0
    connected: bool = False
    grabbed: int = 0


@runtime_checkable
class Source(Protocol):
    """Yields frames of one camera.

    `frames(stop)` yields until the source ends (file/images) or `stop` is set (live sources, which
    reconnect on their own and never end by themselves). Live sources keep only the newest frame, so a
    slow consumer makes them drop (counted in `stats()`), never queue. `stats()` and `close()` may be
    called from any thread.
    """

    camera_id: str
    live: bool

    def frames(self, stop: threading.Event) -> Iterator[Frame]: ...

    def stats(self) -> SourceStats: ...

    def close(self) -> None: ...
