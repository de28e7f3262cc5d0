"""The recognizer network: a small CRNN (CTC head over blank + 36 characters), its greedy decoding for
validation, and the ONNX export the reader loads (softmax graph, charset in the metadata).

Needs only torch (and onnx for the export): part of the self-contained trainer (`anpr.train.recognizer`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Classes 1..36; class 0 is the CTC blank (the order of anpr.ocr.ctc.ALPHABET)."""
ONNX_NAME = "plate-recognizer.onnx"


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
