"""The detector's model card (models/plate-detector.md), written from what the build measured."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CardInfo:
    onnx: Path
    sha256: str
    imgsz: int
    base: str
    command: str
    training: Mapping[str, Any]
    dataset: Mapping[str, Any]
    evals: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """set name -> `anpr eval --json` summary."""
    speed_ms: Mapping[int, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _fmt(v: Any) -> str:
    return "–" if v is None else str(v)


def render(info: CardInfo) -> str:
    rows = []
    for name, s in info.evals.items():
        d = s.get("detection") or {}
        rows.append(
            f"| {name} | {_fmt(d.get('gt'))} | {_fmt(d.get('recall'))} | {_fmt(d.get('precision'))} "
            f"| {_fmt(d.get('mean_iou'))} | {_fmt(s.get('ms', {}).get('median'))} |"
        )
    speed = "\n".join(f"| {k} | {v:.1f} |" for k, v in sorted(info.speed_ms.items()))
    return f"""# plate-detector.onnx

One-class licence-plate detector (YOLOv8n), run on the device by onnxruntime (`anpr/detect/`).

| | |
|---|---|
| file | `{info.onnx.name}` ({info.onnx.stat().st_size / 1e6:.1f} MB) |
| sha256 | `{info.sha256}` (also in `{info.onnx.name}.sha256`; the loader refuses any other file) |
| input | 1×3×{info.imgsz}×{info.imgsz} RGB float 0..1, letterboxed (grey 114) |
| output | 1×5×N: cx, cy, w, h, score in input pixels; NMS is done by `anpr.detect.postprocess` |
| export | ONNX opset 17, onnxslim-simplified, static batch 1, fp32 |
| starting weights | {info.base} |
| licence | AGPL-3.0 (fine-tuned from AGPL-3.0 weights with ultralytics, AGPL-3.0) |

## Rebuild

```
{info.command}
```

## Training

```
{json.dumps(dict(info.training), indent=2, sort_keys=True)}
```

Data (`anpr train dataset`; images per set and split; never `eval/`):

```
{json.dumps(dict(info.dataset), indent=2, sort_keys=True)}
```

## Evaluation (`anpr eval DIR --no-reader --json`, conf 0.25, IoU 0.5)

| set | plates | recall | precision | mean IoU | ms/image |
|---|---|---|---|---|---|
{chr(10).join(rows)}

## Speed (ms per 1080p frame, onnxruntime, 2 threads; `anpr bench detector`)

| input | ms |
|---|---|
{speed}

{chr(10).join(f"- {n}" for n in info.notes)}
"""


def write_card(path: Path, info: CardInfo) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(info), encoding="utf-8")
    tmp.replace(path)
