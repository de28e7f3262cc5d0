"""`anpr synth ...`: rendered Chilean plates for training, the sample videos and the contact sheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from anpr.cli.common import add_output

# The names `--only` accepts (anpr/synth/clips.py and traffic.py); kept here so `anpr --help` loads no synth.
CLIP_NAMES = (
    "gantry_day", "patrol", "night_ir",
    "parked_row", "gantry_queue", "two_lanes", "bus_occlusion", "red_light", "cut_in",
)  # fmt: skip


def _overlay(args: argparse.Namespace) -> int:
    from anpr.synth.overlay import overlay_sets

    try:
        n = overlay_sets([Path(s) for s in args.src], Path(args.output), args.per_image, args.seed)
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"anpr synth overlay: {err}", file=sys.stderr)
        return 2
    print(f"wrote {n} images and labels.csv to {args.output}")
    return 0


def _plates(args: argparse.Namespace) -> int:
    from anpr.synth.crops import write_crops

    n = write_crops(Path(args.output), args.n, args.seed)
    print(f"wrote {n} plate crops and labels.csv to {args.output}")
    return 0


def _videos(args: argparse.Namespace) -> int:
    from anpr.synth.videos import build_all

    for path in build_all(Path(args.output), only=args.only):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def _real_clip(args: argparse.Namespace) -> int:
    from anpr.synth.realclip import build, parse_gap

    try:
        video, truth, n = build(Path(args.photos), parse_gap(args.gap), Path(args.output), seed=args.seed)
    except (ValueError, OSError, RuntimeError) as err:
        print(f"anpr synth real-clip: {err}", file=sys.stderr)
        return 2
    print(f"wrote {video} ({n} vehicles) and {truth}; score it with: anpr replay {video} --truth {truth}")
    return 0


def _sheet(args: argparse.Namespace) -> int:
    from anpr.synth.sheet import write_sheet

    write_sheet(Path(args.output), n=args.n, seed=args.seed)
    print(f"wrote {args.output}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    synth = sub.add_parser("synth", help="render synthetic Chilean plates, training sets and sample videos")
    ssub = synth.add_subparsers(dest="synth_command", metavar="WHAT", required=True)

    p = ssub.add_parser("overlay", help="replace the labelled plates in real photo sets by rendered Chilean ones")
    p.add_argument("--src", action="append", required=True, help="a shared-format set folder (repeatable)")
    add_output(p, "output folder (images/ + labels.csv)", required=True)
    p.add_argument("--per-image", type=int, default=1, help="variants per source image (default 1)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_overlay)

    p = ssub.add_parser("plates", help="reader training crops with text (labels.csv with empty boxes)")
    p.add_argument("--n", type=int, default=1000, help="number of crops (default 1000)")
    add_output(p, "output folder (crops + labels.csv)", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_plates)

    p = ssub.add_parser("videos", help="rebuild the sample videos, truth sidecars, hotlist and NMEA log")
    add_output(p, "output folder (default: sample_videos)", default="sample_videos")
    p.add_argument("--only", choices=CLIP_NAMES, action="append", default=None, help="one clip (repeatable)")
    p.set_defaults(func=_videos)

    p = ssub.add_parser(
        "real-clip", help="a traffic clip (and truth) from a labelled set of real photos of one fixed camera"
    )
    p.add_argument("--photos", required=True, help="a shared-format set folder (images/ + labels.csv with boxes)")
    p.add_argument("--gap", default="0.2-0.5", help="seconds of empty road between vehicles: 1.6 or 0.2-0.5")
    add_output(p, "the .mp4 to write (its .truth.json goes next to it)", required=True)
    p.add_argument("--seed", type=int, default=0, help="seed of the gaps' lengths")
    p.set_defaults(func=_real_clip)

    p = ssub.add_parser("sheet", help="contact sheet of random renders (PNG)")
    add_output(p, "PNG file (default: docs/contact-sheet.png)", default="docs/contact-sheet.png")
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_sheet)
