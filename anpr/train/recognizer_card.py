"""The model card of models/plate-recognizer.onnx: measured here, next to PP-OCR, on the eval crops."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from anpr.types import Image

if TYPE_CHECKING:
    from anpr.ocr.ppocr import PpocrReader


def _readers(onnx: Path, threads: int) -> dict[str, PpocrReader]:
    """Both readers, min_confidence 0 so every crop gives its best valid read (as anpr bench reader does)."""
    from anpr.ocr.config import ReaderConfig
    from anpr.ocr.crnn import CrnnReader
    from anpr.ocr.ppocr import PpocrReader

    sha = "" if onnx.with_name(onnx.name + ".sha256").is_file() else None
    crnn_cfg = ReaderConfig(backend="crnn", crnn_model=str(onnx), crnn_sha256=sha, threads=threads, min_confidence=0)
    return {
        "crnn+grammar": CrnnReader(crnn_cfg),
        "ppocr+grammar": PpocrReader(ReaderConfig(threads=threads, min_confidence=0.0)),
    }


def compare(onnx: Path, sets: list[Path], threads: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Exact / char accuracy and ms per crop of the CRNN and PP-OCR on labelled sets (anpr.bench.reader's
    crops and scoring, so the figures match `anpr bench reader`)."""
    from anpr.bench.reader import load_set, score

    readers = _readers(onnx, threads)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for root in sets:
        samples = load_set(root)
        res: dict[str, dict[str, Any]] = {}
        for name, reader in readers.items():
            for smp in samples[:3]:  # warm-up: first runs allocate
                reader.read_crop(smp.crop)

            def read(crop: Image, reader: PpocrReader = reader) -> str | None:
                got = reader.read_crop(crop)
                return None if got is None else got.text

            res[name] = score(samples, read)
        results[root.name] = res
    return results


def model_ms(onnx: Path, threads: int, runs: int = 200) -> float:
    """Median ms of the model alone on one strip (batch 1)."""
    from anpr.ocr.config import ReaderConfig
    from anpr.ocr.crnn import CrnnReader

    reader = CrnnReader(ReaderConfig(backend="crnn", crnn_model=str(onnx), threads=threads))
    x = np.zeros((1, 1, reader.height, reader.width), np.float32)
    for _ in range(10):
        reader.session.run(None, {reader.input_name: x})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        reader.session.run(None, {reader.input_name: x})
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def _data_summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """One data manifest, summed over the folders a run merged (rendered + real)."""
    parts = manifest.get("parts", [manifest])
    out: dict[str, Any] = {k: sum(int(p.get(k) or 0) for p in parts) for k in ("strips", "real_strips", "synth_crops")}
    for key in ("real_variants", "webp_quality"):
        out[key] = next((p[key] for p in parts if p.get(key) is not None and p.get("real_strips", 1)), None)
    return out


def table(results: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Markdown rows of `compare`'s results."""
    lines = ["| set | reader | n | exact | char | no plate | ms/crop p50 / p95 |", "|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        for reader, m in res.items():
            lines.append(
                f"| {name} | {reader} | {m['n']} | **{m['exact']:.3f}** | {m['char']:.3f} | {m['no_plate']} "
                f"| {m['ms']['p50']:.1f} / {m['ms']['p95']:.1f} |"
            )
    return lines


def write_card(
    path: Path,
    onnx: Path,
    digest: str,
    metrics: dict[str, Any],
    eval_sets: list[Path],
    threads: int,
    command: str,
    notes: tuple[str, ...] = (),
) -> Path:
    """Measures `onnx` (and PP-OCR beside it) on `eval_sets` and writes the card to `path`."""
    results = compare(onnx, [s for s in eval_sets if (s / "labels.csv").is_file()], threads)
    speed = {t: model_ms(onnx, t) for t in sorted({1, threads})}
    data = _data_summary(metrics.get("data", {}))
    settings = metrics.get("settings", {})
    hist = metrics.get("history", [])
    c, h, w = metrics.get("input", ["?", "?", "?"])
    lines = [
        "# plate-recognizer.onnx — a small plate-trained CRNN, decoded against the Chilean plate grammar",
        "",
        "| | |",
        "|---|---|",
        f"| file | `models/{onnx.name}` ({onnx.stat().st_size:,} bytes), hash also in `{onnx.name}.sha256` |",
        f"| sha256 | `{digest}` |",
        f"| model | CRNN (anpr/train/recognizer.py): 5 conv blocks, BiLSTM, CTC head; {metrics.get('parameters')} "
        "parameters; trained here from random weights |",
        "| training data | rendered Chilean plates (`anpr.synth`, all formats, day / night IR / blur / rain / tilt) "
        "+ jittered crops of the labelled boxes of `../shared/plates/train/` (chile_gate_overlay, "
        "openalpr_br/eu/us); never `eval/` |",
        "| licence | weights ours; the real training photos are openalpr/benchmarks (AGPL-3.0) and "
        "enlinea777/Lector_de_Patentes (MIT): check before redistributing the weights |",
        '| backend | `[reader] backend = "crnn"` (model `crnn_model`, hash from the sidecar) |',
        "",
        "## Input / output",
        f"Input `x`: N×{c}×{h}×{w} float32 grey, `(x/255 − 0.5)/0.5`, right-padded with 0; one text row per "
        "item (`anpr.ocr.crnn.strips`: deskew, CLAHE, two-row split, character-line crop, resize; the same "
        f"function built the training strips). Output `probs`: N×{w // 4 if isinstance(w, int) else '?'}×37 "
        "softmax, class 0 the CTC blank, 1..36 = `0-9A-Z` (metadata `character`). Decoding: "
        "`anpr/ocr/ctc.py`, as for PP-OCR (see plate-reader.md).",
        "",
        "## Training",
        f"- device {metrics.get('device_name')}, torch {metrics.get('torch')}, {metrics.get('train_seconds')} s, "
        f"{metrics.get('steps')} steps × batch {settings.get('batch')} ({metrics.get('samples_seen')} samples); "
        f"AdamW, one-cycle lr peak {settings.get('lr')}, CTC loss, augmentation on the device",
        f"- data: {data.get('strips')} strips ({data.get('real_strips')} real), {data.get('synth_crops')} rendered "
        f"crops, {data.get('real_variants')} crops per real box, {h}×{w} WebP q{data.get('webp_quality')}",
        f"- held-out validation (5 % of source images, greedy decoding, row text): best exact "
        f"{metrics.get('best_val_exact_all')}; last epoch {hist[-1] if hist else '-'}",
        "",
        "## Evaluation (reader only: crops = labelled boxes, `ok` rows; both readers in the same run)",
        "",
        *table(results),
        "",
        "Model alone, batch 1: " + ", ".join(f"{ms:.2f} ms with {t} thread(s)" for t, ms in speed.items()) + ".",
        "Tesseract's floor on the same crops is in plate-reader.md.",
        "",
        "## Rebuild",
        "```",
        "anpr train recognizer-data --out build/rec_data --n " + str(data.get("synth_crops", 20000)),
        "python3 -m anpr.train.recognizer build/rec_data build/rec_run --minutes 4 --device cuda  # GPU box",
        "anpr train recognizer --out build/rec_run --skip-train --ship",
        "anpr train recognizer --out build/rec_run --skip-train --compare  # CRNN vs PP-OCR, nothing shipped",
        "```",
        f"This card: `{command}`.",
    ]
    if notes:
        lines += ["", "## Notes", *(f"- {n}" for n in notes)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
