"""`anpr replay VIDEO --annotate OUT.mp4`: the replay drawn on its frames, for a developer's eyes.

Every frame gets its detections (box, read, confidence), the passage's running consensus, hotlist hits in
red and the position fix. Labels are kept inside the frame; a plate narrower than `MIN_LABEL_PX` (far
away) gets its box only, so a crowd of distant plates does not bury the picture in text (a hit is always
labelled). The video is H.264 in MP4 so a browser plays it (`anpr.app.video_out`).

The pipeline is not changed for this: the detector, reader and tracker are
wrapped in recording decorators (`wrap`) and the frame is drawn from `Pipeline.run(on_frame=...)`, which
the worker calls after it processed that frame, on the same thread that ran the stages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from anpr.app.video_out import FrameWriter, VideoError, open_video
from anpr.types import Box, Detection, Frame, Image, PlateEvent, PlateRead

if TYPE_CHECKING:
    from anpr.app.stages import Stages
    from anpr.detect.base import Detector
    from anpr.gps.base import Position
    from anpr.ocr.base import Reader
    from anpr.track.base import PassageTracker

log = logging.getLogger(__name__)

_KEEP_DRAWING_FRAMES = 4  # > tracker.detect_every_settled's default (3)
MIN_LABEL_PX = 48  # plate boxes narrower than this get no text (a 1080p label is wider than such a plate)
GREEN, YELLOW, RED, WHITE, BLACK = (60, 200, 60), (0, 210, 255), (40, 40, 230), (255, 255, 255), (0, 0, 0)


AnnotateError = VideoError
"""The output video cannot be written (no codec, unwritable path); the message says which."""


class _RecordingDetector:
    def __init__(self, inner: Detector, sink: list[Detection]) -> None:
        self._inner, self._sink, self.version = inner, sink, inner.version

    def detect(self, image: Image) -> list[Detection]:
        found = self._inner.detect(image)
        self._sink[:] = found
        return found

    def detect_regions(self, image: Image, regions: Sequence[Box]) -> list[Detection] | None:
        found = self._inner.detect_regions(image, regions)
        if found is not None:
            self._sink[:] = found
        return found


class RecordingReader:
    """A reader that appends each (detection, read) it makes to `sink` (the annotator; `anpr bench reads`)."""

    def __init__(self, inner: Reader, sink: list[tuple[Detection, PlateRead | None]]) -> None:
        self._inner, self._sink, self.version = inner, sink, inner.version

    def read(self, image: Image, detection: Detection) -> PlateRead | None:
        result = self._inner.read(image, detection)
        self._sink.append((detection, result))
        return result


class Annotator:
    """Collects what the stages saw for the current frame and writes the drawn frame to `out`."""

    def __init__(self, out: Path, fps: float) -> None:
        self.out = out
        self.fps = fps if fps > 0 else 25.0
        self.frames_written = 0
        self.codec_written: str | None = None
        self._dets: list[Detection] = []
        self._reads: list[tuple[Detection, PlateRead | None]] = []
        self._trackers: list[PassageTracker] = []
        self._hits: dict[str, PlateEvent] = {}
        self._position: Position | None = None
        self._writer: FrameWriter | None = None
        self._size = (0, 0)

    def wrap(self, stages: Stages) -> Stages:
        """The same stages, recording what they produce (`stages` itself is not changed)."""
        make_tracker = stages.make_tracker
        chained = stages.on_event

        def tracker_for(camera_id: str) -> PassageTracker:
            tracker = make_tracker(camera_id)
            self._trackers.append(tracker)
            return tracker

        def on_event(ev: PlateEvent) -> None:
            if ev.match is not None:
                self._hits[ev.passage_id] = ev
            if chained is not None:
                chained(ev)

        self._position = stages.position
        return replace(
            stages,
            detectors={cid: _RecordingDetector(d, self._dets) for cid, d in stages.detectors.items()},
            reader=RecordingReader(stages.reader, self._reads),
            make_tracker=tracker_for,
            on_event=on_event,
        )

    def on_frame(self, frame: Frame) -> None:
        try:
            self._write(self.draw(frame))
        finally:
            self._dets.clear()
            self._reads.clear()

    def draw(self, frame: Frame) -> Image:
        import cv2

        img = frame.image.copy()
        read_for = {id(d): r for d, r in self._reads}
        for det in self._dets:
            read = read_for.get(id(det))
            x1, y1, x2, y2 = (round(v) for v in det.box)
            colour = GREEN if read is not None else YELLOW
            cv2.rectangle(img, (x1, y1), (x2, y2), colour, 2)
            if x2 - x1 >= MIN_LABEL_PX:
                label = f"{read.text} {read.confidence:.2f}" if read is not None else f"? det {det.score:.2f}"
                _label(img, label, (x1, y2 + 4), colour)
        for tracker in self._trackers:
            for p in tracker.open_passages(frame.camera_id):
                last = p.observations[-1] if p.observations else None
                # Detection is skipped on some frames while passages are settled: keep drawing a passage
                # seen in the last few frames at its last box, so its label does not flicker.
                if last is None or not 0 <= frame.seq - last.frame_seq < _KEEP_DRAWING_FRAMES:
                    continue
                x1, y1, x2, y2 = (round(v) for v in last.detection.box)
                hit = self._hits.get(p.passage_id)
                if hit is not None and hit.match is not None:
                    cv2.rectangle(img, (x1 - 4, y1 - 4), (x2 + 4, y2 + 4), RED, 4)
                    m = hit.match
                    _label(img, f"HIT {m.kind} {m.entry.plate} ({m.entry.reason})", (x1, y1 - 58), RED)
                if p.consensus is not None and x2 - x1 >= MIN_LABEL_PX:
                    c = p.consensus
                    _label(img, f"= {c.text} {c.confidence:.2f} ({len(p.observations)} obs)", (x1, y1 - 30), WHITE)
        _label(img, self._footer(frame), (10, img.shape[0] - 36), WHITE, scale=0.8)
        return img

    def _footer(self, frame: Frame) -> str:
        when = frame.captured_at.strftime("%H:%M:%S.%f")[:-3]
        text = f"{frame.camera_id} #{frame.seq} {when}"
        fix = None
        if self._position is not None:
            try:
                fix = self._position.fix_at(frame.captured_at)
            except Exception as err:  # a position source's fault must not stop the drawing
                log.debug("no fix for the annotation: %s", err)
        if fix is None:
            return text + "  no fix"
        speed = f" {fix.speed_mps * 3.6:.0f} km/h" if fix.speed_mps is not None else ""
        return text + f"  fix {fix.lat:.5f},{fix.lon:.5f}{speed} ({fix.source})"

    def open(self, width: int, height: int) -> None:
        """Open the output now, so a bad path fails before the replay starts. Raises `AnnotateError`."""
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise AnnotateError(f"{self.out}: cannot create its folder ({err})") from None
        self._writer = open_video(self.out, self.fps, (width, height))
        self._size = (width, height)

    def _write(self, img: Image) -> None:
        import cv2
        import numpy as np

        if self._writer is None:
            self.open(img.shape[1], img.shape[0])
        assert self._writer is not None
        if (img.shape[1], img.shape[0]) != self._size:  # a frame of another size (a folder of images)
            img = np.asarray(cv2.resize(img, self._size), dtype=np.uint8)
        self._writer.write(img)
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file; a failure here (ffmpeg died) is logged, never a traceback after the replay."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self.codec_written = writer.codec
            try:
                writer.close()
            except VideoError as err:
                log.error("the annotated video is incomplete: %s", err)


def _label(img: Image, text: str, org: tuple[int, int], colour: tuple[int, int, int], scale: float = 0.7) -> None:
    """Text on a dark band, so it reads on any background."""
    import cv2

    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    # inside the frame: moved left from the right edge and up from the bottom (never off the picture)
    x = min(max(2, org[0]), max(2, img.shape[1] - w - 4))
    y = min(max(h + 4, org[1] + h), max(h + 4, img.shape[0] - base - 4))
    cv2.rectangle(img, (x - 2, y - h - 4), (x + w + 2, y + base + 2), BLACK, -1)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 2, cv2.LINE_AA)
