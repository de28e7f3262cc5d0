"""Train the plate recognizer: a small CRNN with a CTC head on grey text-row strips, exported to ONNX.

Self-contained on purpose (torch, numpy, cv2 and, for the export, onnx; no other anpr module), so a GPU
box runs it from a checkout without installing anpr or its dependencies (the packages `anpr` and
`anpr.train` import nothing at import time):

    python3 -m anpr.train.recognizer build/rec_data OUT --minutes 4 --device cuda

then ships OUT on the dev box with `anpr train recognizer --out OUT --skip-train --ship`.
Data: a folder from `anpr train recognizer-data` (sheets/*.webp of stacked H×W strips + labels.csv).
The data sits on the device as one uint8 tensor and is augmented there, batch by batch, so a GPU is
never starved by a data loader. The schedule is one-cycle over wall-clock time (`--minutes`).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Classes 1..36; class 0 is the CTC blank (the order of anpr.ocr.ctc.ALPHABET)."""
PAD = 128
"""Grey of the right padding (the reader pads the same way: anpr.ocr.crnn.PAD)."""
ONNX_NAME = "plate-recognizer.onnx"


@dataclass
class Data:
    images: torch.Tensor  # N×H×W uint8, right-padded with PAD
    targets: list[list[int]]
    texts: list[str]
    real: torch.Tensor  # N bool: a real photo crop (oversampled), else rendered
    groups: list[str]  # samples of one source image share a group (never split across train/val)
    manifest: dict[str, Any]


def load_data(root: Path, max_samples: int | None = None) -> Data:
    """Reads the sheets and labels.csv of a recognizer-data folder."""
    manifest = json.loads((root / "manifest.json").read_text())
    height, width = int(manifest["height"]), int(manifest["width"])
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if max_samples is not None:
        rows = rows[:max_samples]
    sheets: dict[str, np.ndarray] = {}
    images = np.full((len(rows), height, width), PAD, dtype=np.uint8)
    for i, r in enumerate(rows):
        if r["sheet"] not in sheets:
            img = cv2.imread(str(root / r["sheet"]), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise OSError(f"cannot read {root / r['sheet']}")
            sheets[r["sheet"]] = img
        k, w = int(r["row"]), int(r["width"])
        images[i, :, :w] = sheets[r["sheet"]][k * height : (k + 1) * height, :w]
    texts = [r["text"] for r in rows]
    bad = [t for t in texts if not t or any(c not in ALPHABET for c in t)]
    if bad:
        raise ValueError(f"{len(bad)} labels outside A-Z0-9, e.g. {bad[0]!r}")
    return Data(
        torch.from_numpy(images),
        [[ALPHABET.index(c) + 1 for c in t] for t in texts],
        texts,
        torch.tensor([r["source"] != "synth" for r in rows]),
        [r["group"] for r in rows],
        manifest,
    )


def merge(parts: list[Data]) -> Data:
    """One data set from several folders of the same strip size (e.g. rendered + real)."""
    if len(parts) == 1:
        return parts[0]
    shapes = {tuple(p.images.shape[1:]) for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"data folders have different strip sizes: {sorted(shapes)}")
    return Data(
        torch.cat([p.images for p in parts]),
        [t for p in parts for t in p.targets],
        [t for p in parts for t in p.texts],
        torch.cat([p.real for p in parts]),
        [g for p in parts for g in p.groups],
        {"parts": [p.manifest for p in parts]},
    )


class CRNN(nn.Module):  # type: ignore[misc]  # torch is untyped where the [train] extra is absent
    """Conv blocks (height /16, width /4) → one BiLSTM → per-step logits over blank + 36 characters."""

    def __init__(self, height: int = 32, channels: tuple[int, ...] = (32, 64, 128, 192, 256), hidden: int = 128):
        super().__init__()
        if height % 16:
            raise ValueError(f"height {height} is not a multiple of 16")
        c1, c2, c3, c4, c5 = channels

        def conv(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.cnn = nn.Sequential(
            *conv(1, c1), nn.MaxPool2d(2),
            *conv(c1, c2), nn.MaxPool2d(2),
            *conv(c2, c3), *conv(c3, c3), nn.MaxPool2d((2, 1)),
            *conv(c3, c4), *conv(c4, c4), nn.MaxPool2d((2, 1)),
            nn.Conv2d(c4, c5, (height // 16, 3), padding=(0, 1), bias=False), nn.BatchNorm2d(c5), nn.ReLU(inplace=True),
        )  # fmt: skip
        self.rnn = nn.LSTM(c5, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, len(ALPHABET) + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.cnn(x).squeeze(2).permute(0, 2, 1)  # N×T×C
        if f.is_cuda:  # the LSTM in fp32 under autocast: cuDNN RNNs in bf16 are not a given
            with torch.autocast("cuda", enabled=False):
                return self.fc(self.rnn(f.float())[0])
        return self.fc(self.rnn(f)[0])  # N×T×37 logits


class Probabilities(nn.Module):  # type: ignore[misc]
    """The exported graph: softmax over the CRNN's logits (what anpr.ocr.ctc decodes)."""

    def __init__(self, net: CRNN) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=-1)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random camera-like changes to a N×1×H×W batch in [0, 1], on its device: small affine jitter
    (crop/scale/tilt), resolution loss, blur, contrast/brightness/gamma, sensor noise."""
    n, _, h, w = x.shape
    dev = x.device

    def u(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return torch.rand(shape or (n,), generator=gen, device=dev) * (hi - lo) + lo

    scale, rot, shear = u(0.9, 1.08), u(-0.05, 0.05), u(-0.15, 0.15)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = scale * torch.cos(rot)
    theta[:, 0, 1] = -torch.sin(rot) * h / w + shear * h / w
    theta[:, 1, 0] = torch.sin(rot) * w / h
    theta[:, 1, 1] = scale * u(0.9, 1.1) * torch.cos(rot)
    theta[:, 0, 2], theta[:, 1, 2] = u(-0.06, 0.06), u(-0.1, 0.1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # resolution loss: down to 35-100 % and back up (far plates), on a random half of the batch
    f = float(u(0.35, 1.0, 1))
    low = F.interpolate(F.interpolate(x, scale_factor=f, mode="area"), size=(h, w), mode="bilinear")
    x = torch.where(u(0, 1).view(n, 1, 1, 1) < 0.5, low, x)
    # per-sample gaussian blur (sigma 0.1-1.3) as a grouped separable convolution
    sigma = u(0.1, 1.3)
    k = torch.arange(-3, 4, device=dev, dtype=x.dtype)
    kern = torch.exp(-(k[None] ** 2) / (2 * sigma[:, None] ** 2))
    kern = (kern / kern.sum(1, keepdim=True)).view(n, 1, 1, 7)
    y = F.conv2d(F.pad(x.view(1, n, h, w), (3, 3, 0, 0), mode="replicate"), kern, groups=n)
    y = F.conv2d(F.pad(y, (0, 0, 3, 3), mode="replicate"), kern.transpose(2, 3), groups=n).view(n, 1, h, w)
    x = torch.where(u(0, 1).view(n, 1, 1, 1) < 0.4, y, x)
    mean = x.mean(dim=(2, 3), keepdim=True)
    x = (x - mean) * u(0.5, 1.4).view(n, 1, 1, 1) + mean + u(-0.2, 0.2).view(n, 1, 1, 1)
    x = x.clamp(0, 1) ** u(0.6, 1.6).view(n, 1, 1, 1)
    x = x + torch.randn(x.shape, generator=gen, device=dev) * u(0.0, 0.08).view(n, 1, 1, 1)
    return x.clamp(0, 1)


def normalize(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] → the reader's input scale, (x - 0.5) / 0.5."""
    return (x - 0.5) / 0.5


def greedy(probs: torch.Tensor) -> list[str]:
    """Best-path CTC strings of a N×T×C batch (validation only; the reader uses the grammar)."""
    out = []
    for row in probs.argmax(-1).tolist():
        prev, chars = 0, []
        for c in row:
            if c != prev and c != 0:
                chars.append(ALPHABET[c - 1])
            prev = c
        out.append("".join(chars))
    return out


def split(data: Data, val_frac: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Train and validation indices; all samples of a source image fall on the same side."""
    groups = sorted(set(data.groups))
    random.Random(seed).shuffle(groups)
    val_groups = set(groups[: max(1, round(len(groups) * val_frac))])
    is_val = torch.tensor([g in val_groups for g in data.groups])
    return torch.nonzero(~is_val).squeeze(1), torch.nonzero(is_val).squeeze(1)


@torch.no_grad()  # type: ignore[untyped-decorator]
def evaluate(net: nn.Module, data: Data, idx: torch.Tensor, images: torch.Tensor, batch: int) -> dict[str, float]:
    """Exact row-text match (greedy decoding) on validation samples, overall and for real crops."""
    net.eval()
    hits = {"all": [0, 0], "real": [0, 0]}
    for s in range(0, len(idx), batch):
        sel = idx[s : s + batch]
        x = normalize(images[sel.to(images.device)].unsqueeze(1).float() / 255)
        for i, text in zip(sel.tolist(), greedy(net(x).float()), strict=True):
            for key in ("all", "real") if data.real[i] else ("all",):
                hits[key][0] += text == data.texts[i]
                hits[key][1] += 1
    net.train()
    return {f"val_exact_{k}": round(a / b, 4) if b else float("nan") for k, (a, b) in hits.items()} | {
        "val_n_real": hits["real"][1]
    }


def lr_at(frac: float, peak: float) -> float:
    """One-cycle over the time budget: 10 % linear warm-up from peak/25, cosine down to peak/1e3."""
    if frac < 0.1:
        return peak / 25 + (peak - peak / 25) * frac / 0.1
    return peak / 1e3 + (peak - peak / 1e3) * 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - 0.1) / 0.9)))


def export_onnx(net: CRNN, path: Path, height: int, width: int) -> str:
    """Writes the softmax graph (opset 17, dynamic batch) with the charset in its metadata; its sha256."""
    import onnx

    model = Probabilities(net).eval().cpu()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.onnx")
    torch.onnx.export(
        model,
        (torch.zeros(1, 1, height, width),),
        str(tmp),
        opset_version=17,
        dynamo=False,  # the dynamo exporter writes ops onnxruntime rejects at opset 17
        input_names=["x"],
        output_names=["probs"],
        dynamic_axes={"x": {0: "n"}, "probs": {0: "n"}},
    )
    proto = onnx.load(str(tmp))
    meta = {"character": "\n".join(ALPHABET), "producer": "anpr.train.recognizer", "input": "grey (x/255-0.5)/0.5"}
    for key, value in meta.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    tmp.unlink()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")
    return digest


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Trains for `args.minutes`, exports the best-validation model into `args.out`; the metrics."""
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    t_start = time.time()
    data = merge([load_data(d, args.max_samples) for d in args.data])
    height, width = data.images.shape[1:]
    train_idx, val_idx = split(data, args.val_frac, args.seed)
    images = data.images.to(dev)
    weights = torch.where(data.real[train_idx], args.real_weight, 1.0)
    weights = (weights / weights.sum()).to(dev)
    train_idx_dev = train_idx.to(dev)
    lengths = torch.tensor([len(t) for t in data.targets], device=dev)
    padded = torch.zeros(len(data.targets), int(lengths.max()), dtype=torch.long)
    for i, t in enumerate(data.targets):
        padded[i, : len(t)] = torch.tensor(t)
    padded = padded.to(dev)  # N×S targets on the device: no host round trip per step
    net = CRNN(height, tuple(args.channels), args.hidden).to(dev)
    n_params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    gen = torch.Generator(device=dev).manual_seed(args.seed)
    amp = dev.type == "cuda" and not args.no_amp
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    print(f"data {len(data.texts)} strips ({int(data.real.sum())} real), train {len(train_idx)}, val {len(val_idx)}")
    load_s = time.time() - t_start
    print(f"model {n_params} parameters, input 1x{height}x{width}, device {dev}, amp {amp}, load {load_s:.1f}s")
    budget, t0 = args.minutes * 60, time.time()
    steps_per_epoch = max(1, len(train_idx) // args.batch)
    history: list[dict[str, Any]] = []
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    step, loss_sum = 0, torch.zeros((), device=dev)
    while (frac := (time.time() - t0) / budget) < 1.0:
        for g in opt.param_groups:
            g["lr"] = lr_at(frac, args.lr)
        pick = train_idx_dev[torch.multinomial(weights, args.batch, replacement=True, generator=gen)]
        x = normalize(augment(images[pick].unsqueeze(1).float() / 255, gen))
        tg, tl = padded[pick], lengths[pick]
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            logits = net(x)
        logp = F.log_softmax(logits.float(), -1).permute(1, 0, 2)  # T×N×C for ctc_loss
        il = torch.full((args.batch,), logp.shape[0], dtype=torch.long, device=dev)
        loss = F.ctc_loss(logp, tg, il, tl, blank=0, zero_infinity=True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        step, loss_sum = step + 1, loss_sum + loss.detach()
        last = (time.time() - t0) >= budget
        if step % steps_per_epoch == 0 or last:
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
                m = evaluate(net, data, val_idx, images, 512)
            row = {"epoch": round(step / steps_per_epoch, 2), "step": step, "seconds": round(time.time() - t0, 1)}
            row |= {"loss": round(float(loss_sum) / (step - (history[-1]["step"] if history else 0)), 4), **m}
            history.append(row)
            loss_sum.zero_()
            print(json.dumps(row), flush=True)
            if best is None or m["val_exact_all"] >= best[0]:
                best = (m["val_exact_all"], {k: v.detach().clone() for k, v in net.state_dict().items()})
    if best is not None:
        net.load_state_dict(best[1])
    net = net.float().cpu().eval()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), args.out / "recognizer.pt")
    digest = export_onnx(net, args.out / ONNX_NAME, height, width)
    (args.out / "charset.txt").write_text("\n".join(ALPHABET) + "\n")
    metrics = {
        "parameters": n_params,
        "input": [1, height, width],
        "steps": step,
        "samples_seen": step * args.batch,
        "train_seconds": round(time.time() - t0, 1),
        "best_val_exact_all": best[0] if best else None,
        "history": history,
        "settings": json.loads(json.dumps(vars(args), default=str)),  # Paths (and lists of them) as text
        "data": data.manifest,
        "torch": torch.__version__,
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "sha256": digest,
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(f"exported {args.out / ONNX_NAME} (sha256 {digest[:16]}…), best val exact {metrics['best_val_exact_all']}")
    return metrics


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--minutes", type=float, default=4.0, help="training wall-clock budget")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate of the one-cycle schedule")
    p.add_argument("--weight-decay", type=float, default=1e-2)
    p.add_argument("--channels", type=int, nargs=5, default=[32, 64, 128, 192, 256])
    p.add_argument("--hidden", type=int, default=128, help="LSTM units per direction")
    p.add_argument("--real-weight", type=float, default=4.0, help="sampling weight of a real crop vs a rendered one")
    p.add_argument("--val-frac", type=float, default=0.05)
    p.add_argument("--max-samples", type=int, default=None, help="use only the first N strips (smoke tests)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-amp", action="store_true", help="train in fp32 on CUDA (default: bf16 autocast)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m anpr.train.recognizer", description="train the plate recognizer CRNN and export it to ONNX"
    )
    p.add_argument(
        "paths",
        type=Path,
        nargs="+",
        metavar="DATA... OUT",
        help="folders from `anpr train recognizer-data` (merged), then the output folder "
        "(plate-recognizer.onnx + .sha256, recognizer.pt, charset.txt, metrics.json)",
    )
    add_arguments(p)
    args = p.parse_args(argv)
    if len(args.paths) < 2:
        p.error("give at least one DATA folder and the OUT folder")
    args.data, args.out = args.paths[:-1], args.paths[-1]
    del args.paths
    train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
