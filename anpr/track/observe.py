"""What one observation does to its open passage: it may give the best crop so far, its read joins the
vote (weighted by plate width), and the passage becomes confident, by the vote or by `confirm_reads`
sure reads in a row, or, once confident, changes its mind."""

from __future__ import annotations

import itertools
import logging

from anpr.plates.chile import plate_distance
from anpr.track.boxes import crop_box, crop_quality
from anpr.track.config import TrackerConfig
from anpr.track.state import OpenTrack
from anpr.track.vote import tally
from anpr.types import Image, Observation

log = logging.getLogger(__name__)


def observe(track: OpenTrack, frame_seq: int, obs: Observation, image: Image, cfg: TrackerConfig) -> bool:
    """Record `obs`; True when the consensus has just become confident, or changed text once confident."""
    track.observations.append(obs)
    crop = crop_box(image, obs.detection.box)
    if crop is not None:
        quality = crop_quality(crop, obs.read)
        if quality > track.best_quality:
            track.best_crop, track.best_quality = crop, quality
    if obs.read is None:
        if track.confident_sent and track.reads_to_skip > 0:
            track.reads_to_skip -= 1  # this one was skipped on purpose (see `settled`)
        return False
    # A read weighs the square of its width's share: `anpr bench reads` finds 30-40 px plates read right 1 time
    # in 4, 40-60 px 4 in 5, wider ones always; in proportion (0.35 for a 35-px read) far misreads held
    # exact passages at 0.56-0.86 (squared: the same events on every clip, those passages 0.65-0.90).
    track.reads.append((obs.read, min(1.0, obs.detection.width / cfg.full_weight_width_px) ** 2))
    result = tally(
        [r for r, _ in track.reads], weights=[w for _, w in track.reads], alternative_weight=cfg.alternative_weight
    )
    before = track.consensus
    track.consensus = None if result is None else result.read
    if track.confident_sent:
        track.reads_to_skip = cfg.read_every_confident - 1
        # A confident consensus that changes its mind is checked again at once, not at the passage's end.
        now = track.consensus
        changed = now is not None and before is not None and now.text != before.text
        if changed and now is not None:
            log.debug("passage %s consensus now %s at frame %d", track.passage_id, now.text, frame_seq)
        return changed
    if result is None:
        return False
    if result.confident(
        min_reads=_min_reads(track, result.read.text, cfg), hit_confidence=cfg.hit_confidence
    ) or _confirmed(track, result.read.text, cfg):
        track.confident_sent = True
        track.parent = None  # a car of its own
        track.reads_to_skip = cfg.read_every_confident - 1
        log.debug("passage %s confident at frame %d: %s", track.passage_id, frame_seq, result.read.text)
        return True
    return False


def _min_reads(track: OpenTrack, text: str, cfg: TrackerConfig) -> int:
    """Reads the vote needs: one more for a passage that split off a confident one at its place and reads
    its plate but for one character. Two sure reads of B for R on the frames after a jump the prediction
    missed (a real-photo clip: BYVR68 read BYVB68 at 1.0 and 0.8) made such a passage a car of its own; with
    a third needed, the parent seen again after it folds it (`OpenTrack.misread_of_parent`), while a fleet's
    next car, one character off, is read on more frames than that."""
    parent = track.parent
    theirs = None if parent is None else parent.consensus
    near = theirs is not None and plate_distance(text, theirs.text) <= 1
    return cfg.min_reads + 1 if near else cfg.min_reads


def _confirmed(track: OpenTrack, text: str, cfg: TrackerConfig) -> bool:
    """The plate, now near, read the same and sure `confirm_reads` times in a row.

    The vote keeps every read, so a far approach's misreads can hold the consensus below
    `hit_confidence` for the whole passage, and its hit would wait for the passage's end (max_gap_s)."""
    n = cfg.confirm_reads
    if n <= 0 or len(track.reads) < n:
        return False
    latest = itertools.islice(reversed(track.reads), n)  # no copy of the whole deque on every read
    return all(r.text == text and r.confidence >= cfg.hit_confidence for r, _ in latest)
