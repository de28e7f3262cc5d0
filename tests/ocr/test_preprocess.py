"""Pre-processing on synthetic arrays."""

from __future__ import annotations

import cv2
import numpy as np
from helpers.images import as_image

from anpr.ocr import preprocess
from anpr.types import Detection


def text_image(rows: list[str], width: int, height: int, angle: float = 0.0) -> np.ndarray:
    """Dark text rows on a light ground, optionally rotated."""
    img = np.full((height, width), 235, np.uint8)
    pitch = height / len(rows)
    for i, text in enumerate(rows):
        scale = pitch / 40
        y = int((i + 0.78) * pitch)
        cv2.putText(img, text, (int(0.06 * width), y), cv2.FONT_HERSHEY_SIMPLEX, scale, 20, max(2, int(3 * scale)))
    if angle:
        m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        img = as_image(cv2.warpAffine(img, m, (width, height), borderValue=235))
    return img


def test_crop_adds_margin_and_clips_to_image() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    out = preprocess.crop(img, Detection((150.0, 10.0, 199.0, 50.0), 0.9), (0.2, 0.25))
    assert out is not None
    assert out.shape[:2] == (60, 60)  # 10 px margin each side; x from 140, right edge clipped at 200


def test_empty_and_one_pixel_crops_are_rejected() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    assert preprocess.crop(img, Detection((10.0, 10.0, 11.0, 60.0), 0.9), (0.0, 0.0)) is None
    assert preprocess.crop(img, Detection((300.0, 10.0, 400.0, 60.0), 0.9)) is None  # outside the image
    assert preprocess.crop(np.zeros((0, 0, 3), np.uint8), Detection((0.0, 0.0, 5.0, 5.0), 0.9)) is None


def test_corners_are_rectified_to_an_upright_plate() -> None:
    img = np.zeros((200, 300, 3), np.uint8)
    quad = np.array([[50, 60], [250, 80], [245, 140], [55, 120]], np.int32)
    cv2.fillPoly(img, [quad], (255, 255, 255))
    corners = tuple((float(x), float(y)) for x, y in quad)
    out = preprocess.crop(img, Detection((50.0, 60.0, 250.0, 140.0), 0.9, corners), (0.0, 0.0))
    assert out is not None
    h, w = out.shape[:2]
    assert abs(w - 196) <= 2 and abs(h - 60) <= 2  # the mean edge lengths of the quad
    assert out[3:-3, 3:-3].mean() > 240  # the whole warped rectangle is the white plate


def test_two_row_plate_is_split_top_first() -> None:
    img = text_image(["ABC", "12"], 145 * 2, 120 * 2)
    rows = preprocess.split_rows(img)
    assert len(rows) == 2
    (a0, a1), (b0, b1) = rows
    assert a0 == 0 and a1 == b0 and b1 == img.shape[0]
    assert 0.3 * img.shape[0] < a1 < 0.7 * img.shape[0]


def test_one_row_plate_is_not_split() -> None:
    assert preprocess.split_rows(text_image(["GKSB78"], 360, 130)) == [(0, 130)]
    # a loose square crop around a one-row plate stays one row too
    square = np.full((150, 180), 235, np.uint8)
    square[40:110] = text_image(["DS JG"], 180, 70)
    assert preprocess.split_rows(square) == [(0, 150)]


def test_text_bands_follow_the_blobs_or_a_given_cut() -> None:
    two = text_image(["ABC", "12"], 145 * 2, 120 * 2)
    assert preprocess.text_bands(two) == preprocess.split_rows(two)
    assert preprocess.text_bands(two, cut=0.45) == [(0, 108), (108, 240)]
    one = text_image(["GKSB78"], 360, 130)
    assert preprocess.text_bands(one) == [preprocess.char_band(one)]
    assert preprocess.text_bands(one, band=False) == [(0, 130)]
    assert preprocess.two_row_shaped(two) and not preprocess.two_row_shaped(one)


def test_deskew_levels_a_tilted_line() -> None:
    img = text_image(["GKSB78"], 400, 140, angle=-8.0)  # cv2: negative angle = clockwise: descends right
    angle = preprocess.deskew_angle(img)
    assert 5.0 < angle < 11.0
    assert abs(preprocess.deskew_angle(preprocess.rotate(img, angle))) < 2.5
    assert abs(preprocess.deskew_angle(text_image(["GKSB78"], 400, 140))) < 1.5


def test_resize_and_normalize_shape_and_range() -> None:
    small = np.full((20, 60), 255, np.uint8)
    up = preprocess.resize_height(small, 48, 640)
    assert up.shape == (48, 144)
    x = preprocess.normalize(up, multiple=32)
    assert x.shape == (3, 48, 160) and x.dtype == np.float32
    assert np.allclose(x[:, :, :144], 1.0) and np.allclose(x[:, :, 144:], 0.0)
    wide = preprocess.resize_height(np.zeros((10, 1000), np.uint8), 48, 320)
    assert wide.shape == (48, 320)


def test_char_band_trims_a_loose_crop_to_the_character_line() -> None:
    loose = np.full((150, 300), 235, np.uint8)
    loose[40:110] = text_image(["GKSB78"], 300, 70)
    y0, y1 = preprocess.char_band(loose)
    assert 25 <= y0 <= 60 and 90 <= y1 <= 125 and y1 - y0 < 100
    assert preprocess.char_band(np.full((40, 100), 235, np.uint8)) == (0, 40)  # no glyphs: whole height
