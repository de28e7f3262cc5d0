"""Fixtures for the synth tests: a tiny shared-format photo set drawn here (real photos never enter the repo)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.synth.labels import LabelRow, write_labels

BOX = (120, 150, 260, 180)  # a long, EU-like plate box in a 400x300 "photo"


@pytest.fixture
def photo_set(tmp_path: Path) -> Path:
    """A set folder: one 400x300 image of a grey 'car' with a white plate in BOX, and its labels.csv."""
    set_dir = tmp_path / "fake_set"
    (set_dir / "images").mkdir(parents=True)
    img = np.zeros((300, 400, 3), np.uint8)
    img[:] = np.linspace(60, 160, 300, dtype=np.uint8)[:, None, None]
    cv2.rectangle(img, (60, 80), (340, 260), (90, 90, 110), -1)
    x1, y1, x2, y2 = BOX
    cv2.rectangle(img, (x1, y1), (x2, y2), (230, 230, 230), -1)
    cv2.putText(img, "AB123CD", (x1 + 8, y2 - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20), 2)
    cv2.imwrite(str(set_dir / "images" / "car.jpg"), img)
    write_labels(
        set_dir / "labels.csv",
        [
            LabelRow("images/car.jpg", "AB123CD", BOX, 400, 300, "ok", "drawn", ""),
            LabelRow("images/car.jpg", "", None, 400, 300, "ok", "drawn", "row without a box: skipped"),
        ],
    )
    return set_dir
