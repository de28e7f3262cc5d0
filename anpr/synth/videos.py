"""The sample videos: three scripted clips with per-frame ground truth, a demo hotlist and an NMEA log.

`anpr synth videos --out sample_videos/` rebuilds everything. Frames are a pure function of the clip
script; the encoder is ffmpeg's libx264 with one thread and bit-exact flags, so the same ffmpeg build
gives the same bytes (a different x264 version can change them; the truth never changes).
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from anpr.synth import effects
from anpr.synth._np import u8
from anpr.synth.backdrop import draw_street
from anpr.synth.cliptypes import Clip, Track
from anpr.synth.plate import render_plate
from anpr.synth.scene import Camera, Vehicle, paste_quad
from anpr.types import Image

log = logging.getLogger(__name__)

MIN_TRUTH_WIDTH = 16  # px: smaller plates are not in the truth (nobody can read them)


@dataclass(slots=True)
class _Truth:
    track: Track
    boxes: list[tuple[int, list[int]]] = field(default_factory=list)


def _camera(clip: Clip, i: int) -> Camera:
    t = i / clip.fps
    pitch = clip.pitch + clip.bounce * float(np.sin(2 * np.pi * 1.3 * t))
    return Camera(clip.width, clip.height, clip.focal, clip.cam_height, pitch, clip.cam_x, clip.cam_speed * t)


def _ir(frame: Image, rng: random.Random) -> Image:
    """Night IR: grey, dark surroundings, headlights and the plates' film bloom."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gray = effects.bloom(gray, 190, 1.6, 12.0)
    out = u8(cv2.cvtColor(gray.clip(0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
    return effects.noise(out, rng, 3.0)


def _plates(clip: Clip) -> dict[str, Image]:
    plates = {}
    for k, tr in enumerate(clip.tracks):
        if tr.bus:
            continue
        rp = render_plate(tr.text, random.Random(f"{clip.name}:{k}"), style=tr.style, px_per_mm=2.5)
        img = rp.image
        if clip.night:  # retro-reflective film under IR flash: bright plate, ink stays dark
            img = (img.astype(np.float32) * 1.15 + 30).clip(0, 255).astype(np.uint8)
        plates[tr.text] = img
    return plates


def render(clip: Clip) -> Iterator[tuple[Image, dict[str, list[int]]]]:
    """Yield each frame and the visible plates' boxes {text: [x1, y1, x2, y2]} (`clip.hold` repeats)."""
    plates = _plates(clip)
    last: tuple[Image, dict[str, list[int]]] | None = None
    for i in range(clip.frames):
        if last is not None and i % clip.hold:
            yield last[0].copy(), dict(last[1])
            continue
        last = _frame(clip, i, plates)
        yield last[0].copy(), dict(last[1])


def _frame(clip: Clip, i: int, plates: dict[str, Image]) -> tuple[Image, dict[str, list[int]]]:
    cam = _camera(clip, i)
    frame = draw_street(cam, clip.street, cam.z, cam.z + 160)
    if clip.night:
        frame = (frame.astype(np.float32) * 0.15).astype(np.uint8)
    t = i / clip.fps
    live: list[tuple[Track, Vehicle]] = []
    for tr in clip.tracks:
        pos = tr.where(t, clip.fps)
        if pos is not None:
            v = Vehicle(pos[0], pos[1], tr.colour, tr.facing)
            live.append((tr, replace(v, width=2.5, length=12.0, height=3.2, across=tr.across) if tr.bus else v))
    live = [(tr, v) for tr, v in live if v.z_near - cam.z > 1.0]
    live.sort(key=lambda tv: -tv[1].z_near)  # painter's order: far first
    boxes: dict[str, list[int]] = {}
    for idx, (tr, v) in enumerate(live):
        (v if not clip.night else replace(v, dim=0.15)).draw(frame, cam)
        if clip.night and v.facing == "front":
            for sx in (-0.6, 0.6):
                uv, z = cam.project(np.array([(v.x + sx, 0.73, v.z_near - 0.02)]))
                r = max(2, int(clip.focal * 0.12 / max(z[0], 0.5)))
                cv2.circle(frame, (int(uv[0, 0]), int(uv[0, 1])), r, (255, 255, 255), -1, cv2.LINE_AA)
        if tr.bus:
            continue
        quad, _ = cam.project(v.plate_corners())
        paste_quad(frame, plates[tr.text], quad)
        box = _visible_box(quad, [n for _, n in live[idx + 1 :]], cam, clip.cabins)
        if box is not None:
            boxes[tr.text] = box
    # A held (still) clip keeps one noise pattern: a minute at a red light then costs a few kilobytes.
    rng = random.Random(f"{clip.name}:frame:{0 if clip.hold > 1 else i}")
    frame = u8(cv2.GaussianBlur(frame, (0, 0), 0.6))
    frame = _ir(frame, rng) if clip.night else effects.noise(frame, rng, 1.5)
    return frame, boxes


def _visible_box(quad: np.ndarray, nearer: Sequence[Vehicle], cam: Camera, cabins: bool) -> list[int] | None:
    """The plate's box if it is wide enough, wholly in the frame and hidden by no nearer vehicle."""
    x1, y1 = int(np.floor(quad[:, 0].min())), int(np.floor(quad[:, 1].min()))
    x2, y2 = int(np.ceil(quad[:, 0].max())), int(np.ceil(quad[:, 1].max()))
    if x2 - x1 < MIN_TRUTH_WIDTH or x1 < 0 or y1 < 0 or x2 > cam.width or y2 > cam.height_px:
        return None
    own = np.zeros((y2 - y1 + 1, x2 - x1 + 1), np.uint8)
    cv2.fillConvexPoly(own, np.round(quad - [x1, y1]).astype(np.int32), 1)
    for v in nearer:
        other = np.zeros_like(own)
        for hull in v.silhouette(cam, cabin=cabins):
            cv2.fillConvexPoly(other, hull - [x1, y1], 1)
        if (own & other).sum() > 0.02 * own.sum():
            return None
    return [x1, y1, x2, y2]


def encode(frames: Iterator[Image], path: Path, width: int, height: int, fps: int, crf: int = 23, gop: int = 0) -> int:
    """Pipe BGR frames to ffmpeg/libx264 (one thread, bit-exact); returns the number of frames written."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found: install the Debian package ffmpeg to build the sample videos")
    cmd = [
        ffmpeg,
        "-y",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "bgr24",
        "-s",
        f"{width}x{height}",
        "-r",
        str(fps),
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        str(crf),
        "-threads",
        "1",
        "-x264-params",
        "threads=1:lookahead-threads=1",
        "-g",
        str(gop or fps * 2),
        "-pix_fmt",
        "yuv420p",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
        str(path),
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    n = 0
    try:
        for frame in frames:
            proc.stdin.write(np.ascontiguousarray(frame).tobytes())
            n += 1
    finally:
        proc.stdin.close()
        rc = proc.wait()
    if rc != 0:
        raise RuntimeError(f"ffmpeg failed with exit code {rc} writing {path}")
    return n


def build_clip(clip: Clip, out_dir: Path) -> Path:
    """Render, encode and write `<name>.mp4` and `<name>.truth.json`."""
    from anpr.plates.chile import parse

    truth = {tr.text: _Truth(tr) for tr in clip.tracks if not tr.bus}

    def frames() -> Iterator[Image]:
        for i, (frame, boxes) in enumerate(render(clip)):
            for text, box in boxes.items():
                truth[text].boxes.append((i, box))
            yield frame

    path = out_dir / f"{clip.name}.mp4"
    n = encode(frames(), path, clip.width, clip.height, clip.fps, gop=clip.gop)
    doc = {
        "clip": path.name,
        "width": clip.width,
        "height": clip.height,
        "fps": clip.fps,
        "frame_count": n,
        "notes": clip.notes,
        "box_rule": f"plate box [x1,y1,x2,y2] in frame pixels, listed only where the plate is at least "
        f"{MIN_TRUTH_WIDTH} px wide, wholly in the frame and not hidden by a nearer vehicle",
        "plates": [
            {
                "text": t.track.text,
                "format": parse(t.track.text).format,
                "style": t.track.style,
                "expect": t.track.expect,
                "first_frame": t.boxes[0][0] if t.boxes else None,
                "last_frame": t.boxes[-1][0] if t.boxes else None,
                "frames_visible": len(t.boxes),
                "boxes": [{"frame": f, "box": b} for f, b in t.boxes],
            }
            for t in truth.values()
        ],
    }
    (out_dir / f"{clip.name}.truth.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path


def build_all(out_dir: Path, only: Sequence[str] | None = None) -> list[Path]:
    """The sample clips in `out_dir`, the traffic scenarios in `out_dir/traffic`, the hotlist and NMEA log."""
    from anpr.synth.clips import CLIPS, write_hotlist
    from anpr.synth.nmea import write_patrol_log
    from anpr.synth.traffic import TRAFFIC

    (out_dir / "traffic").mkdir(parents=True, exist_ok=True)
    paths = [build_clip(c, out_dir) for c in CLIPS if not only or c.name in only]
    paths += [build_clip(c, out_dir / "traffic") for c in TRAFFIC if not only or c.name in only]
    paths.append(write_hotlist(out_dir / "hotlist.csv"))
    patrol = next(c for c in CLIPS if c.name == "patrol")
    paths.append(write_patrol_log(out_dir / "patrol.nmea", seconds=patrol.frames / patrol.fps, speed=patrol.cam_speed))
    return paths
