"""letterbox / decode / NMS on synthetic arrays: no model involved."""

from __future__ import annotations

import numpy as np
import pytest

from anpr.detect.postprocess import (
    PAD_VALUE,
    Letterbox,
    box_iou,
    decode_yolo,
    letterbox,
    letterbox_geometry,
    letterbox_window,
    nms,
    to_blob,
)


def test_letterbox_wide_image_pads_top_and_bottom() -> None:
    img = np.full((100, 200, 3), 50, np.uint8)
    out, lb = letterbox(img, 64, 64)
    assert out.shape == (64, 64, 3)
    assert lb.scale == pytest.approx(0.32)
    assert (lb.pad_x, lb.pad_y) == (0.0, 16.0)
    assert (out[:16] == PAD_VALUE).all() and (out[48:] == PAD_VALUE).all()
    assert (out[16:48] == 50).all()


def test_letterbox_grey_input_becomes_three_channels() -> None:
    out, lb = letterbox(np.zeros((40, 20), np.uint8), 32, 32)
    assert out.shape == (32, 32, 3)
    assert lb.pad_x == 8.0 and lb.pad_y == 0.0


def test_letterbox_rejects_empty_image() -> None:
    with pytest.raises(ValueError, match="empty"):
        letterbox(np.zeros((0, 10, 3), np.uint8), 32, 32)


def test_to_blob_is_rgb_nchw_unit_range() -> None:
    img = np.zeros((2, 2, 3), np.uint8)
    img[..., 0] = 255  # blue in BGR
    blob = to_blob(img)
    assert blob.shape == (1, 3, 2, 2) and blob.dtype == np.float32
    assert blob[0, 2].max() == 1.0 and blob[0, 0].max() == 0.0  # blue ends up in the last (B of RGB) plane


def test_box_iou_known_values() -> None:
    a = np.array([0, 0, 10, 10], np.float32)
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    assert box_iou(a, boxes) == pytest.approx([1.0, 50 / 150, 0.0])


def test_nms_keeps_best_of_overlapping_and_separate_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.6, 0.9, 0.5, 0.3], np.float32)
    keep = nms(boxes, scores, 0.45)
    assert keep.tolist() == [1, 2]


def test_nms_threshold_one_keeps_everything_in_score_order() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    assert nms(boxes, np.array([0.2, 0.8], np.float32), 1.0).tolist() == [1, 0]


def test_decode_maps_back_through_the_letterbox() -> None:
    # One strong box at input (cx=32, cy=32, w=16, h=8) and one below threshold.
    out = np.zeros((1, 5, 3), np.float32)
    out[0, :, 0] = [32, 32, 16, 8, 0.9]
    out[0, :, 1] = [10, 10, 4, 4, 0.1]
    out[0, :, 2] = [33, 32, 16, 8, 0.8]  # near-duplicate of the first: suppressed
    lb = Letterbox(scale=0.32, pad_x=0.0, pad_y=16.0)  # a 200x100 image in a 64x64 input
    boxes, scores = decode_yolo(out, lb, 200, 100, conf_threshold=0.25, iou_threshold=0.45)
    assert scores.tolist() == pytest.approx([0.9])
    assert boxes[0] == pytest.approx([75.0, 37.5, 125.0, 62.5])


def test_decode_clips_to_the_image_and_handles_nothing_found() -> None:
    out = np.zeros((1, 5, 1), np.float32)
    out[0, :, 0] = [2, 2, 10, 10, 0.9]
    boxes, _ = decode_yolo(out, Letterbox(1.0, 0.0, 0.0), 50, 50, 0.25, 0.45)
    assert boxes[0].tolist() == [0.0, 0.0, 7.0, 7.0]
    boxes, scores = decode_yolo(out, Letterbox(1.0, 0.0, 0.0), 50, 50, 0.95, 0.45)
    assert boxes.shape == (0, 4) and scores.shape == (0,)


def test_decode_rejects_a_wrong_output_shape() -> None:
    with pytest.raises(ValueError, match="expected a YOLO output"):
        decode_yolo(np.zeros((5, 10), np.float32), Letterbox(1.0, 0.0, 0.0), 10, 10, 0.5, 0.5)


@pytest.mark.parametrize(("h", "w", "grey"), [(1080, 1920, False), (720, 1280, False), (720, 1280, True)])
def test_a_window_made_from_its_own_pixels_is_the_letterboxs_window(h: int, w: int, grey: bool) -> None:
    """The focus windows (anpr/detect/focus.py) resize only the pixels under them: the very same pixels as
    the whole frame letterboxed, inside the image, across its edge and in the grey rows above it."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (h, w) if grey else (h, w, 3), dtype=np.uint8)
    boxed, lb = letterbox(image, 640, 384)
    assert lb == letterbox_geometry(w, h, 640, 384)
    for u, v in ((0, 0), (96, 64), (320, 192), (160, 0), (288, 160)):
        window = letterbox_window(image, lb, u, v, 320, 192)
        assert window is not None
        assert np.array_equal(window, boxed[v : v + 192, u : u + 320]), (u, v)


def test_a_frame_that_does_not_shrink_by_a_whole_factor_gets_no_window_of_its_own() -> None:
    image = np.zeros((600, 800, 3), np.uint8)  # 800 -> 640: a factor 1.25, INTER_AREA blends across blocks
    assert letterbox_window(image, letterbox_geometry(800, 600, 640, 640), 0, 0, 320, 192) is None
    image = np.zeros((1082, 1922, 3), np.uint8)  # about 3, but the blocks do not tile it
    assert letterbox_window(image, letterbox_geometry(1922, 1082, 640, 384), 0, 0, 320, 192) is None
