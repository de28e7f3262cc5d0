"""`anpr bench pipeline|live|soak|detector|focus|reads|reader|two-rows|hotlist|outbox|drills|control [--json]`: figures,
printed, never asserted; and `anpr bench wheels`, the release check that the devices install from wheels.

This module has the group and the benches that run models on video; those of the parts that keep state or
talk to a broker, and the wheel check, are in `bench_services`."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from anpr.cli import bench_services
from anpr.cli.common import emit

DEFAULT_PHOTOS = Path("../shared/plates/eval/chile_gate")


SAMPLE_CLIPS = [Path(f"sample_videos/{c}.mp4") for c in ("night_ir", "patrol", "gantry_day")]
"""The clips `bench focus` and `bench reads` take by default: night, a moving car, a gantry."""


def _clips_argument(q: argparse.ArgumentParser) -> None:
    q.add_argument("clips", nargs="*", type=Path, default=SAMPLE_CLIPS, help="clips with truth sidecars")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bench", help="speed and accuracy figures of each part; the aarch64 wheel check")
    bsub = p.add_subparsers(dest="bench_command", metavar="WHAT", required=True)

    q = bsub.add_parser("pipeline", help="the real pipeline on a sample video, with the OpenCV+tesseract floor")
    q.add_argument("--video", type=Path, default=Path("sample_videos/gantry_day.mp4"))
    q.add_argument("-c", "--config", help="TOML config file (its cameras are replaced by the video)")
    q.add_argument("--frames", type=int, default=0, help="stop after this many frames (0: the whole clip)")
    q.add_argument("--baseline-frames", type=int, default=12, help="frames the tesseract floor is timed on")
    q.add_argument("--no-baseline", action="store_true", help="skip the OpenCV+tesseract floor")
    q.add_argument(
        "--all", action="store_true", help="every clip in sample_videos/ (or --clips), one table; one process each"
    )
    q.add_argument(
        "--clips", type=Path, default=Path("sample_videos"), help="the folder --all benches (subfolders too)"
    )
    q.add_argument(
        "--photos",
        type=Path,
        help=f"with --all: a labelled set of one fixed camera's real photos made into one more clip (default: "
        f"{DEFAULT_PHOTOS} when it exists)",
    )
    q.add_argument("--no-photos", action="store_true", help="with --all: no real-photo clip")
    q.add_argument("--workers", type=int, choices=(1, 2), help="override inference_workers (1: sequential)")
    q.set_defaults(func=_pipeline)

    q = bsub.add_parser("detector", help="ms per 1080p frame of each detector model")
    q.add_argument("models", nargs="*", type=Path, default=[Path("models/plate-detector.onnx")])
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--runs", type=int, default=30)
    q.set_defaults(func=_detector)

    q = bsub.add_parser("focus", help="the focus windows against the whole frame: detections found again")
    _clips_argument(q)
    q.add_argument("--every", type=int, default=4, help="every Nth frame of each clip")
    q.set_defaults(func=_focus)

    q = bsub.add_parser("reads", help="the pipeline's reads by plate width against the clips' truth boxes")
    _clips_argument(q)
    q.add_argument("-c", "--config", help="TOML config file (its cameras are replaced by each clip)")
    q.set_defaults(func=_reads)

    q = bsub.add_parser("reader", help="plate reader accuracy and ms per crop, tesseract as the floor")
    q.add_argument("sets", nargs="*", type=Path, help="labelled folders (default: crops of --video's truth boxes)")
    q.add_argument("--video", type=Path, default=Path("sample_videos/gantry_day.mp4"))
    q.add_argument(
        "--model", action="append", help="PP-OCR-style model to time; repeat to compare (default: the configured one)"
    )
    q.add_argument("--crnn", action="append", help="also time this CRNN model (reader.backend = crnn); repeatable")
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--no-tesseract", action="store_true")
    q.set_defaults(func=_reader)

    q = bsub.add_parser("two-rows", help="motorcycle plates read with and without reader.two_row_cuts (renders)")
    q.add_argument("--n", type=int, default=300, help="motorcycle renders (cars: two thirds as many)")
    q.add_argument("--seed", type=int, default=11)
    q.add_argument("--cuts", nargs="+", default=["", "0.45"], help='comma-separated fractions per run; "" = off')
    q.add_argument("--train-root", type=Path, default=Path("../shared/plates/train"), help="for chile_gate_overlay")
    q.add_argument("--threads", type=int, default=2)
    q.set_defaults(func=_two_rows)

    q = bsub.add_parser("live", help="capture-to-alert latency on a sample clip served by a real RTSP server")
    q.add_argument("--video", type=Path, default=Path("sample_videos/gantry_day.mp4"), help="clip with a truth sidecar")
    q.add_argument("-c", "--config", help="TOML config file (its cameras and hotlist are replaced)")
    q.add_argument("--runs", type=int, default=3, help="times the clip is streamed")
    q.add_argument("--size", help="stream size WxH (default: the clip's)")
    q.add_argument("--fps", type=int, default=0, help="stream frame rate (default: the clip's)")
    q.set_defaults(func=_live)

    q = bsub.add_parser("soak", help="memory over time: a sample clip looped over RTSP through the daemon's stages")
    q.add_argument("--video", type=Path, default=Path("sample_videos/gantry_day.mp4"), help="clip with a truth sidecar")
    q.add_argument("-c", "--config", help="TOML config file (its cameras and hotlist are replaced)")
    q.add_argument("--seconds", type=float, default=600.0, help="how long to run (default 600)")
    q.add_argument("--every", type=float, default=10.0, help="seconds between memory samples")
    q.set_defaults(func=_soak)

    bench_services.add(bsub)

    for parser in bsub.choices.values():
        parser.add_argument("--json", action="store_true", help="one JSON object with stable keys")


def _pipeline(args: argparse.Namespace) -> int:
    from anpr.app.build import StartupError
    from anpr.app.config import ConfigError, load
    from anpr.bench.pipeline import bench_pipeline, format_text

    if args.all:
        return _pipeline_all(args)
    if not args.video.exists():
        print(f"anpr bench: {args.video}: no such video", file=sys.stderr)
        return 2
    try:
        cfg = load(args.config)
        if args.workers:
            cfg = cfg.model_copy(update={"inference_workers": args.workers})
        res = bench_pipeline(
            cfg, args.video, max_frames=args.frames, baseline_frames=args.baseline_frames,
            with_baseline=not args.no_baseline,
        )  # fmt: skip
    except (ConfigError, StartupError) as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))


def _pipeline_all(args: argparse.Namespace) -> int:
    from anpr.bench.broker import BenchError
    from anpr.bench.pipeline_all import bench_all, format_table, sample_clips

    argv = ["--baseline-frames", str(args.baseline_frames), "--frames", str(args.frames)]
    argv += ["--no-baseline"] if args.no_baseline else []
    argv += ["-c", str(args.config)] if args.config else []
    argv += ["--workers", str(args.workers)] if args.workers else []
    try:
        clips = sample_clips(args.clips)
        with tempfile.TemporaryDirectory(prefix="anpr-bench-") as tmp:
            photo_clip = None if args.no_photos else _photo_clip(args.photos, Path(tmp))
            rows = bench_all(clips if photo_clip is None else [*clips, photo_clip], argv)
    except BenchError as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, rows, format_table(rows))


def _photo_clip(photos: Path | None, tmp: Path) -> Path | None:
    """The real-photo clip of `photos` (default: the eval gate camera's, when present), built in `tmp`."""
    from anpr.bench.broker import BenchError
    from anpr.synth.realclip import build, parse_gap

    if photos is None:
        if not (DEFAULT_PHOTOS / "labels.csv").is_file():
            print(f"anpr bench: no {DEFAULT_PHOTOS}: the real-photo clip is left out (--photos DIR)", file=sys.stderr)
            return None
        photos = DEFAULT_PHOTOS
    print(f"anpr bench: building a clip from the photos of {photos} ...", file=sys.stderr)
    try:
        video, _, n = build(photos, parse_gap("0.2-0.5"), tmp / f"{photos.name}_photos.mp4")
    except (ValueError, OSError, RuntimeError) as err:
        raise BenchError(f"--photos {photos}: {err}") from err
    print(f"anpr bench: {video.name}: {n} vehicles", file=sys.stderr)
    return video


def _rtsp_bench(args: argparse.Namespace, run: Any, format_text: Any) -> int:
    """The RTSP benches' common part: a clip with truth, a usable RTSP server, the config, clear errors."""
    from anpr.app.build import StartupError
    from anpr.app.config import ConfigError, load
    from anpr.bench.broker import BenchError
    from anpr.bench.rtsp import rtsp_unusable

    if not args.video.with_suffix(".truth.json").is_file():
        print(f"anpr bench: {args.video}: no truth sidecar (its plates make the bench's hotlist)", file=sys.stderr)
        return 2
    if (why := rtsp_unusable()) is not None:
        print(f"anpr bench: no RTSP server: {why}", file=sys.stderr)
        return 2
    try:
        res = run(load(args.config))
    except (ConfigError, StartupError, BenchError) as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))


def _live(args: argparse.Namespace) -> int:
    from anpr.bench.live import bench_live, format_text

    size = None
    if args.size:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
            size = (w, h)
        except ValueError:
            print(f"anpr bench: --size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1280x720", file=sys.stderr)
            return 2

    def run(cfg: Any) -> Any:
        return bench_live(cfg, args.video, runs=max(1, args.runs), size=size, fps=args.fps or None)

    return _rtsp_bench(args, run, format_text)


def _soak(args: argparse.Namespace) -> int:
    from anpr.bench.soak import bench_soak, format_text

    if args.seconds <= 0 or args.every <= 0:
        print("anpr bench: --seconds and --every must be positive", file=sys.stderr)
        return 2
    return _rtsp_bench(
        args, lambda cfg: bench_soak(cfg, args.video, seconds=args.seconds, every_s=args.every), format_text
    )


def _detector(args: argparse.Namespace) -> int:
    from anpr.bench.detector import bench_detector, format_text
    from anpr.core.onnx_model import ModelError

    try:
        rows = bench_detector(args.models, threads=args.threads, runs=args.runs)
    except (ModelError, FileNotFoundError) as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, rows, format_text(rows))


def _focus(args: argparse.Namespace) -> int:
    from anpr.bench.focus import bench_focus, format_text
    from anpr.core.onnx_model import ModelError

    if args.every < 1:
        print("anpr bench: --every must be at least 1", file=sys.stderr)
        return 2
    try:
        res = bench_focus(args.clips, every=args.every)
    except (ModelError, FileNotFoundError) as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))


def _reads(args: argparse.Namespace) -> int:
    from anpr.app.config import ConfigError, load
    from anpr.bench.reads import BenchReadsError, bench_reads, format_text

    try:
        res = bench_reads(load(args.config), args.clips)
    except (ConfigError, BenchReadsError) as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))


def _reader(args: argparse.Namespace) -> int:
    from anpr.bench.reader import bench_reader, format_text

    for folder in args.sets:
        if not (folder / "labels.csv").is_file():
            print(f"anpr bench: {folder}: no labels.csv", file=sys.stderr)
            return 2
    if not args.sets and not args.video.with_suffix(".truth.json").is_file():
        print(f"anpr bench: {args.video}: no truth sidecar to take crops from", file=sys.stderr)
        return 2
    try:
        from anpr.ocr.config import ReaderConfig

        res = bench_reader(
            args.sets,
            models=args.model or [ReaderConfig().model],
            threads=args.threads,
            video=args.video,
            with_tesseract=not args.no_tesseract,
            crnn=args.crnn,
        )
    except Exception as err:  # ModelError and friends name the file in their message
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))


def _two_rows(args: argparse.Namespace) -> int:
    from anpr.bench.two_rows import bench_two_rows, format_text

    try:
        res = bench_two_rows(args.cuts, n=args.n, seed=args.seed, train_root=args.train_root, threads=args.threads)
    except Exception as err:  # a bad --cuts value, ModelError: each names what to fix
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))
