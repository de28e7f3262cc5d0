"""Turning a passage (and its hotlist match and position) into the `PlateEvent` that leaves the device."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from anpr.core.ids import new_event_id
from anpr.types import EventKind, Fix, HotlistMatch, Image, Passage, PlateEvent, PlateRead

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EventPolicy:
    """What rides along with an event."""

    crop_for_hits: bool = True
    crop_for_reads: bool = False
    crop_max_bytes: int = 40_000
    lone_read_floor: float = 0.5
    """A passage read on one frame only, at a (calibrated) confidence below this, is noise: no event."""


def encode_crop(crop: Image, max_bytes: int) -> bytes | None:
    """JPEG-encode a crop under `max_bytes`, lowering quality then size; None if it cannot fit."""
    if crop.size == 0 or max_bytes <= 0:
        return None
    img: Image = crop
    for _ in range(4):
        for quality in (85, 70, 50):
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and buf.size <= max_bytes:
                return bytes(buf.tobytes())
        h, w = img.shape[:2]
        if min(h, w) < 16:
            break
        img = np.asarray(cv2.resize(img, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA), np.uint8)
    log.warning("crop of %dx%d does not fit in %d bytes; sent without crop", crop.shape[1], crop.shape[0], max_bytes)
    return None


def unread(read: PlateRead | None) -> bool:
    """True when a passage's consensus names no plate: none at all, an empty text, or a confidence that is
    not above 0. The vote gives 0 when a character of its text was chosen by no read (it came from the
    reads' alternatives only): a guess no read supports, which the control room would only find in a plate
    search as a car that was never seen. A low confidence above 0 is still a read and is published."""
    return read is None or not read.text or not read.confidence > 0.0  # `not >` also catches NaN


def lone_guess(passage: Passage, floor: float) -> bool:
    """True (and logged) when the passage's only read is more likely wrong than right (its confidence, P(exact) once
    calibrated, is below `floor`): a sticker, a sign or a far plate glimpsed on one frame. Published, such
    a text is a sighting of a plate that was never there for whoever searches it."""
    read = passage.consensus
    if read is None or _reads(passage) > 1 or not read.confidence < floor:
        return False
    log.info("passage %s on %s: its only read %r has confidence %.3f < %.2f (uplink.lone_read_floor): no event",
             passage.passage_id, passage.camera_id, read.text, read.confidence, floor)  # fmt: skip
    return True


def log_unread(passage: Passage) -> None:
    """Say why a passage that ended sends no event (DEBUG when nothing was read, INFO when a text is dropped)."""
    read = passage.consensus
    if read is None:
        widest = max((o.detection.width for o in passage.observations), default=0.0)
        log.debug("passage %s on %s ended with no plate read (%d detection(s), at most %.0f px wide): no event",
                  passage.passage_id, passage.camera_id, len(passage.observations), widest)  # fmt: skip
        return
    log.info(
        "passage %s on %s ended with no plate read: the consensus %r has confidence %.3f (no read chose all "
        "its characters; %d read(s)): no event",
        passage.passage_id, passage.camera_id, read.text, read.confidence,
        _reads(passage),
    )  # fmt: skip


def _reads(passage: Passage) -> int:
    return sum(1 for o in passage.observations if o.read is not None)


def build_event(
    passage: Passage,
    *,
    device_id: str,
    match: HotlistMatch | None,
    fix: Fix | None,
    model_versions: tuple[tuple[str, str], ...],
    hotlist_version: int | None,
    policy: EventPolicy,
    final: bool,
) -> PlateEvent | None:
    """The event for a passage, or None when its consensus names no plate (`unread`) and no hit was raised
    for it (a hit once raised is never withdrawn: its final event goes whatever the consensus became)."""
    read = passage.consensus
    if read is None or (match is None and unread(read)):
        return None
    kind: EventKind = "hit" if match is not None else "read"
    want_crop = policy.crop_for_hits if kind == "hit" else policy.crop_for_reads
    crop = None
    if want_crop and passage.best_crop is not None:
        crop = encode_crop(np.ascontiguousarray(passage.best_crop), policy.crop_max_bytes)
    return PlateEvent(
        event_id=new_event_id(passage.last_seen),
        kind=kind,
        device_id=device_id,
        camera_id=passage.camera_id,
        passage_id=passage.passage_id,
        plate=read.text,
        confidence=read.confidence,
        format=read.format,
        alternatives=read.alternatives,
        first_seen=passage.first_seen,
        last_seen=passage.last_seen,
        fix=fix,
        match=match,
        crop_jpeg=crop,
        model_versions=model_versions,
        hotlist_version=hotlist_version,
        final=final,
    )
