"""`anpr replay`: run a recorded video through the same pipeline as the car, printing its events.

Output: the event lines on `out` (stdout), then with `summary_json` the summary as one JSON object
(`"kind": "summary"`); without it the summary goes to stderr as text. With a progress bar, log lines
and event lines are written around the bar (tqdm.write) so they never tear it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from anpr.app.config import AppConfig
from anpr.types import Frame, PlateEvent

log = logging.getLogger(__name__)


def _video_camera(cfg: AppConfig, video: Path) -> AppConfig:
    kind = "images" if video.is_dir() else "file"
    camera = cfg.cameras[0].model_copy(update={"kind": kind, "uri": str(video)})
    return cfg.model_copy(update={"cameras": (camera,)})


def _with_nmea(cfg: AppConfig, video: Path, nmea: Path | None) -> AppConfig:
    """Use the clip's NMEA log for positions when one is given or lies beside the video."""
    if nmea is None:
        beside = video.with_suffix(".nmea")
        if cfg.gps.kind != "none" or not beside.is_file():
            return cfg
        nmea = beside
    gps = cfg.gps.model_copy(
        update={"kind": "replay", "replay_path": str(nmea), "replay_start_time": cfg.cameras[0].start_time}
    )
    return cfg.model_copy(update={"gps": gps})


def _text_line(ev: PlateEvent) -> str:
    t = ev.first_seen.strftime("%H:%M:%S.%f")[:-3]
    where = f" @ {ev.fix.lat:.5f},{ev.fix.lon:.5f}" if ev.fix is not None else ""
    if ev.match is not None:
        m = ev.match
        tag = f"HIT {m.kind} {m.entry.plate} ({m.entry.reason}, {m.entry.list_name})"
    else:
        tag = "read"
    if not ev.final:
        tag += " (early, passage still in view)"
    alts = ",".join(c.text for c in ev.alternatives[:3])
    return f"{t} {ev.camera_id} {ev.plate:<8} {ev.confidence:.2f} {ev.format:<8} {tag}{where}" + (
        f"  alt: {alts}" if alts else ""
    )


def _frame_count(video: Path) -> int | None:
    if video.is_dir():
        return None
    import cv2

    cap = cv2.VideoCapture(str(video))
    try:
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()
    return n if n > 0 else None


def _video_geometry(video: Path) -> tuple[float, tuple[int, int] | None]:
    """The clip's frame rate and size (25 fps and unknown for a folder of images)."""
    if video.is_dir():
        return 25.0, None
    import cv2

    cap = cv2.VideoCapture(str(video))
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 25.0
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()
    return fps, ((w, h) if w > 0 and h > 0 else None)


def replay(
    cfg: AppConfig,
    video: Path,
    *,
    truth: Path | None = None,
    fmt: str = "json",
    summary_json: bool = False,
    nmea: Path | None = None,
    progress: bool = False,
    out: TextIO | None = None,
    annotate: Path | None = None,
) -> int:
    from anpr.app.build import StartupError, build_pipeline
    from anpr.uplink.wire import event_to_json

    stream = out or sys.stdout
    write: Callable[[str], object] = stream.write
    if not video.exists():
        print(f"anpr replay: {video}: no such file or folder", file=sys.stderr)
        return 2
    cfg = _with_nmea(_video_camera(cfg, video), video, nmea)
    events: list[PlateEvent] = []

    def on_event(ev: PlateEvent) -> None:
        events.append(ev)
        line = event_to_json(ev).decode() if fmt == "json" else _text_line(ev)
        write(line + "\n")
        stream.flush()

    annotator = None
    size: tuple[int, int] | None = None
    if annotate is not None:
        from anpr.app.annotate import Annotator

        fps, size = _video_geometry(video)
        annotator = Annotator(annotate, fps)
    try:
        # The car's pipeline less the uplink: it prints the events the car would send (crops as [uplink] says).
        pipeline = build_pipeline(cfg, on_event=on_event, decorate=annotator.wrap if annotator else None)
    except StartupError as err:
        print(f"anpr replay: cannot start: {err}", file=sys.stderr)
        return 2
    source = pipeline.sources[0]
    if annotator is not None:
        from anpr.app.annotate import AnnotateError

        try:
            if size is not None:
                annotator.open(*size)
        except AnnotateError as err:
            print(f"anpr replay: {err}", file=sys.stderr)
            return 2
    bar = None
    around_bar: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if progress:
        from tqdm import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        bar = tqdm(total=_frame_count(video), unit="frame", file=sys.stderr, desc=video.name)
        around_bar = logging_redirect_tqdm()

        def write_around_bar(text: str) -> None:  # clears the bar, writes the line, redraws the bar
            tqdm.write(text, file=stream, end="")

        write = write_around_bar

    def on_frame(frame: Frame) -> None:
        if annotator is not None:
            annotator.on_frame(frame)
        if bar is not None:
            bar.update(1)

    t0 = time.perf_counter()
    try:
        with around_bar:
            pipeline.run(threading.Event(), on_frame=on_frame)
    finally:
        if annotator is not None:
            annotator.close()
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0

    snap = pipeline.health.snapshot()
    processed = snap.camera().processed
    summary: dict[str, Any] = {
        "video": str(video),
        "frames": processed,
        "events": len(events),
        "hits": sum(1 for e in events if e.kind == "hit" and e.final),
        "passages": sum(c.passages for c in snap.cameras.values()),
        "unread_passages": sum(c.unread for c in snap.cameras.values()),  # ended without a plate: no event
        "wall_s": round(wall, 3),
        "fps": round(processed / wall, 2) if wall > 0 else 0.0,
        "corrupt_frames": source.stats().corrupt,
        "errors": dict(snap.errors),
        "stage_ms": snap.to_dict()["stage_ms"],
    }
    if pipeline.stages.motion is not None:  # frames the motion gate kept from the detector
        summary["motion_skipped"] = pipeline.stages.motion.skipped_total
    if annotator is not None:
        summary["annotated"] = {"path": str(annotate), "frames": annotator.frames_written,
                                "codec": annotator.codec_written}  # fmt: skip
    if truth is not None:
        from anpr.app.truth import TruthError, load_truth, score

        try:
            summary["score"] = score(load_truth(truth), [e for e in events if e.final], cfg.cameras[0].start_time)
        except TruthError as err:
            print(f"anpr replay: {err}", file=sys.stderr)
            return 2
    if summary_json:
        stream.write(json.dumps({"kind": "summary", **summary}, sort_keys=True) + "\n")
        stream.flush()
    else:
        _print_summary(summary)
    return 0


def _print_summary(s: dict[str, Any]) -> None:
    print(
        f"replayed {s['frames']} frames in {s['wall_s']:.1f} s ({s['fps']:.1f} fps): "
        f"{s['events']} events ({s['passages']} passages, {s['unread_passages']} without a plate read), "
        f"{s['hits']} hotlist hits, {s['corrupt_frames']} corrupt frames",
        file=sys.stderr,
    )
    if s["errors"]:
        print(f"stage errors: {s['errors']}", file=sys.stderr)
    sc = s.get("score")
    if sc:
        print(
            f"truth: {sc['read_exact']}/{sc['plates']} plates read exactly; missed {sc['missed'] or 'none'}; "
            f"misread {sc['misread'] or 'none'}; phantom events {sc['phantoms'] or 'none'}; "
            f"hotlist hits {sc['hits_ok']}/{sc['hits_expected']}; false hits {sc['false_hits'] or 'none'}",
            file=sys.stderr,
        )
