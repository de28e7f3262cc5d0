"""The plate head and neck surgery on the shipped PP-OCR models: what the re-headed graph reads, on real crops.

The fit itself needs torch (the [train] extra, not installed for the suite): its checkpoint/resume test
skips without it. Everything else here runs the real int8 and fp32 models with onnxruntime.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # the [test] extra installs it; the runtime never needs it

from helpers.plates import shared_plates  # noqa: E402

from anpr.ocr.config import ReaderConfig  # noqa: E402
from anpr.ocr.ctc import ALPHABET  # noqa: E402
from anpr.ocr.ppocr import PpocrReader  # noqa: E402
from anpr.synth import wear  # noqa: E402
from anpr.train import head_data, reader_head, reader_neck  # noqa: E402
from anpr.train.recognizer_data import real_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
INT8 = ROOT / "models/plate-reader-int8.onnx"
FP32 = ROOT / "models/plate-reader.onnx"


def _reader(model: Path) -> PpocrReader:
    cfg = ReaderConfig(model=str(model), sha256=None, calibration=None)
    return PpocrReader(cfg)


@pytest.fixture(scope="module")
def initial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The int8 reader with its 6,625-class head cut down to the plate classes, nothing trained."""
    w, b = reader_head.initial_head(*reader_head.old_head(FP32))
    out = tmp_path_factory.mktemp("head") / "initial.onnx"
    reader_head.write_model(INT8, out, w, b)
    return out


def _gate_crops(limit: int = 20) -> list[tuple[np.ndarray, str]]:
    import cv2

    from anpr.ocr import preprocess
    from anpr.types import Detection

    train = shared_plates("train")
    if train is None:
        pytest.skip("no shared train photos on this machine")
    out: list[tuple[np.ndarray, str]] = []
    for path, text, box, name in real_rows(train):
        if name == "chile_gate_overlay" and len(out) < limit:
            crop = preprocess.crop(np.asarray(cv2.imread(str(path)), np.uint8), Detection(box, 1.0), (0.04, 0.0))
            assert crop is not None
            out.append((crop, text))
    return out


def test_plate_head_graph_has_the_plate_classes(initial: Path) -> None:
    model = onnx.load(str(initial))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["character"].splitlines() == list(ALPHABET)
    reader = _reader(initial)
    probs = reader.probabilities(np.full((40, 160, 3), 200, np.uint8))
    assert probs.shape[1] == reader_head.CLASSES == 38
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    # No shape left over from the 6,625-class head (onnxruntime warns "Error merging shape info" on one).
    shaped = [*model.graph.value_info, *model.graph.output]
    stale = [vi.name for vi in shaped if 6625 in (d.dim_value for d in vi.type.tensor_type.shape.dim)]
    assert not stale, stale
    assert any(vi.name == "plate_head.mm" for vi in model.graph.value_info)  # shapes inferred again, not only cut


def test_initial_head_reads_real_gate_crops_as_the_shipped_reader(initial: Path) -> None:
    """Step 0 of the fit is the shipped reader restricted to plate characters: same plates on real crops."""
    shipped, cut = _reader(INT8), _reader(initial)
    crops = _gate_crops()
    same = 0
    for crop, _text in crops:
        a, b = shipped.read_crop(crop), cut.read_crop(crop)
        same += (a.text if a else None) == (b.text if b else None)
    assert same >= len(crops) - 1, f"{same}/{len(crops)} crops read alike"


def test_neck_graph_joined_to_the_int8_backbone_matches_the_int8_neck(initial: Path, tmp_path: Path) -> None:
    """The fp32 neck (batch norms folded) spliced after the int8 backbone gives the int8 model's outputs up to
    quantisation noise: the surgery is right before any training changes a weight."""
    import onnxruntime as ort

    w, b = reader_head.initial_head(*reader_head.old_head(FP32))
    out = tmp_path / "necked.onnx"
    reader_neck.write_model(INT8, reader_neck.neck_graph(FP32), {}, w, b, out)
    a = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    c = ort.InferenceSession(str(initial), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for width in (96, 160, 320):
        x = rng.uniform(-1, 1, (1, 3, 48, width)).astype(np.float32)
        pa, pc = a.run(None, {"x": x})[0], c.run(None, {"x": x})[0]
        assert pa.shape == pc.shape == (1, width // 8, 38)
        assert np.abs(pa - pc).max() < 0.1
        assert (pa.argmax(-1) == pc.argmax(-1)).mean() > 0.9


def test_write_model_refuses_a_head_of_the_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(reader_head.HeadError, match="do not fit"):
        reader_head.write_model(INT8, tmp_path / "x.onnx", np.zeros((120, 10), np.float32), np.zeros(10, np.float32))


def test_training_rows_keep_the_runtime_shape_and_row_texts() -> None:
    s = head_data.HeadSettings(renders=40, seed=3)
    rows = list(head_data.render_rows(s))
    assert rows and all(r.x.shape[:2] == (3, 48) and r.x.shape[2] % 8 == 0 for r in rows)
    assert all(set(r.text) <= set(ALPHABET) for r in rows)
    motos = [r for r in rows if len(r.text) <= 3]  # a motorcycle plate's rows are trained with their own text
    assert motos, "no two-row render among 40 (15 % are motorcycles)"
    assert {r.source for r in rows} == {"render", "render_night"}


def test_glints_change_only_the_crops_they_are_asked_for() -> None:
    """`--glints 0` draws no random number (the rows are those of a run without the option); a share of 1
    brightens every crop in its character band and keeps its shape."""
    plain = list(head_data.render_rows(head_data.HeadSettings(renders=12, seed=5)))
    none = list(head_data.render_rows(head_data.HeadSettings(renders=12, seed=5, glint_share=0.0)))
    assert len(plain) == len(none) and all(np.array_equal(a.x, b.x) for a, b in zip(plain, none, strict=True))
    img = np.full((60, 180, 3), 40, np.uint8)
    out = wear.glints(img, random.Random(2))
    assert out.shape == img.shape and out.dtype == np.uint8
    changed = np.argwhere(np.any(out != img, axis=2))
    assert len(changed) > 0 and out.max() >= 200
    assert changed[:, 0].min() >= 0.2 * 60 - 8 and changed[:, 0].max() <= 0.8 * 60 + 8  # the character band
    lit = list(head_data.render_rows(head_data.HeadSettings(renders=12, seed=5, glint_share=1.0)))
    assert any(not np.array_equal(a.x, b.x) for a, b in zip(plain, lit, strict=False))


def test_night_copies_are_grey_and_small() -> None:
    img = np.zeros((120, 400, 3), np.uint8)
    img[:, :, 2] = 200  # a red crop: the night copy must lose the colour
    out = head_data.night(img, random.Random(1))
    assert head_data.NIGHT_WIDTH[0] <= out.shape[1] <= head_data.NIGHT_WIDTH[1]
    assert np.array_equal(out[..., 0], out[..., 2])


def test_validation_split_is_fixed_by_source_image() -> None:
    groups = [f"set:img{i}.jpg" for i in range(2000)]
    held = [g for g in groups if head_data.is_val(g, 0.1)]
    assert 150 < len(held) < 250
    assert held == [g for g in groups if head_data.is_val(g, 0.1)]


def test_reader_head_command_without_torch_or_with_a_finished_run_says_why(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "settings.json").write_text("{}")
    proc = subprocess.run(
        [sys.executable, "-m", "anpr", "train", "reader-head", "--out", str(run), "--renders", "10"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "torch" in proc.stderr or "--resume" in proc.stderr, proc.stderr


def test_fit_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    pytest.importorskip("torch")  # the [train] extra
    from anpr.train import head_fit

    rng = np.random.default_rng(0)
    texts = ["AB12", "CD34", "EF56", "GH78"] * 10
    feats = [rng.normal(size=(12, 120)).astype(np.float32) for _ in texts]
    data = reader_head.Features(feats, texts, ["render"] * 40, [f"g{i}" for i in range(40)])
    w0, b0 = rng.normal(size=(120, 38)).astype(np.float32) * 0.01, np.zeros(38, np.float32)
    ckpt = tmp_path / "ckpt.pt"
    first = head_fit.fit(data, w0, b0, head_fit.FitSettings(epochs=2, threads=1), None, ckpt)
    assert [h["epoch"] for h in first.history] == [0, 1, 2]
    more = head_fit.fit(data, w0, b0, head_fit.FitSettings(epochs=4, threads=1), None, ckpt)
    assert [h["epoch"] for h in more.history] == [0, 1, 2, 3, 4]  # went on from epoch 2, not from scratch
    assert more.history[-1]["loss"] < first.history[1]["loss"]
