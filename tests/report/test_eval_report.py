"""`anpr eval --report`: the HTML page on the committed tiny set, whose misses are known by construction
(tests/data/eval_tiny: c.jpg is a labelled box where no plate is, so GGHH11 is the one plate missed;
a, b and d are read exactly by the shipped models), and the page as a real headless browser renders it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from anpr.cli.main import main
from anpr.evaluate.metrics import GtPlate, ImageResult
from anpr.evaluate.report import find_misses
from anpr.types import PlateRead

pytest.importorskip("matplotlib", reason="the [report] extra (matplotlib) is not installed")

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "eval_tiny"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert main(["eval", str(TINY), "--report", str(out)]) == 0
    return out


def test_page_lists_exactly_the_known_misses(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="miss">(.*?)</tr>', page, flags=re.S)
    assert len(rows) == 1 and "Misses (1)" in page
    assert "images/c.jpg" in rows[0] and "GGHH11" in rows[0] and "not detected" in rows[0]
    for read_fine in ("HJKL23", "PRST45", "BCDF89"):
        assert read_fine not in "".join(rows)
    assert 'src="misses/0000.png"' in rows[0] and (report / "misses" / "0000.png").stat().st_size > 0
    for plot in ("figures.png", "ms.png", "confidence.png"):
        assert f'src="{plot}"' in page and (report / plot).stat().st_size > 1000, plot
    assert (report / "summary.json").is_file() and (report / "per_image.csv").is_file()
    assert "<th>car plates read as motorcycles</th><td>0 of " in page


def _read(text: str) -> PlateRead:
    return PlateRead(text, 0.8, (0.8,) * len(text), text, "car")


def test_find_misses_names_why() -> None:
    gt = (
        GtPlate("BBCD12", (0, 0, 10, 5), "ok"),
        GtPlate("CCDF34", (20, 0, 30, 5), "ok"),
        GtPlate("DDFG56", (40, 0, 50, 5), "ok"),
        GtPlate("FFGH78", (60, 0, 70, 5), "uncertain"),
        GtPlate("", (80, 0, 90, 5), "unreadable"),
    )
    r = ImageResult(
        file="x.jpg",
        gt=gt,
        n_detections=3,
        matches={0: (0, 0.9), 1: (1, 0.9), 3: (2, 0.8)},
        reads={0: _read("BBCD12"), 1: _read("CCDF84"), 2: None, 3: None},
        ms=1.0,
    )
    misses = {m.truth: m.why for m in find_misses([r])}
    assert misses == {"CCDF34": "misread", "DDFG56": "not detected", "FFGH78": "no read"}


def test_missing_matplotlib_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # a fake absence: importing it raises ImportError
    assert main(["eval", str(TINY), "--no-reader", "--report", str(tmp_path)]) == 2
    assert "pip install 'anpr[report]'" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (Debian package: chromium)")
def test_page_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    import cv2

    shot = tmp_path / "shot.png"
    cmd = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}", f"--screenshot={shot}", "--window-size=1280,1600",
        (report / "index.html").as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=90, check=False)
    img = cv2.imread(str(shot))
    assert img is not None, "chromium wrote no screenshot"
    assert img.shape[:2] == (1600, 1280)
    # the rendered page is not blank: text and plots give many distinct grey levels
    assert img.std() > 20 and len({int(v) for v in img[::16, ::16, 1].ravel()}) > 20
