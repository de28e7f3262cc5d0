"""`anpr train reader-head`: rows → backbone features (cached) → neck + plate head fit (checkpointed) → model.

Every step leaves a file in the run folder, so a run cut short (a session's end, a reboot) goes on with
`--resume`: the feature caches are reused as they are, the fit continues from its last finished epoch.
The base models are the shipped ones: the int8 PP-OCR reader (backbone, kept byte for byte) and the fp32
original (the neck's trainable weights, folded and made torch by `reader_neck`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from anpr.train import head_data, reader_head
from anpr.train.leakage import refuse_eval_images
from anpr.train.recognizer_data import real_rows

log = logging.getLogger(__name__)

REAL_SETS = ("chile_gate_overlay", "openalpr_br", "openalpr_eu", "openalpr_us")
"""Train sets with plate text and boxes (foreign plates teach glyphs; the grammar rejects their formats)."""
MODEL_NAME = "plate-reader-chile.onnx"


@dataclass(frozen=True, slots=True)
class RunSettings:
    data: head_data.HeadSettings
    minutes: float = 25.0
    epochs: int = 8
    lr: float = 1e-3
    neck_lr: float = 0.1
    neck: bool = True
    threads: int = 2


def _cached_features(path: Path, rows: Any, extractor: reader_head.FeatureExtractor) -> reader_head.Features:
    if path.is_file():
        log.info("reusing %s", path)
        return reader_head.Features.load(path)
    feats = reader_head.features(rows, extractor)
    tmp = path.with_name(path.stem + ".tmp.npz")
    feats.save(tmp)
    tmp.replace(path)
    return feats


def run(out: Path, train_root: Path, models: Path, s: RunSettings, resume: bool) -> dict[str, Any]:
    """Trains in `out` and writes `out/plate-reader-chile.onnx` (+ .sha256, metrics.json); returns the metrics."""
    from anpr.train import head_fit, reader_neck

    settings_file = out / "settings.json"
    wanted = asdict(s)
    wanted["train_root"] = str(train_root)
    if settings_file.is_file():
        if not resume:
            raise ValueError(f"{out} holds a run; pass --resume to go on with it, or remove it")
        if json.loads(settings_file.read_text()) != wanted:
            raise ValueError(f"{out} was started with other settings ({settings_file}); use a new folder")
    out.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps(wanted, indent=1))
    base, fp32 = models / "plate-reader-int8.onnx", models / "plate-reader.onnx"
    refuse_eval_images((p for p, _t, _b, name in real_rows(train_root) if name in REAL_SETS), train_root)
    tensor = reader_neck.BACKBONE_OUT if s.neck else None
    extractor = reader_head.FeatureExtractor(base, s.threads, tensor)
    t0 = time.monotonic()
    real = _cached_features(
        out / "features-real.npz", head_data.real_head_rows(train_root, REAL_SETS, s.data), extractor
    )
    rend = _cached_features(out / "features-render.npz", head_data.render_rows(s.data, train_root), extractor)
    data = reader_head.Features(
        real.feats + rend.feats, real.texts + rend.texts, real.sources + rend.sources, real.groups + rend.groups
    )
    feature_seconds = time.monotonic() - t0
    w0, b0 = reader_head.initial_head(*reader_head.old_head(fp32))
    fit_settings = head_fit.FitSettings(s.minutes, s.epochs, lr=s.lr, neck_lr=s.neck_lr, threads=s.threads)
    target = out / MODEL_NAME
    if s.neck:
        neck = reader_neck.neck_graph(fp32)
        net, names = reader_neck.to_torch(neck)
        result = head_fit.fit(data, w0, b0, fit_settings, net, out / "checkpoint.pt")
        trained = {names[n]: v for (n, _), v in zip(net.named_parameters(), result.neck, strict=True)}
        reader_neck.write_model(base, neck, trained, result.w, result.b, target)
    else:
        result = head_fit.fit(data, w0, b0, fit_settings, None, out / "checkpoint.pt")
        reader_head.write_model(base, target, result.w, result.b)
    from anpr.core.onnx_model import write_sha256

    digest = write_sha256(target)
    metrics = {
        "model": target.name,
        "sha256": digest,
        "rows": {"real": len(real.texts), "render": len(rend.texts)},
        "best_epoch": result.best_epoch,
        "fit_seconds": round(result.seconds, 1),
        "feature_seconds": round(feature_seconds, 1),
        "history": result.history,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    return metrics
