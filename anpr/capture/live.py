"""The grab/reconnect machinery shared by the live sources (USB and RTSP).

A grabber thread reads the device as fast as it delivers and keeps only the newest frame in a one-slot
mailbox; a frame overwritten before the consumer took it is counted as dropped, so a slow consumer
never grows a queue (memory holds at most the waiting frame, the one being decoded and the consumer's).
When opening fails or the stream stops delivering, the thread releases the capture, waits a capped
exponential back-off and opens again, for as long as the source is open: a live source never ends by
itself. `captured_at` is the wall clock (UTC) when the frame was grabbed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import cast

import cv2

from anpr.capture._common import Backoff, RateLimitedLog, StatsCounter
from anpr.capture.base import SourceStats
from anpr.capture.config import CameraConfig
from anpr.types import Frame, Image

log = logging.getLogger(__name__)

# Read failures in a row that mean the stream is dead (a single one is a corrupt frame, counted).
MAX_CONSECUTIVE_FAILURES = 3
# How often a waiting consumer re-checks its stop event (the event cannot wake a Condition).
POLL_S = 0.1


class LiveSource:
    """Base of the live sources. Subclasses implement `_open()` and `describe`."""

    live = True

    def __init__(self, cfg: CameraConfig) -> None:
        self.camera_id = cfg.id
        self.cfg = cfg
        self._stats = StatsCounter()
        self._warn = RateLimitedLog(log, interval_s=60.0)
        self._cond = threading.Condition()
        self._latest: tuple[datetime, Image] | None = None
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0  # frames delivered, across frames() calls

    @property
    def describe(self) -> str:
        raise NotImplementedError

    def _open(self) -> cv2.VideoCapture | None:
        """Open the device/stream; None (after logging why) when it cannot be opened now."""
        raise NotImplementedError

    # --- consumer side -------------------------------------------------------------------------------

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        """Yield each new frame as it arrives; blocks while there is none; returns once `stop` is set.

        The grabber starts with the first call and runs until `close()`.
        """
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._grab_loop, name=f"grab-{self.camera_id}", daemon=True)
                self._thread.start()
        while not stop.is_set() and not self._closed.is_set():
            with self._cond:
                if self._latest is None:
                    self._cond.wait(POLL_S)
                item, self._latest = self._latest, None
                if item is None:
                    continue
                self._stats.add(frames=1)
                seq, self._seq = self._seq, self._seq + 1
            yield Frame(self.camera_id, seq, item[0], item[1])

    def stats(self) -> SourceStats:
        return self._stats.snapshot()

    def close(self) -> None:
        """Stop the grabber and release the device; waits for the thread (bounded by the read timeout)."""
        self._closed.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.cfg.read_timeout_s + self.cfg.open_timeout_s + 1.0)
            if thread.is_alive():
                log.warning("%s: grabber thread did not stop in time", self.camera_id)

    # --- grabber thread ------------------------------------------------------------------------------

    def _halted(self) -> bool:
        return self._closed.is_set()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._halted() and time.monotonic() < deadline:
            self._closed.wait(min(POLL_S, max(0.0, deadline - time.monotonic())))

    def _publish(self, image: Image) -> None:
        stamp = datetime.now(timezone.utc)
        with self._cond:
            if self._latest is not None:
                self._stats.add(grabbed=1, dropped=1)
            else:
                self._stats.add(grabbed=1)
            self._latest = (stamp, image)
            self._cond.notify_all()

    def _grab_loop(self) -> None:
        backoff = Backoff(self.cfg.backoff_initial_s, self.cfg.backoff_max_s)
        ever_connected = False
        while not self._halted():
            try:
                ever_connected = self._session(backoff, ever_connected)
            except Exception:  # an OpenCV surprise or a bug must not end capture silently
                self._warn.log(
                    logging.ERROR,
                    "crash",
                    "%s: capture error on %s; retrying",
                    self.camera_id,
                    self.describe,
                    exc_info=True,
                )
                self._stats.set_connected(False)
                self._sleep(backoff.next_delay())

    def _session(self, backoff: Backoff, ever_connected: bool) -> bool:
        """Open, read until the stream dies, release, back off. Returns whether it ever connected."""
        try:
            cap = self._open()
        except cv2.error as err:  # OpenCV raises for some malformed targets instead of failing quietly
            self._warn.warning("open", "%s: cannot open %s: %s", self.camera_id, self.describe, err)
            cap = None
        if cap is None:
            delay = backoff.next_delay()
            self._warn.warning("open", "%s: %s not available; retrying in %.1f s", self.camera_id, self.describe, delay)
            self._sleep(delay)
            return ever_connected
        if ever_connected:
            self._stats.add(reconnects=1)
            # a flapping camera must not write a line per reconnect
            self._warn.log(logging.INFO, "reconnected", "%s: reconnected to %s", self.camera_id, self.describe)
        else:
            log.info("%s: connected to %s", self.camera_id, self.describe)
        self._stats.set_connected(True)
        try:
            self._read_until_dead(cap, backoff)
        finally:
            cap.release()
            self._stats.set_connected(False)
        if not self._halted():
            delay = backoff.next_delay()
            self._warn.warning(
                "lost", "%s: stream from %s lost; reconnecting in %.1f s", self.camera_id, self.describe, delay
            )
            self._sleep(delay)
        return True

    def _read_until_dead(self, cap: cv2.VideoCapture, backoff: Backoff) -> None:
        failures = 0
        last_ok = time.monotonic()
        while not self._halted():
            try:
                ok, image = cap.read()
            except cv2.error as err:
                log.debug("%s: read raised %s", self.camera_id, err)
                ok, image = False, None
            if ok and image is not None:
                if failures:  # failures followed by a good frame were corrupt frames, not a dead stream
                    self._stats.add(corrupt=failures)
                    failures = 0
                last_ok = time.monotonic()
                backoff.reset()  # only a delivered frame proves the connection works
                self._publish(cast(Image, image))
                continue
            failures += 1
            if failures >= MAX_CONSECUTIVE_FAILURES or time.monotonic() - last_ok > self.cfg.read_timeout_s:
                return
