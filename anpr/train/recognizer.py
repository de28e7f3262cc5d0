"""Train the plate recognizer: a small CRNN with a CTC head on grey text-row strips, exported to ONNX.

Self-contained on purpose (torch, numpy, cv2 and, for the export, onnx; of anpr only its siblings
`recognizer_inputs` (data, split, augmentation) and `recognizer_model` (network, export)), so a GPU box
runs it from a checkout without installing anpr or its dependencies (the packages `anpr` and `anpr.train`
import nothing at import time):

    python3 -m anpr.train.recognizer build/rec_data OUT --minutes 4 --device cuda

then ships OUT on the dev box with `anpr train recognizer --out OUT --skip-train --ship`.
Data: a folder from `anpr train recognizer-data` (sheets/*.webp of stacked H×W strips + labels.csv).
This module is the fit loop (one-cycle over wall-clock time, `--minutes`), keeping the best-validation
weights, the run folder it writes and its command line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from anpr.train.recognizer_inputs import Data, augment, load_data, merge, normalize, split
from anpr.train.recognizer_model import ALPHABET, CRNN, ONNX_NAME, export_onnx, greedy


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
