"""Which detection joins which open passage: geometry (IoU with the constant-velocity prediction, or a centre
within a gate that widens while the passage goes unseen), the plate text (the same plate on the same camera
is the same car), and the rule that a confident passage never takes a sure read of another plate unless the
detection carries it on smoothly (same place, size and look), or is a plate cut by the frame's border."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from anpr.track.boxes import Box, centre, iou, touches_edge
from anpr.track.config import TrackerConfig
from anpr.track.identity import Look, other_plate, same_plate, similarity
from anpr.track.state import OpenTrack
from anpr.types import Observation, PlateRead

_MAX_RESIZE = 1.3  # a settled plate's width changes by less than this between detections, or it is read
_GATE_GROWTH, _GATE_MAX = 3.0, 2.5  # centre-shift gate: + plate widths per second unseen, and its cap (x base)
_SMOOTH_S, _SMOOTH_IOU = 0.15, 0.5  # this soon (a few frames) and this close to the prediction: the same plate


def disagrees(track: OpenTrack, read: PlateRead | None) -> bool:
    """The read is surely of another plate than the passage's consensus."""
    return read is not None and track.consensus is not None and other_plate(read, track.consensus)


class Matcher:
    """The association rules of `IouTracker`, given its config."""

    def __init__(self, config: TrackerConfig) -> None:
        self.config = config

    def match(
        self,
        tracks: list[OpenTrack],
        observations: Sequence[Observation],
        at: datetime,
        looks: Sequence[Look | None],
        frame_wh: tuple[int, int] | None = None,
    ) -> tuple[dict[int, OpenTrack], dict[int, OpenTrack]]:
        """Detection index -> its track; and, for detections a confident track refused where geometry
        would have joined them, the nearest refusing track (the parent of the passage they begin)."""
        predicted = [t.predict(at) for t in tracks]
        # (disagrees, tier, -overlap or shift, obs, track), sorted ascending: a track whose reads the
        # detection's read agrees with first (the same plate on the same camera within max_gap_s is the same
        # car), then geometry.
        pairs: list[tuple[int, int, float, int, int]] = []
        refusals: list[tuple[int, float, int, int]] = []
        for oi, obs in enumerate(observations):
            box, read = obs.detection.box, obs.read
            for ti, pbox in enumerate(predicted):
                track = tracks[ti]
                agrees = read is not None and any(same_plate(read.text, r.text) for r, _ in track.reads)
                overlap = iou(box, pbox)
                width = max(pbox[2] - pbox[0], box[2] - box[0], 1.0)
                shift = math.dist(centre(box), centre(pbox)) / width
                if overlap >= self.config.min_iou and overlap > 0:
                    tier, score = 0, -overlap
                elif shift <= self._gate(track, at):
                    tier, score = 1, shift
                elif agrees:
                    # The same plate text on the same camera within max_gap_s is the same car, however far
                    # it moved: a live camera dropping frames can lose a far plate for several frames.
                    tier, score = 2, shift
                else:
                    continue
                # Unseen for long, a passage is found again by its plate text only: after a second of empty
                # road the car at the same place is the next one unless it reads the same.
                lost = (at - track.last_seen).total_seconds() > self.config.text_only_after_s
                cut = frame_wh is not None and touches_edge(box, *frame_wh)
                if (agrees or not lost) and self._may_take(track, read, at, box, pbox, looks[oi], cut):
                    pairs.append((int(not agrees), tier, score, oi, ti))
                else:
                    refusals.append((tier, score, oi, ti))
        pairs.sort()
        used_obs: set[int] = set()
        used_tracks: set[int] = set()
        result: dict[int, OpenTrack] = {}
        for *_, oi, ti in pairs:
            if oi in used_obs or ti in used_tracks:
                continue
            used_obs.add(oi)
            used_tracks.add(ti)
            result[oi] = tracks[ti]
        refused: dict[int, OpenTrack] = {}
        for *_, oi, ti in sorted(refusals):
            if oi not in result:
                refused.setdefault(oi, tracks[ti])
        return result, refused

    def _gate(self, track: OpenTrack, at: datetime) -> float:
        """How far (plate widths) a detection's centre may lie from the predicted one: wider the longer the
        track went unseen, as the prediction grows less sure (a far plate the detector missed a few frames,
        whose one sighting gave no velocity yet)."""
        base = self.config.max_center_shift
        unseen = (at - track.last_seen).total_seconds()
        return base and min(base + _GATE_GROWTH * unseen, _GATE_MAX * base)

    def _may_take(
        self,
        track: OpenTrack,
        read: PlateRead | None,
        at: datetime,
        box: Box,
        pbox: Box,
        look: Look | None,
        cut: bool = False,
    ) -> bool:
        """False when a passage with a confident consensus must not take this detection: it reads another
        plate with some confidence and does not carry the passage on smoothly. A smooth continuation
        (within a few frames, at the predicted place, size and look) is the same plate whatever it reads:
        a far plate's confident misread (RT109 for RTFJ09) must not split its car in two, the vote sorts
        the reads out. An unread detection joins by geometry (`settled` has any that jumps or looks like
        another car read first), and so does a read too unsure to say anything, and a read of a plate `cut`
        by the frame's border where the passage is predicted (its car leaving view: a sliver reads anything)."""
        consensus = track.consensus
        if not track.confident_sent or consensus is None or read is None:
            return True
        if cut and iou(box, pbox) >= self.config.min_iou:
            return True
        if read.confidence < self.config.other_plate_confidence or not other_plate(read, consensus):
            return True
        smooth = (at - track.last_seen).total_seconds() <= _SMOOTH_S and iou(box, pbox) >= _SMOOTH_IOU
        return smooth and self.continues(track, box, at, look)

    def continues(self, track: OpenTrack, box: Box, at: datetime, look: Look | None) -> bool:
        """The detection carries on the settled passage smoothly (same place, size and look), so its read
        may be skipped; a jump, a change of size or of look is read before it joins (a change of car)."""
        pbox = track.predict(at)
        if iou(box, pbox) < self.config.min_iou:
            return False
        ratio = (box[2] - box[0]) / max(pbox[2] - pbox[0], 1.0)
        if not 1 / _MAX_RESIZE <= ratio <= _MAX_RESIZE:
            return False
        return look is None or track.look is None or similarity(look, track.look) >= self.config.min_look
