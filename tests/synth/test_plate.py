from __future__ import annotations

import random

import pytest

from anpr.plates.chile import parse
from anpr.synth.plate import PLATE_MM, STYLES, render_plate
from anpr.synth.sheet import contact_sheet
from anpr.synth.texts import random_text


def test_same_seed_same_bytes_and_different_seed_differs() -> None:
    a = render_plate("BGXZ18", random.Random(5))
    b = render_plate("BGXZ18", random.Random(5))
    c = render_plate("BGXZ18", random.Random(6))
    assert a.image.tobytes() == b.image.tobytes()
    assert a.char_boxes == b.char_boxes
    assert a.image.tobytes() != c.image.tobytes()


@pytest.mark.parametrize(
    ("text", "layout"), [("BGXZ18", "car"), ("AB1000", "car"), ("BBC12", "moto"), ("AB123", "moto")]
)
def test_proportions_and_char_boxes(text: str, layout: str) -> None:
    p = render_plate(text, random.Random(1), layout=layout, worn=False, px_per_mm=2.0)  # type: ignore[arg-type]
    w_mm, h_mm = PLATE_MM[layout]
    h, w = p.image.shape[:2]
    assert p.image.dtype.name == "uint8" and p.image.shape[2] == 3
    assert abs(w / h - w_mm / h_mm) < 0.02
    assert len(p.char_boxes) == len(text)
    for x1, y1, x2, y2 in p.char_boxes:
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        assert (y2 - y1) > 0.25 * h  # characters are the plate's main feature, not specks
    if layout == "car":  # one row, left to right
        xs = [b[0] for b in p.char_boxes]
        assert xs == sorted(xs)
    else:  # letters on the top row, digits below
        split = next(i for i, c in enumerate(text) if c.isdigit())
        assert max(b[3] for b in p.char_boxes[:split]) <= min(b[1] for b in p.char_boxes[split:])


def test_worn_plate_boxes_follow_the_frame_offset() -> None:
    for seed in range(12):
        p = render_plate("KKXD69", random.Random(seed))
        px1, py1, px2, py2 = p.plate_box
        for x1, y1, x2, y2 in p.char_boxes:
            assert px1 <= x1 and py1 <= y1 and x2 <= px2 and y2 <= py2


def test_every_style_renders_its_colours() -> None:
    for name, style in STYLES.items():
        p = render_plate("RTFJ09", random.Random(0), style=name, worn=False)
        assert p.style == name
        corner = p.image[p.image.shape[0] // 2, 3]  # left margin, outside the border line
        assert tuple(int(v) for v in corner) == style.background


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="A-Z0-9"):
        render_plate("bg-xz18", random.Random(0))
    with pytest.raises(ValueError, match="expected one of"):
        render_plate("BGXZ18", random.Random(0), style="purple")
    with pytest.raises(ValueError, match="layout"):
        render_plate("BGXZ18", random.Random(0), layout="truck")  # type: ignore[arg-type]


def test_random_texts_are_valid_plates() -> None:
    rng = random.Random(3)
    for layout in ("car", "moto"):
        for _ in range(50):
            text, fmt = random_text(rng, layout)  # type: ignore[arg-type]
            res = parse(text)
            assert res.valid and res.format == fmt, (text, res)


def test_contact_sheet_is_a_grid_of_n_renders() -> None:
    sheet = contact_sheet(n=7, seed=1)
    assert sheet.shape[1] == 5 * 260 and sheet.shape[0] == 2 * 110
    assert contact_sheet(n=7, seed=1).tobytes() == sheet.tobytes()
