"""The control room's retention job: deletes reads, hits and refused payloads past their age.

Reads name plates of cars that did nothing wrong; Ley 19.628 wants them kept no longer than needed. Ages
count from arrival (`received_at`, the control room's clock), not from the car's clock, which may be wrong.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from anpr.control.config import RetentionConfig
from anpr.control.store import Store

log = logging.getLogger(__name__)

DAY = 86400.0


def purge_once(store: Store, cfg: RetentionConfig, now: float | None = None) -> dict[str, int]:
    """One purge at `now` (default: the wall clock); logs what went."""
    now = time.time() if now is None else now
    done = store.purge(
        reads_before=now - cfg.reads_days * DAY,
        hits_before=now - cfg.hits_days * DAY,
        quarantine_before=now - cfg.quarantine_days * DAY,
    )
    if any(done.values()):
        log.info(
            "retention: deleted %d read(s), %d hit(s), %d refused payload(s), %d review(s)",
            done["reads"], done["hits"], done["quarantine"], done["reviews"],
        )  # fmt: skip
    return done


class Retention:
    """Runs `purge_once` at start and every `cfg.every_s` until `stop`; a failed purge is logged and retried."""

    def __init__(self, store: Store, cfg: RetentionConfig, clock: Callable[[], float] = time.time) -> None:
        self.store, self.cfg, self._clock = store, cfg, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="anpr-control-retention", daemon=True)
        self.runs = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                purge_once(self.store, self.cfg, self._clock())
                self.runs += 1
            except Exception as err:  # a locked or lost database must not end the job; next round retries
                log.error("retention: purge failed, retrying in %.0f s: %s", self.cfg.every_s, err)
            self._stop.wait(self.cfg.every_s)
