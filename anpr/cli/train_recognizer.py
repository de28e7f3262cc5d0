"""`anpr train recognizer-data` and `anpr train recognizer`: build the plate recognizer CRNN.

Import-light: torch, cv2 and the readers are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from pathlib import Path

DEFAULT_TRAIN_ROOT = "../shared/plates/train"
DEFAULT_EVAL_SETS = ("../shared/plates/eval/chile_gate", "../shared/plates/eval/chile_night_crops")


def register_recognizer(tsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    d = tsub.add_parser("recognizer-data", help="rendered + real text-row strips for the recognizer CRNN")
    d.add_argument("--out", type=Path, required=True, help="output folder (must not hold a data set)")
    d.add_argument("--n", type=int, default=50000, help="rendered crops (default 50000: ~57k strips, ~37 MB)")
    d.add_argument("--train-root", type=Path, default=Path(DEFAULT_TRAIN_ROOT), help="real labelled sets")
    d.add_argument("--no-real", action="store_true", help="rendered crops only")
    d.add_argument("--real-variants", type=int, default=8, help="jittered crops per real box")
    d.add_argument("--height", type=int, default=32, help="strip height (multiple of 16)")
    d.add_argument("--width", type=int, default=128, help="strip width (wider rows are squeezed)")
    d.add_argument("--quality", type=int, default=75, help="WebP quality of the sheets")
    d.add_argument("--workers", type=int, default=2, help="processes rendering crops")
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=_cmd_data)

    t = tsub.add_parser(
        "recognizer",
        help="train the CRNN (anpr/train/recognizer.py) and/or ship a run to models/ with its card",
        description="Options after `--` go to the trainer (see `python -m anpr.train.recognizer -h`), "
        "e.g. anpr train recognizer --data build/rec_data --out build/rec_run -- --minutes 2 --device cpu",
    )
    t.add_argument("--data", type=Path, default=Path("build/rec_data"), help="folder from recognizer-data")
    t.add_argument("--out", type=Path, default=Path("build/rec_run"), help="run folder (model, metrics.json)")
    t.add_argument("--skip-train", action="store_true", help="use the run already in --out (e.g. from a GPU box)")
    t.add_argument("--ship", action="store_true", help="copy the run's model to --models and write its card")
    t.add_argument("--compare", action="store_true", help="print the run's CRNN vs PP-OCR on --eval (ships nothing)")
    t.add_argument("--models", type=Path, default=Path("models"))
    t.add_argument("--eval", nargs="*", default=list(DEFAULT_EVAL_SETS), help="labelled sets for the card")
    t.add_argument("--threads", type=int, default=2, help="onnxruntime threads when measuring")
    t.add_argument("--note", action="append", default=[], help="a line for the card (repeatable)")
    t.add_argument("train_args", nargs=argparse.REMAINDER, help="trainer options after --")
    t.set_defaults(func=_cmd_recognizer)

    r = tsub.add_parser(
        "recognizer-test-model",
        help="write tests/data/crnn-random.onnx: the CRNN with tiny widths and random weights (needs torch)",
        description="It reads nothing; the reader tests use it for the plumbing (load, shapes, batching, decoding "
        "path, errors). Seeded, so a rerun with the same torch gives the same weights.",
    )
    r.add_argument("--out", type=Path, default=Path("tests/data/crnn-random.onnx"))
    r.set_defaults(func=_cmd_test_model)


def _cmd_data(args: argparse.Namespace) -> int:
    from anpr.ocr.config import ReaderConfig
    from anpr.train.leakage import refuse_eval_images
    from anpr.train.recognizer_data import PREPROCESS_KEYS, Settings, build, real_rows

    shape = {k: getattr(ReaderConfig(), k) for k in PREPROCESS_KEYS}  # the reader's own pre-processing
    settings = Settings(args.height, args.width, args.real_variants, args.seed, **shape)
    try:
        if not args.no_real:  # no eval photo, copied or re-encoded into a train set, becomes a strip
            refuse_eval_images((path for path, *_ in real_rows(args.train_root)), args.train_root)
        m = build(args.out, args.n, None if args.no_real else args.train_root, settings, quality=args.quality,
                  workers=args.workers)  # fmt: skip
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(m["counts"], indent=1))
    print(f"{args.out}: {m['strips']} strips ({m['real_strips']} real), {m['bytes'] / 1e6:.1f} MB")
    return 0


def _cmd_test_model(args: argparse.Namespace) -> int:
    try:
        import torch

        from anpr.train.recognizer_model import CRNN, export_onnx
    except ImportError as err:
        print(f"error: {err}; install the [train] extra (torch, onnx)", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    net = CRNN(32, (8, 16, 24, 32, 48), 24).eval()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    digest = export_onnx(net, args.out, 32, 128)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {digest})")
    return 0


def _cmd_recognizer(args: argparse.Namespace) -> int:
    run: Path = args.out
    if not args.skip_train:
        from anpr.train import recognizer

        extra = [a for a in args.train_args if a != "--"]
        try:
            recognizer.main([str(args.data), str(run), *extra])
        except (OSError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if args.compare:
        from anpr.train.recognizer_card import compare, table

        onnx = run / "plate-recognizer.onnx"
        if not onnx.is_file():
            print(f"error: {onnx} not found", file=sys.stderr)
            return 2
        print("\n".join(table(compare(onnx, [Path(s) for s in args.eval], args.threads))))
    if not args.ship:
        return 0
    return ship(run, args.models, [Path(s) for s in args.eval], args.threads, tuple(args.note))


def ship(run: Path, models: Path, eval_sets: list[Path], threads: int, notes: tuple[str, ...]) -> int:
    """Copies run/plate-recognizer.onnx to models/ with its sha256 sidecar, measures it, writes the card."""
    from anpr.core.onnx_model import file_sha256
    from anpr.train.recognizer_card import write_card

    src = run / "plate-recognizer.onnx"
    metrics_file = run / "metrics.json"
    if not src.is_file() or not metrics_file.is_file():
        print(f"error: {run} holds no trained run (plate-recognizer.onnx + metrics.json)", file=sys.stderr)
        return 2
    metrics = json.loads(metrics_file.read_text())
    digest = file_sha256(src)
    if metrics.get("sha256") not in (None, digest):
        print(f"error: {src} does not match the sha256 in {metrics_file}", file=sys.stderr)
        return 2
    models.mkdir(parents=True, exist_ok=True)
    target = models / "plate-recognizer.onnx"
    tmp = target.with_suffix(".tmp")
    shutil.copy2(src, tmp)
    tmp.replace(target)
    target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n")
    command = "anpr " + shlex.join(sys.argv[1:]) if Path(sys.argv[0]).name == "anpr" else shlex.join(sys.argv)
    card = write_card(models / "plate-recognizer.md", target, digest, metrics, eval_sets, threads, command, notes)
    print(f"shipped {target} (sha256 {digest[:16]}…) and {card}")
    return 0
