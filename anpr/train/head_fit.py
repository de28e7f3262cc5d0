"""Fit the plate head on cached backbone features (`anpr.train.reader_head.Features`) with CTC, in torch.

The head starts as the old one restricted to the plate classes (`initial_head`), so step 0 reads as the
shipped reader does, and an L2 pull towards that start keeps it from forgetting what the renders cannot
teach (real glare, real fonts of old plates). Validation: rows of held-out source images (a fixed share of
groups, by hash, so a rerun splits the same way), greedy exact per source kind. The kept head is the one
with the best validation exact on the real rows (renders break ties); nothing from `eval/` is seen here.
torch is imported here only: a fit-time dependency, never at run time.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from anpr.ocr.ctc import ALPHABET
from anpr.train.head_data import VAL_SHARE, is_val
from anpr.train.reader_head import CLASSES, Features

log = logging.getLogger(__name__)

Tensor = npt.NDArray[np.float32]
INDEX = {c: i + 1 for i, c in enumerate(ALPHABET)}


@dataclass(frozen=True, slots=True)
class FitSettings:
    minutes: float = 10.0
    epochs: int = 30
    batch: int = 128
    lr: float = 2e-3
    pull: float = 1e-3
    """L2 weight of the distance from the starting head."""
    neck_lr: float = 0.25
    """The neck's learning rate, as a share of `lr`."""
    val_share: float = VAL_SHARE
    seed: int = 0
    threads: int = 2


@dataclass(frozen=True, slots=True)
class FitResult:
    w: Tensor
    b: Tensor
    history: list[dict[str, float]]
    best_epoch: int
    seconds: float
    neck: list[Tensor]
    """The neck's parameters at the best epoch, in `neck.parameters()` order (empty without a neck)."""


class Head(nn.Module):  # type: ignore[misc]  # torch is untyped where the [train] extra is absent
    """Plate head, optionally behind the trainable neck (then the features are the backbone's, T×480)."""

    def __init__(self, w0: Tensor, b0: Tensor, neck: nn.Module | None = None) -> None:
        super().__init__()
        self.neck = neck
        self.start = [p.detach().clone() for p in neck.parameters()] if neck is not None else []
        self.lin = nn.Linear(w0.shape[0], CLASSES)
        with torch.no_grad():
            self.lin.weight.copy_(torch.from_numpy(w0.T.copy()))
            self.lin.bias.copy_(torch.from_numpy(b0.copy()))
        self.w0 = torch.from_numpy(w0.T.copy())
        self.b0 = torch.from_numpy(b0.copy())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.neck is not None:
            x = self.neck(x.permute(0, 2, 1).unsqueeze(2))  # N×T×480 → N×480×1×T → N×T×120
        out: torch.Tensor = self.lin(x)
        return out

    def pull(self) -> torch.Tensor:
        d: torch.Tensor = (self.lin.weight - self.w0).pow(2).sum() + (self.lin.bias - self.b0).pow(2).sum()
        if self.neck is not None:
            for p, p0 in zip(self.neck.parameters(), self.start, strict=True):
                d = d + (p - p0).pow(2).sum()
        return d


def buckets(feats: Sequence[Tensor], idx: Sequence[int], size: int, rng: np.random.Generator | None) -> list[list[int]]:
    """Batches of rows with the same number of time steps: the neck's attention must not see padding."""
    by_len: dict[int, list[int]] = defaultdict(list)
    for i in idx:
        by_len[feats[i].shape[0]].append(i)
    out: list[list[int]] = []
    for rows in by_len.values():
        order = rng.permutation(rows).tolist() if rng is not None else rows
        out.extend(order[k : k + size] for k in range(0, len(order), size))
    if rng is not None:
        out = [out[k] for k in rng.permutation(len(out))]
    return out


def _batch(feats: Sequence[Tensor], idx: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = [feats[i].shape[0] for i in idx]
    x = np.zeros((len(idx), max(lengths), feats[idx[0]].shape[1]), np.float32)
    for k, i in enumerate(idx):
        x[k, : lengths[k]] = feats[i]
    return torch.from_numpy(x), torch.tensor(lengths, dtype=torch.long)


def greedy(logits: torch.Tensor, lengths: torch.Tensor) -> list[str]:
    best = logits.argmax(-1).numpy()
    out = []
    for row, n in zip(best, lengths.tolist(), strict=True):
        prev, s = -1, []
        for c in row[:n]:
            if c != prev and 0 < c <= len(ALPHABET):
                s.append(ALPHABET[c - 1])
            prev = c
        out.append("".join(s))
    return out


def evaluate(head: Head, data: Features, idx: Sequence[int]) -> dict[str, float]:
    """Greedy exact per source kind ('real', 'real_night', 'render', 'render_night') on rows `idx`."""
    hits: dict[str, list[bool]] = defaultdict(list)
    with torch.no_grad():
        for part in buckets(data.feats, idx, 512, None):
            x, n = _batch(data.feats, part)
            for i, text in zip(part, greedy(head(x), n), strict=True):
                src = data.sources[i]
                kind = ("render" if src.startswith("render") else "real") + ("_night" if src.endswith("night") else "")
                hits[kind].append(text == data.texts[i])
    return {k: float(np.mean(v)) for k, v in sorted(hits.items())}


def _score(scores: dict[str, float]) -> tuple[float, float]:
    """What picks the kept epoch: real rows (day + night copies) first, night renders break ties."""
    return scores.get("real", 0.0) + scores.get("real_night", 0.0), scores.get("render_night", 0.0)


def _params(head: Head) -> tuple[Tensor, Tensor, list[Tensor]]:
    w = head.lin.weight.detach().numpy().T.copy()
    neck = [p.detach().numpy().copy() for p in head.neck.parameters()] if head.neck is not None else []
    return w, head.lin.bias.detach().numpy().copy(), neck


def fit(
    data: Features,
    w0: Tensor,
    b0: Tensor,
    s: FitSettings,
    neck: nn.Module | None = None,
    checkpoint: Path | None = None,
) -> FitResult:
    """Trains for `s.epochs` or `s.minutes`, whichever ends first; with `checkpoint`, the state after each
    epoch is written there and a run finding one goes on from it (same data, same settings)."""
    torch.manual_seed(s.seed)
    torch.set_num_threads(s.threads)
    ok = [i for i, t in enumerate(data.texts) if t and all(c in INDEX for c in t)]
    val = [i for i in ok if is_val(data.groups[i], s.val_share)]
    train = [i for i in ok if not is_val(data.groups[i], s.val_share)]
    log.info("%d training rows, %d validation rows", len(train), len(val))
    head = Head(w0, b0, neck)
    groups: list[dict[str, Any]] = [{"params": list(head.lin.parameters()), "lr": s.lr}]
    if neck is not None:
        groups.append({"params": list(neck.parameters()), "lr": s.lr * s.neck_lr})
    opt = torch.optim.AdamW(groups, weight_decay=0.0)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    rng = np.random.default_rng(s.seed)
    if checkpoint is not None and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        head.load_state_dict(state["head"])
        opt.load_state_dict(state["opt"])
        rng.bit_generator.state = state["rng"]
        history, best, best_params, first = state["history"], state["best"], state["best_params"], state["epoch"] + 1
        log.info("resumed from %s after epoch %d", checkpoint, state["epoch"])
    else:
        start = evaluate(head, data, val)
        log.info("epoch 0: val %s", start)
        history, best, best_params, first = [{"epoch": 0.0, **start}], _score(start), (*_params(head), 0), 1
    t0 = time.monotonic()
    for epoch in range(first, s.epochs + 1):
        head.train()
        losses = []
        for part in buckets(data.feats, train, s.batch, rng):
            x, n = _batch(data.feats, part)
            targets = torch.tensor([INDEX[c] for i in part for c in data.texts[i]], dtype=torch.long)
            tl = torch.tensor([len(data.texts[i]) for i in part], dtype=torch.long)
            logp = head(x).log_softmax(-1).transpose(0, 1)  # T×N×C for CTCLoss
            loss = ctc(logp, targets, n, tl) + s.pull * head.pull()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        head.eval()
        scores = evaluate(head, data, val)
        history.append({"epoch": float(epoch), "loss": float(np.mean(losses)), **scores})
        log.info("epoch %d: loss %.4f val %s", epoch, np.mean(losses), scores)
        if _score(scores) > best:
            best, best_params = _score(scores), (*_params(head), epoch)
        if checkpoint is not None:
            state = {"head": head.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state,
                     "history": history, "best": best, "best_params": best_params, "epoch": epoch}  # fmt: skip
            torch.save(state, checkpoint.with_suffix(".tmp"))
            checkpoint.with_suffix(".tmp").replace(checkpoint)
        if time.monotonic() - t0 > s.minutes * 60:
            log.info("time budget reached after epoch %d", epoch)
            break
    w, b, neck_params, kept = best_params
    return FitResult(w, b, history, kept, time.monotonic() - t0, neck_params)
