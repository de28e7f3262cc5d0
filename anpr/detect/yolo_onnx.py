"""The default detector: a YOLO plate model exported to ONNX, run by onnxruntime.

The model file is checked before a session is made (exists, sha256 matches the recorded one, loads), so
a bad deployment stops at start-up with a message naming the file, not at the first frame.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anpr.core.onnx_model import ModelError, ModelSource, SessionSettings, load_model, open_session, verify_model
from anpr.detect.base import Detector
from anpr.detect.config import DetectorConfig, Roi, roi_pixels
from anpr.detect.focus import Window, focus_mismatch, focus_path, plan
from anpr.detect.postprocess import (
    FloatArray,
    Letterbox,
    decode_yolo,
    letterbox,
    letterbox_geometry,
    letterbox_window,
    nms,
    to_blob,
)
from anpr.detect.wide import lane_variants, mismatch, wide_path
from anpr.types import Box, Detection, Image

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

REBUILD = "restore it from the release (git checkout models/) or rebuild it with `anpr train detector`"
REBUILD_WIDE = "rebuild it from the detector model with `anpr train resize-detector --size 640x384`"
REBUILD_LANE = "rebuild it from the detector model with `anpr train resize-detector --size 640xH`, or delete it"
REBUILD_FOCUS = "rebuild it from the detector model with `anpr train resize-detector --size 320x192`"


Stamp = Callable[[dict[str, str], str, tuple[int, int]], "str | None"]
"""Why a resized variant (its metadata, the detector model's sha256, its input h×w) cannot serve, or None."""


@dataclass(frozen=True, slots=True)
class Net:
    """One onnxruntime session of the detector and its input."""

    session: ort.InferenceSession
    input_name: str
    h: int
    w: int


def _net(session: ort.InferenceSession, path: Path) -> Net:
    inp = session.get_inputs()[0]
    shape = inp.shape
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]):
        raise ModelError(f"{path}: expected a fixed-size NCHW input, got {shape}; export with dynamic=False")
    out_shape = session.get_outputs()[0].shape
    if len(out_shape) != 3:
        raise ModelError(f"{path}: expected a YOLO output (1, 4+classes, N), got {out_shape}")
    return Net(session, inp.name, int(shape[2]), int(shape[3]))


class OnnxDetector:
    """YOLOv8/11 single-class detector. Input name and size are read from the model itself; frames as wide
    as its wide variant (`detector.wide_model`, see `anpr.detect.wide`) go through that one."""

    def __init__(self, cfg: DetectorConfig) -> None:
        path = Path(cfg.model)
        self._cfg = cfg
        self._settings = SessionSettings(cfg.threads, cfg.providers, "detector.providers", cfg.allow_spinning)
        self._square_src = ModelSource(path, cfg.sha256, REBUILD, "detector.model", "detector.sha256")
        self._lock = threading.Lock()
        # Hashed once here; a session is then opened on the checked file without hashing it again.
        digest = verify_model(self._square_src)
        wide = wide_path(cfg)
        self._digest = digest
        self._wide = None
        if wide is not None:
            src = ModelSource(wide, cfg.wide_sha256, REBUILD_WIDE, "detector.wide_model", "detector.wide_sha256")
            explicit, fallback = cfg.wide_model != "auto", f"every frame goes through {path}"
            self._wide = self._open_variant(src, mismatch, explicit, "cannot stand in for", fallback)
        # Shorter inputs for a roi's wide crop, opened on the first crop that fits one (most cameras: never).
        self._lanes: list[tuple[int, int, Path]] = lane_variants(cfg, wide) if self._wide is not None else []
        self._lane_nets: dict[Path, Net] = {}
        focus = focus_path(cfg)
        self._focus = None
        if focus is not None:
            src = ModelSource(focus, "", REBUILD_FOCUS, "detector.focus_model", "detector.sha256")
            explicit, fallback = cfg.focus_model != "auto", "unsettled passages keep the whole frame detected"
            self._focus = self._open_variant(src, focus_mismatch, explicit, "cannot serve", fallback)
        # With a usable wide model the square session waits for the first narrow frame (most cameras: never).
        first = self._wide if self._wide is not None else self._open_square()
        self._square: Net | None = None if first is self._wide else first
        self.version = f"{path.stem}:{digest[:12]}"
        self.input_h, self.input_w = first.h, first.w
        log.info("detector %s loaded: input %s %dx%d, %s", self.version, first.input_name, first.w, first.h,
                 first.session.get_providers())  # fmt: skip

    def _open_square(self) -> Net:
        return _net(open_session(self._square_src.path, self._settings, REBUILD), self._square_src.path)

    def _open_variant(self, src: ModelSource, check: Stamp, explicit: bool, refuse: str, fallback: str) -> Net | None:
        """A resized variant's session (the wide input, the focus windows) when `check` finds it made from this
        detector model; otherwise a ModelError for a configured path, or one WARNING (`auto`) and None."""
        session, _ = load_model(src, self._settings)
        net = _net(session, src.path)
        why = check(dict(session.get_modelmeta().custom_metadata_map), self._digest, (net.h, net.w))
        if why is None:
            return net
        if explicit:
            raise ModelError(f"{src.path}: {refuse} {self._square_src.path}: {why}; {src.rebuild}")
        log.warning("%s not used: %s; %s (%s)", src.path, why, fallback, src.rebuild)
        return None

    def net_for(self, h: int, w: int) -> Net:
        """The session a frame of h × w pixels goes through: the shortest wide input it is as wide as (the
        same pixels per plate as the square one), else the square one."""
        wide = self._wide
        if wide is not None and w * wide.h >= h * wide.w:
            return self._lane_for(h, w) or wide
        if self._square is None:
            with self._lock:  # a narrow frame on a wide camera's detector: the square session, once
                if self._square is None:
                    self._square = self._open_square()
                    log.info("detector: a %dx%d frame is narrower than the wide input; the square input serves it",
                             w, h)  # fmt: skip
        return self._square

    def _lane_for(self, h: int, w: int) -> Net | None:
        """The shortest lane variant a crop of h × w pixels is as wide as, opened on first use; None if none."""
        if not self._lanes:
            return None
        with self._lock:
            for lane in list(self._lanes):
                lane_h, lane_w, path = lane
                if w * lane_h < h * lane_w:
                    continue  # too tall a crop for this one: a taller variant, or the wide model
                net = self._lane_nets.get(path)
                if net is None:
                    net = self._open_lane(path)
                    if net is None:  # other weights, corrupt, unloadable: logged once, never tried again
                        self._lanes.remove(lane)
                        continue
                    self._lane_nets[path] = net
                    log.info("detector: %dx%d crops go through %s", w, h, path.name)
                return net
        return None

    def _open_lane(self, path: Path) -> Net | None:
        """A lane variant's session, or None (logged) when it is unloadable or made from other weights: a lane
        file is only ever found beside the model, never configured, so it never stops the start-up."""
        src = ModelSource(path, "", REBUILD_LANE, "detector.model", "detector.sha256")
        try:
            return self._open_variant(src, mismatch, False, "", "the wide input serves those crops")
        except ModelError as err:
            log.warning("lane variant not used: %s", err)
            return None

    def detect(self, image: Image) -> list[Detection]:
        h, w = image.shape[:2]
        net = self.net_for(h, w)
        boxed, lb = letterbox(image, net.w, net.h)
        boxes, scores = self._run(net, boxed, lb, w, h)
        return _detections(boxes, scores)

    def detect_regions(self, image: Image, regions: Sequence[Box]) -> list[Detection] | None:
        """Plates in windows around `regions` (frame px): each window cut from the input the whole pass
        would see (anpr/detect/focus.py); None when there is no focus model or the whole pass is cheaper."""
        focus = self._focus
        if focus is None or not regions:
            return None
        h, w = image.shape[:2]
        net = self.net_for(h, w)
        geo = letterbox_geometry(w, h, net.w, net.h)
        targets = [
            tuple(v * geo.scale + pad for v, pad in zip(r, (geo.pad_x, geo.pad_y) * 2, strict=True)) for r in regions
        ]
        windows = plan(targets, net.w, net.h, focus.w, focus.h)  # type: ignore[arg-type]
        if windows is None:
            return None
        if not windows:
            return []  # nothing plate-shaped to look for
        lb, boxed = geo, None
        all_boxes, all_scores = [], []
        for win in windows:
            crop = letterbox_window(image, lb, win.u, win.v, win.w, win.h)
            if crop is None:  # a frame that does not shrink by a whole factor: cut from the whole letterbox
                if boxed is None:
                    boxed, lb = letterbox(image, net.w, net.h)
                crop = np.ascontiguousarray(boxed[win.v : win.v + win.h, win.u : win.u + win.w])
            boxes, scores = self._run(focus, crop, Letterbox(lb.scale, lb.pad_x - win.u, lb.pad_y - win.v), w, h)
            keep = [not _cut(win, b, lb, net) for b in boxes]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
        boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores)
        if len(windows) > 1 and len(boxes):  # a plate in two windows is one plate
            keep_i = nms(boxes, scores, self._cfg.iou_threshold)[: self._cfg.max_detections]
            boxes, scores = boxes[keep_i], scores[keep_i]
        return _detections(boxes, scores)

    def _run(self, net: Net, boxed: Image, lb: Letterbox, w: int, h: int) -> tuple[FloatArray, FloatArray]:
        (out,) = net.session.run(None, {net.input_name: to_blob(boxed)})[:1]
        return decode_yolo(
            np.asarray(out, dtype=np.float32),
            lb,
            w,
            h,
            self._cfg.conf_threshold,
            self._cfg.iou_threshold,
            self._cfg.max_detections,
        )


def _cut(win: Window, box: FloatArray, lb: Letterbox, net: Net) -> bool:
    """Whether a detection (frame px) touches an inner border of its window (a plate possibly cut there)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    in_input = (x1 * lb.scale + lb.pad_x, y1 * lb.scale + lb.pad_y, x2 * lb.scale + lb.pad_x, y2 * lb.scale + lb.pad_y)
    return win.cuts(in_input, net.w, net.h)


def _detections(boxes: FloatArray, scores: FloatArray) -> list[Detection]:
    return [
        Detection(box=(float(b[0]), float(b[1]), float(b[2]), float(b[3])), score=float(s))
        for b, s in zip(boxes, scores, strict=True)
    ]


class RoiDetector:
    """Runs `inner` on a fixed region of the frame (fractions) and maps its boxes back to frame pixels."""

    def __init__(self, inner: Detector, roi: Roi) -> None:
        self._inner = inner
        self.roi = roi
        self.version = inner.version

    def detect(self, image: Image) -> list[Detection]:
        h, w = image.shape[:2]
        x1, y1, x2, y2 = roi_pixels(self.roi, w, h)
        return self._back(self._inner.detect(image[y1:y2, x1:x2]), x1, y1)

    def detect_regions(self, image: Image, regions: Sequence[Box]) -> list[Detection] | None:
        h, w = image.shape[:2]
        x1, y1, x2, y2 = roi_pixels(self.roi, w, h)
        inside = [(r[0] - x1, r[1] - y1, r[2] - x1, r[3] - y1) for r in regions]
        found = self._inner.detect_regions(image[y1:y2, x1:x2], inside)
        return None if found is None else self._back(found, x1, y1)

    @staticmethod
    def _back(found: list[Detection], x1: int, y1: int) -> list[Detection]:
        return [
            Detection(
                box=(d.box[0] + x1, d.box[1] + y1, d.box[2] + x1, d.box[3] + y1),
                score=d.score,
                corners=None if d.corners is None else tuple((cx + x1, cy + y1) for cx, cy in d.corners),
            )
            for d in found
        ]
