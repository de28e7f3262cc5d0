"""No eval image in any training set, checked by content (anpr.train.leakage).

(a) The shared sets as they are: no image of ../shared/plates/train is an image of ../shared/plates/eval,
by bytes or by picture. (b) Every builder that fits on real photos refuses a train set holding a copied
and a re-encoded eval image, naming both files, exit 2 and no traceback, before it writes anything; a
clean set goes through.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import cv2
import pytest
from helpers.images import imread
from helpers.plates import shared_plates

from anpr.cli.main import main
from anpr.train.dataset import split_of
from anpr.train.leakage import (
    MATCH,
    EvalIndex,
    LeakageError,
    fingerprint,
    fingerprint_bytes,
    image_files,
    refuse_eval_images,
)

ROOT = Path(__file__).resolve().parents[2]
TRAIN, EVAL = shared_plates("train"), shared_plates("eval")
pytestmark = pytest.mark.skipif(
    TRAIN is None or EVAL is None,
    reason="shared/plates/{train,eval} not found (set ANPR_PLATES_TRAIN and ANPR_PLATES_EVAL)",
)


@pytest.fixture(scope="module")
def index() -> EvalIndex:
    assert EVAL is not None
    return EvalIndex.build(EVAL)


def test_no_train_image_is_an_eval_image(index: EvalIndex) -> None:
    assert TRAIN is not None
    t0 = time.perf_counter()
    train = image_files(TRAIN)
    leaks = index.leaks(train)
    seconds = time.perf_counter() - t0
    assert len(index.files) >= 500 and len(index.thumb_files) == len(index.files)  # every eval image indexed
    assert len(train) >= 1200
    assert leaks == [], f"eval images inside the train sets: {leaks[:5]}"
    assert all(index.match(fingerprint(f)) is not None for f in index.files[::50])
    assert seconds < 30, f"hashing {len(train)} train images took {seconds:.1f} s"


def _name_in_train_split(stem: str, suffix: str) -> str:
    """A file name the detector's split puts in train (quantize-detector calibrates on that split only)."""
    return next(f"{stem}_{i}{suffix}" for i in range(100) if split_of(f"{stem}_{i}{suffix}") == "train")


def _train_set(tmp_path: Path, leak: bool) -> Path:
    """tmp/plates/train/mixed: one real train photo, plus (leak) an eval photo copied byte for byte under
    another name and another eval photo re-encoded as JPEG q60 (other bytes, slightly other pixels).
    tmp/plates/eval links the shared eval folder, where the guard looks for it (beside the train folder)."""
    assert TRAIN is not None and EVAL is not None
    plates = tmp_path / "plates"
    plates.mkdir()
    (plates / "eval").symlink_to(EVAL, target_is_directory=True)
    d = plates / "train" / "mixed"
    (d / "images").mkdir(parents=True)
    rows = []
    clean = _name_in_train_split("clean", ".jpg")
    shutil.copyfile(TRAIN / "chile_gate_overlay/images/FrameDetectado_LP-BDPP98_29173.jpg", d / "images" / clean)
    rows.append(f"images/{clean},BDPP98,800,216,1029,312,ok")
    if leak:
        copied = _name_in_train_split("copied", ".jpg")
        shutil.copyfile(sorted((EVAL / "chile_gate/images").iterdir())[0], d / "images" / copied)
        web = imread(sorted((EVAL / "chile_web/images").iterdir())[0])
        recoded = _name_in_train_split("recoded", ".jpg")
        assert cv2.imwrite(str(d / "images" / recoded), web, [cv2.IMWRITE_JPEG_QUALITY, 60])
        rows += [f"images/{copied},ABCD12,10,10,150,60,ok", f"images/{recoded},ABCD13,10,10,150,60,ok"]
    (d / "labels.csv").write_text("file,plate_text,x1,y1,x2,y2,quality\n" + "\n".join(rows) + "\n")
    return d


def _builders(d: Path, out: Path) -> dict[str, list[str]]:
    root = str(d.parent)
    return {
        "dataset": ["train", "dataset", "--train-root", root, "--out", str(out)],
        "overlay": ["synth", "overlay", "--src", str(d), "--output", str(out)],
        "quantize-reader": ["train", "quantize-reader", "--model", str(ROOT / "tests/data/crnn-random.onnx"),
                            "--out", str(out / "r.onnx"), "--train-root", root, "--sets", d.name],
        "quantize-detector": ["train", "quantize-detector", "--model", str(ROOT / "models/plate-detector.onnx"),
                              "--out", str(out / "d.onnx"), "--train-root", root, "--images", "2"],
        "recognizer-data": ["train", "recognizer-data", "--out", str(out), "--train-root", root, "--n", "0"],
    }  # fmt: skip


@pytest.mark.parametrize("builder", ["dataset", "overlay", "quantize-reader", "quantize-detector", "recognizer-data"])
def test_builders_refuse_copied_and_reencoded_eval_images(
    builder: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _train_set(tmp_path, leak=True)
    out = tmp_path / "out"
    assert main(_builders(d, out)[builder]) == 2
    err = capsys.readouterr().err
    assert "2 training image(s) are eval images" in err
    assert "copied_" in err and "same bytes" in err and "chile_gate/images/" in err
    assert "recoded_" in err and "same picture re-encoded" in err and "chile_web/images/" in err
    assert "Traceback" not in err
    assert not any(out.rglob("*.onnx")) and not (out / "labels.csv").exists()  # refused before writing


def test_a_clean_set_goes_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _train_set(tmp_path, leak=False)
    assert main(_builders(d, tmp_path / "ds")["dataset"]) == 0
    assert "mixed/" in capsys.readouterr().out
    refuse_eval_images([d / "images" / p.name for p in (d / "images").iterdir()], d.parent)  # no raise


def test_calibration_fit_refuses_them_too(tmp_path: Path) -> None:
    from anpr.ocr.config import ReaderConfig
    from anpr.ocr.ppocr import PpocrReader
    from anpr.train.calibrate import set_samples

    d = _train_set(tmp_path, leak=True)
    reader = PpocrReader(ReaderConfig(model=str(ROOT / "models/plate-reader-int8.onnx"), calibration=None))
    with pytest.raises(LeakageError, match=r"copied_.*same bytes"):
        list(set_samples(reader, d))


def test_reencodings_of_eval_images_are_caught(index: EvalIndex) -> None:
    """Every 40th eval image re-encoded three ways (lossy JPEG q40 and WebP q50, lossless PNG) matches it."""
    for f in index.files[::40]:
        img = imread(f)
        for ext, params in ((".jpg", [cv2.IMWRITE_JPEG_QUALITY, 40]), (".webp", [cv2.IMWRITE_WEBP_QUALITY, 50]),
                            (".png", [])):  # fmt: skip
            ok, buf = cv2.imencode(ext, img, params)
            assert ok
            hit = index.match(fingerprint_bytes(buf.tobytes()))
            assert hit is not None and hit[0] == f, f"{f} re-encoded as {ext} not caught"
    assert 0.9 < MATCH < 0.99
