"""The recognizer trainer (torch): model shapes, augmentation, split, and a short run end to end.

Skipped where the [train] extra (torch, onnx) is not installed. A run of a few seconds proves the
plumbing (data → CTC training → ONNX → CrnnReader), not accuracy: the GPU run's metrics.json does that.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from anpr.ocr.config import ReaderConfig  # noqa: E402
from anpr.ocr.crnn import CrnnReader  # noqa: E402
from anpr.train import recognizer as rec  # noqa: E402
from anpr.train import recognizer_data as rd  # noqa: E402
from anpr.train import recognizer_inputs as inputs  # noqa: E402
from anpr.train import recognizer_model as model  # noqa: E402


def test_default_model_is_small_and_gives_37_classes_per_quarter_width() -> None:
    net = model.CRNN().eval()
    assert sum(p.numel() for p in net.parameters()) <= 2_000_000
    with torch.no_grad():
        y = net(torch.zeros(3, 1, 32, 128))
    assert tuple(y.shape) == (3, 32, 37)
    with pytest.raises(ValueError, match="multiple of 16"):
        model.CRNN(height=40)


def test_augment_keeps_shape_and_range_and_follows_its_generator() -> None:
    x = torch.rand(8, 1, 32, 128)
    a = inputs.augment(x, torch.Generator().manual_seed(1))
    b = inputs.augment(x, torch.Generator().manual_seed(1))
    c = inputs.augment(x, torch.Generator().manual_seed(2))
    assert a.shape == x.shape and float(a.min()) >= 0.0 and float(a.max()) <= 1.0
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_greedy_collapses_repeats_and_drops_blanks() -> None:
    probs = torch.zeros(1, 6, 37)
    for t, c in enumerate([0, 11, 11, 0, 11, 2]):  # blank, A, A, blank, A, 1
        probs[0, t, c] = 1.0
    assert model.greedy(probs) == ["AA1"]


def test_one_cycle_warms_up_then_decays() -> None:
    lrs = [rec.lr_at(f, 1e-3) for f in (0.0, 0.05, 0.1, 0.5, 1.0)]
    assert lrs[0] < lrs[1] < lrs[2] == pytest.approx(1e-3) and lrs[2] > lrs[3] > lrs[4] > 0


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rec") / "data"
    rd.build(out, 48, None, rd.Settings(), workers=1)
    return out


def test_split_keeps_each_source_image_on_one_side(tiny_data: Path) -> None:
    data = inputs.load_data(tiny_data)
    tr, va = inputs.split(data, 0.2, 0)
    assert len(tr) + len(va) == len(data.texts) and len(va) > 0
    assert not {data.groups[i] for i in tr.tolist()} & {data.groups[i] for i in va.tolist()}
    both = inputs.merge([data, data])
    assert len(both.texts) == 2 * len(data.texts) and both.images.shape[0] == 2 * len(data.texts)


def test_short_run_trains_exports_and_loads_in_the_reader(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["--minutes", "0.03", "--batch", "8", "--channels", "8", "16", "16", "24", "32", "--hidden", "16"]
    assert rec.main([str(tiny_data), str(tiny_data), str(out), *args, "--val-frac", "0.2"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] >= 1 and metrics["history"] and metrics["input"] == [1, 32, 128]
    assert len(metrics["data"]["parts"]) == 2
    assert (out / "charset.txt").read_text().split() == list(model.ALPHABET)
    reader = CrnnReader(ReaderConfig(backend="crnn", crnn_model=str(out / model.ONNX_NAME)))
    assert reader.version.endswith(metrics["sha256"][:12])
    # the exported graph computes what the trained network does
    net = model.CRNN(32, (8, 16, 16, 24, 32), 16)
    net.load_state_dict(torch.load(out / "recognizer.pt"))
    x = np.random.default_rng(0).uniform(-1, 1, (2, 1, 32, 128)).astype(np.float32)
    with torch.no_grad():
        want = torch.softmax(net.eval()(torch.from_numpy(x)), -1).numpy()
    got = reader.session.run(None, {reader.input_name: x})[0]
    assert np.allclose(got, want, atol=1e-4)


def test_ship_copies_the_run_and_writes_a_measured_card(tiny_data: Path, tmp_path: Path) -> None:
    from anpr.cli.train_recognizer import ship

    out = tmp_path / "run"
    args = ["--minutes", "0.02", "--batch", "8", "--channels", "8", "8", "8", "8", "8", "--hidden", "8"]
    rec.main([str(tiny_data), str(out), *args])
    tiny_eval = Path(__file__).resolve().parents[1] / "data" / "eval_tiny"
    models = tmp_path / "models"
    assert ship(out, models, [tiny_eval], 1, ("a note",)) == 0
    digest = json.loads((out / "metrics.json").read_text())["sha256"]
    assert (models / "plate-recognizer.onnx.sha256").read_text().split()[0] == digest
    card = (models / "plate-recognizer.md").read_text()
    assert digest in card and "| eval_tiny | crnn+grammar | 3 |" in card and "| eval_tiny | ppocr+grammar | 3 |" in card
    assert "- a note" in card
    assert ship(tmp_path / "nothing", models, [tiny_eval], 1, ()) == 2
