"""`anpr train extract-ppocr|quantize-reader|quantize-detector|detector-test-data|...`: each parses, the cheap
ones run for real on tiny inputs (the test CRNN, tests/data/eval_tiny), and the GPU entry points import
without the runtime's dependencies."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from anpr.cli.main import main

pytest.importorskip("onnx")  # the [test] extra installs it; model building needs it, the runtime never

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CRNN = DATA / "crnn-random.onnx"
NEW_COMMANDS = (
    ("train", "extract-ppocr"),
    ("train", "quantize-reader"),
    ("train", "quantize-detector"),
    ("train", "optimize-detector"),
    ("train", "resize-detector"),
    ("train", "detector-test-data"),
    ("train", "recognizer-test-model"),
    ("bench", "two-rows"),
    ("bench", "control"),
    ("bench", "wheels"),
)


@pytest.mark.parametrize("argv", NEW_COMMANDS, ids="-".join)
def test_each_tool_has_help(argv: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    assert f"anpr {argv[0]} {argv[1]}" in capsys.readouterr().out


@pytest.fixture
def train_root(tmp_path: Path) -> Path:
    """A train folder holding one small labelled set (the committed synthetic eval_tiny, renders only)."""
    root = tmp_path / "train"
    root.mkdir()
    (root / "tiny").symlink_to(DATA / "eval_tiny", target_is_directory=True)
    return root


def test_quantize_reader_builds_a_crnn_the_reader_loads(
    train_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from anpr.ocr.config import ReaderConfig
    from anpr.ocr.crnn import CrnnReader

    out = tmp_path / "crnn-int8.onnx"
    argv = ["train", "quantize-reader", "--model", str(CRNN), "--out", str(out), "--train-root", str(train_root)]
    assert main([*argv, "--sets", "tiny"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} (+ .sha256)" in printed and "max abs output diff" in printed
    import onnx

    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Softmax"} <= ops  # int8 inside, the CTC Softmax float
    reader = CrnnReader(ReaderConfig(backend="crnn", crnn_model=str(out)))  # through its written sidecar
    original = CrnnReader(ReaderConfig(backend="crnn", crnn_model=str(CRNN)))
    assert (reader.height, reader.width) == (original.height, original.width)
    assert reader.charmap.blank == original.charmap.blank  # the dictionary metadata came along


def test_quantize_refuses_eval_folders_and_missing_sets(
    train_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evals = tmp_path / "eval"
    evals.mkdir()
    argv = ["train", "quantize-reader", "--model", str(CRNN), "--out", str(tmp_path / "x.onnx")]
    assert main([*argv, "--train-root", str(evals)]) == 2
    assert "eval sets are for measuring only" in capsys.readouterr().err
    assert main([*argv, "--train-root", str(train_root), "--sets", "nope"]) == 2
    assert "nope: no labels.csv" in capsys.readouterr().err
    assert main(["train", "quantize-detector", "--model", str(CRNN), "--train-root", str(evals)]) == 2
    assert "eval sets are for measuring only" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()


def test_quantize_detector_holdout_and_a_model_without_a_yolo_head(
    train_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from anpr.train.dataset import read_set, split_of

    holdout = tmp_path / "holdout"
    assert main(["train", "quantize-detector", "--train-root", str(train_root), "--write-holdout", str(holdout)]) == 0
    val = [i for i in read_set(train_root / "tiny") if split_of(i.split_key) == "val"]
    rows = (holdout / "labels.csv").read_text().splitlines()
    assert len(rows) == 1 + sum(len(i.boxes) for i in val)  # the val split only, one row per box
    assert (holdout / "tiny").resolve() == (DATA / "eval_tiny").resolve()
    capsys.readouterr()
    argv = ["train", "quantize-detector", "--model", str(CRNN), "--train-root", str(train_root), "--images", "3"]
    assert main([*argv, "--chunk", "1", "--out", str(tmp_path / "d.onnx")]) == 2
    assert "expected the 6 last convs of a YOLOv8 Detect head" in capsys.readouterr().err
    assert not (tmp_path / "d.onnx").exists()


def test_detector_test_data_rebuilds_the_committed_geometry(tmp_path: Path) -> None:
    assert main(["train", "detector-test-data", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "detector_plate.json").read_text()) == json.loads(
        (DATA / "detector_plate.json").read_text()
    )
    assert (tmp_path / "eval_tiny" / "labels.csv").read_text() == (DATA / "eval_tiny" / "labels.csv").read_text()
    assert {p.name for p in (tmp_path / "eval_tiny" / "images").iterdir()} == {"a.jpg", "b.jpg", "c.jpg", "d.jpg"}


def test_extract_ppocr_refuses_a_wheel_that_is_not_the_pinned_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from anpr.train.ppocr_extract import MEMBER

    wheel = tmp_path / "rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(MEMBER, CRNN.read_bytes())  # a model, but not PP-OCR's
    assert main(["train", "extract-ppocr", "--wheel", str(wheel), "--out", str(tmp_path / "models")]) == 2
    assert "is not the pinned rapidocr-onnxruntime==1.4.4 wheel's" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("module", ["anpr.train.gpu_detector", "anpr.train.recognizer"])
def test_the_gpu_entry_points_need_no_runtime_dependency(module: str) -> None:
    """A GPU box runs `python -m anpr.train.gpu_detector|recognizer` from a checkout without installing
    anpr's dependencies: they must not reach pydantic, onnxruntime or the program's packages (the recognizer
    trains on OpenCV-decoded sheets, so cv2 is allowed there)."""
    blocked = ["pydantic", "onnxruntime", "paho", "anpr.app", "anpr.cli", "anpr.ocr", "anpr.detect"]
    if module.endswith("recognizer"):
        pytest.importorskip("torch")  # the [train] extra
    else:
        blocked.append("cv2")
    probe = (
        "import sys, importlib.abc\n"
        f"BLOCKED = {tuple(blocked)!r}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.startswith(BLOCKED):\n"
        "            raise ImportError(f'{name} imported')\n"
        "sys.meta_path.insert(0, Block())\n"
        "sys.argv = ['x', '--help']\n"
        "import runpy\n"
        f"runpy.run_module({module!r}, run_name='__main__')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert f"python -m {module}" in proc.stdout
