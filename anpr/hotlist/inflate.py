"""Bounded gzip inflation: a hostile document is refused before it can take memory.

A 1 MB gzip can inflate to 1 GB. `Inflater` hands out the decompressed stream a chunk at a time
(`zlib` with `max_length`), so the caller reads the small signature line first, checks it, and only
then reads a body whose size the signature vouches for. Nothing here holds more than one chunk beyond
what the caller asked for.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from anpr.hotlist.base import DocumentRefused

CHUNK = 1 << 16


class Inflater:
    """Reads a gzip stream held in `data` without ever inflating more than asked for (plus one chunk)."""

    def __init__(self, data: bytes) -> None:
        if data[:2] != b"\x1f\x8b":
            raise DocumentRefused("malformed", "not a gzip stream")
        self._data = memoryview(data)
        self._pos = 0
        self._z = zlib.decompressobj(wbits=31)
        self._tail = b""
        self._buffer = b""  # inflated but not yet handed out

    def _more(self) -> bytes:
        """The next inflated piece (at most CHUNK bytes); b"" at the end of the gzip member."""
        while not self._z.eof:
            if self._z.unconsumed_tail:
                src = self._z.unconsumed_tail
            elif self._pos < len(self._data):
                src = bytes(self._data[self._pos : self._pos + CHUNK])
                self._pos += len(src)
            else:
                raise DocumentRefused("truncated", f"compressed stream ends early after {len(self._data)} bytes")
            try:
                out = self._z.decompress(src, CHUNK)
            except zlib.error as err:
                raise DocumentRefused("malformed", f"corrupt gzip stream ({err})") from None
            if out:
                return out
        return b""

    def line(self, limit: int) -> bytes | None:
        """The bytes up to the first newline (not included); None when the stream ends without one.

        Refuses a line longer than `limit`: the signature line is small, and a bomb hidden in it is
        never inflated past `limit` + one chunk.
        """
        while b"\n" not in self._buffer:
            if len(self._buffer) > limit:
                raise DocumentRefused("malformed", f"the signature line is longer than {limit} bytes")
            more = self._more()
            if not more:
                return None
            self._buffer += more
        head, _, self._buffer = self._buffer.partition(b"\n")
        if len(head) > limit:
            raise DocumentRefused("malformed", f"the signature line is longer than {limit} bytes")
        return head

    def rest(self, limit: int, on_chunk: Callable[[bytes], None] | None = None) -> bytes:
        """Everything after what was read, refused ("too-large") as soon as it passes `limit` bytes."""
        parts: list[bytes] = []
        size = 0
        piece, self._buffer = self._buffer, b""
        while piece:
            size += len(piece)
            if size > limit:
                raise DocumentRefused("too-large", f"decompresses past {limit} bytes")
            if on_chunk is not None:
                on_chunk(piece)
            parts.append(piece)
            piece = self._more()
        return b"".join(parts)
