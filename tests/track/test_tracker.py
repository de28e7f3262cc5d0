"""The IoU tracker on real drawn frames: passages, early confidence, gaps in capture time, best crop."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from helpers.track import at, draw_frame, make_read, obs

from anpr.track.base import TrackUpdate
from anpr.track.boxes import crop_quality, iou
from anpr.track.config import TrackerConfig
from anpr.track.tracker import IouTracker
from anpr.types import Passage

Box = tuple[float, float, float, float]


def moving_box(i: int, x0: float = 100, y0: float = 200, dx: float = 20, w: float = 80, h: float = 30) -> Box:
    return (x0 + dx * i, y0, x0 + dx * i + w, y0 + h)


def drive(
    tracker: IouTracker, frames: int, fps: float = 10, text: str = "BBCL12", cam: str = "cam1", **kw: float
) -> list[TrackUpdate]:
    updates = []
    for i in range(frames):
        box = moving_box(i, **kw)
        image = draw_frame([(box, text)])
        updates.append(tracker.update(cam, i, at(i / fps), image, [obs(i, i / fps, box, make_read(text))]))
    return updates


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert abs(iou((0, 0, 10, 10), (5, 0, 15, 10)) - 50 / 150) < 1e-9


def test_one_vehicle_one_passage_early_confident_then_ended() -> None:
    tracker = IouTracker(TrackerConfig(max_gap_s=1.0))
    updates = drive(tracker, 10)
    confident = [p for u in updates for p in u.confident]
    assert len(confident) == 1  # raised once, early: at the second read
    assert updates[1].confident and confident[0].consensus is not None
    assert confident[0].consensus.text == "BBCL12"
    assert not any(u.ended for u in updates)
    # 0.9 s after the last sighting (capture time): still open; 1.1 s: ended
    assert tracker.update("cam1", 10, at(0.9 + 0.9), draw_frame([]), []).ended == ()
    ended = tracker.update("cam1", 11, at(0.9 + 1.1), draw_frame([]), []).ended
    assert len(ended) == 1
    passage = ended[0]
    assert passage.passage_id == "cam1-000001" and passage.camera_id == "cam1"
    assert len(passage.observations) == 10
    assert passage.first_seen == at(0) and passage.last_seen == at(0.9)
    assert passage.consensus is not None and passage.consensus.text == "BBCL12"
    assert passage.best_crop is not None and passage.best_crop.shape == (30, 80, 3)
    assert tracker.flush() == []


def test_two_vehicles_and_reproducible_ids() -> None:
    def run() -> list[Passage]:
        tracker = IouTracker()
        for i in range(6):
            a, b = moving_box(i, y0=50), moving_box(i, x0=500, y0=350, dx=-15)
            image = draw_frame([(a, "BBCL12"), (b, "GR1399")])
            tracker.update(
                "gate",
                i,
                at(i / 10),
                image,
                [obs(i, i / 10, b, make_read("GR1399")), obs(i, i / 10, a, make_read("BBCL12"))],
            )
        return tracker.flush()

    first, second = run(), run()
    assert [p.passage_id for p in first] == ["gate-000001", "gate-000002"]
    assert [(p.passage_id, p.consensus) for p in first] == [(p.passage_id, p.consensus) for p in second]
    texts = {p.consensus.text for p in first if p.consensus}
    assert texts == {"BBCL12", "GR1399"}
    assert all(len(p.observations) == 6 for p in first)


def test_constant_velocity_bridges_missed_detections() -> None:
    tracker = IouTracker(TrackerConfig(max_center_shift=0.0))
    seen = [0, 1, 2, 3, 4, 5, 9]  # the detector missed frames 6-8: the plate moved 80 px unseen
    for i in seen:
        box = moving_box(i, w=60)
        tracker.update("c", i, at(i / 10), draw_frame([(box, "BBCL12")]), [obs(i, i / 10, box, make_read("BBCL12"))])
    passages = tracker.flush()
    assert len(passages) == 1 and len(passages[0].observations) == len(seen)


def test_without_motion_model_the_same_gap_splits() -> None:
    # Control for the test above: a detection that jumps with no history (and no read to recognise it
    # by) starts a new passage.
    tracker = IouTracker(TrackerConfig(max_center_shift=0.0))
    for i, read in ((0, make_read("BBCL12")), (4, None)):
        box = moving_box(i, w=60)
        tracker.update("c", i, at(i / 10), draw_frame([(box, "BBCL12")]), [obs(i, i / 10, box, read)])
    assert [p.passage_id for p in tracker.flush()] == ["c-000001", "c-000002"]


def test_the_same_plate_text_joins_a_far_jump_within_the_gap() -> None:
    """A live camera dropping frames: a far plate seen once, then 8 frames later 5 widths away."""
    # Same text or one dropped character: the same car. One character changed: maybe the next car of a fleet.
    for second, passages in (("BBCL12", 1), ("BBL12", 1), ("BBCL13", 2)):
        tracker = IouTracker(TrackerConfig(max_center_shift=1.0))
        for i, text in ((0, "BBCL12"), (8, second)):
            box = moving_box(i, dx=40, w=60)
            tracker.update("c", i, at(i / 25), draw_frame([(box, text)]), [obs(i, i / 25, box, make_read(text))])
        done = tracker.flush()
        assert len(done) == passages, second
        if passages == 1:
            assert len(done[0].observations) == 2 and done[0].consensus is not None
            assert done[0].consensus.text in {"BBCL12", second}


def test_centre_shift_joins_fast_small_plates() -> None:
    # 50 px per frame for a 60 px plate: IoU 0.09 < 0.1, centre shift 0.83 widths.
    joined = IouTracker(TrackerConfig(max_center_shift=1.0))
    split = IouTracker(TrackerConfig(max_center_shift=0.0))
    for tracker in (joined, split):
        for i in range(2):  # unread plates: only geometry can join them
            box = moving_box(i, dx=50, w=60)
            tracker.update("c", i, at(i / 10), draw_frame([(box, "BBCL12")]), [obs(i, i / 10, box, None)])
    assert len(joined.flush()) == 1
    assert len(split.flush()) == 2


def test_unread_passage_still_ends_without_consensus() -> None:
    tracker = IouTracker()
    for i in range(3):
        box = moving_box(i)
        tracker.update("c", i, at(i / 10), draw_frame([(box, "")]), [obs(i, i / 10, box, None)])
    (passage,) = tracker.flush()
    assert passage.consensus is None and len(passage.observations) == 3
    assert passage.best_crop is not None


def test_best_crop_is_the_sharp_large_confident_one() -> None:
    tracker = IouTracker()
    box = (100.0, 200.0, 220.0, 245.0)
    sharp = draw_frame([(box, "BBCL12")])
    blurred = draw_frame([(box, "BBCL12")], blur=9)
    for i, image in enumerate([blurred, sharp, blurred]):
        tracker.update("c", i, at(i / 10), image, [obs(i, i / 10, box, make_read("BBCL12"))])
    (passage,) = tracker.flush()
    assert passage.best_crop is not None
    assert np.array_equal(passage.best_crop, sharp[200:245, 100:220])
    assert crop_quality(sharp[200:245, 100:220], make_read("BBCL12")) > crop_quality(
        blurred[200:245, 100:220], make_read("BBCL12")
    )


def test_box_outside_the_frame_is_survived() -> None:
    tracker = IouTracker()
    box = (600.0, 470.0, 700.0, 520.0)  # half out of a 640x480 frame
    out = (700.0, 500.0, 760.0, 530.0)  # wholly out: no crop, still tracked
    tracker.update("c", 0, at(0), draw_frame([]), [obs(0, 0, box, make_read("BBCL12")), obs(0, 0, out, None)])
    passages = tracker.flush()
    assert len(passages) == 2
    crops = {p.passage_id: p.best_crop for p in passages}
    assert crops["c-000001"] is not None and crops["c-000001"].shape == (10, 40, 3)
    assert crops["c-000002"] is None


def test_long_passage_is_cut_and_cameras_are_independent() -> None:
    tracker = IouTracker(TrackerConfig(max_passage_s=2.0))
    box = moving_box(0)
    ended: list[Passage] = []
    for i in range(31):  # a parked car seen at 10 fps for 3 s
        u = tracker.update("a", i, at(i / 10), draw_frame([]), [obs(i, i / 10, box, make_read("BBCL12"))])
        ended += u.ended
        tracker.update("b", i, at(i / 10), draw_frame([]), [])
    assert [p.passage_id for p in ended] == ["a-000001"]
    tracker.update("b", 0, at(3.1), draw_frame([]), [obs(0, 3.1, box, None)])
    assert sorted(p.passage_id for p in tracker.open_passages()) == ["a-000002", "b-000001"]


def test_expire_ends_quiet_cameras() -> None:
    tracker = IouTracker(TrackerConfig(max_gap_s=0.5))
    drive(tracker, 3, cam="x")
    assert tracker.expire(at(0.6)) == []
    assert [p.passage_id for p in tracker.expire(at(0.8))] == ["x-000001"]
    assert tracker.flush() == []


def test_settled_passage_is_read_only_every_nth_frame() -> None:
    tracker = IouTracker(TrackerConfig(min_reads=2, hit_confidence=0.5, read_every_confident=3))
    text = "BBCL12"
    read_pattern = []
    for i in range(12):
        box = moving_box(i)
        det = obs(i, i / 10, box, None).detection
        skip = tracker.settled("cam1", [det], at(i / 10))
        read = None if 0 in skip else make_read(text)
        read_pattern.append(read is not None)
        tracker.update("cam1", i, at(i / 10), draw_frame([(box, text)]), [obs(i, i / 10, box, read)])
    # Unsettled: read every frame until the consensus is confident (2 reads), then one read in three.
    assert read_pattern[:2] == [True, True]
    assert read_pattern[2:] == [False, False, True] * 3 + [False]
    (passage,) = tracker.flush()
    assert passage.consensus is not None and passage.consensus.text == text
    assert len(passage.observations) == 12  # skipped reads still extend the passage


def test_settled_is_empty_when_reading_every_frame() -> None:
    tracker = IouTracker(TrackerConfig(min_reads=1, hit_confidence=0.5, read_every_confident=1))
    drive(tracker, 3)
    det = obs(3, 0.3, moving_box(3), None).detection
    assert tracker.settled("cam1", [det], at(0.3)) == set()


def test_a_plate_too_narrow_to_read_is_tracked_but_not_read_until_it_nears() -> None:
    # A far plate 20 px wide growing by 2 px a frame: below min_read_width_px its reads are skipped (on the
    # sample clips reads under 30 px were right 3 times in 62), from 30 px on it is read every frame.
    tracker = IouTracker(TrackerConfig(min_read_width_px=30, read_every_confident=1))
    text = "BBCL12"
    read_widths: list[float] = []
    unread_widths: list[float] = []
    for i in range(10):
        width = 20 + 2 * i
        box = (400.0 - width / 2, 300.0, 400.0 + width / 2, 300.0 + width / 3)
        det = obs(i, i / 10, box, None).detection
        skip = tracker.settled("cam1", [det], at(i / 10))
        (read_widths if 0 not in skip else unread_widths).append(width)
        read = None if 0 in skip else make_read(text)
        tracker.update("cam1", i, at(i / 10), draw_frame([(box, text)]), [obs(i, i / 10, box, read)])
    assert unread_widths == [20, 22, 24, 26, 28]
    assert read_widths == [30, 32, 34, 36, 38]
    (passage,) = tracker.flush()
    assert len(passage.observations) == 10  # one passage from its first sighting
    assert passage.consensus is not None and passage.consensus.text == text
    # 0 turns it off: every detection is read
    off = IouTracker(TrackerConfig(min_read_width_px=0, read_every_confident=1))
    assert off.settled("cam1", [obs(0, 0, (390, 300, 410, 307), None).detection], at(0)) == set()


def test_detection_is_skipped_only_while_every_passage_is_settled() -> None:
    tracker = IouTracker(
        TrackerConfig(min_reads=2, hit_confidence=0.5, detect_every_settled=3, detect_every_unsettled=1)
    )
    assert tracker.wants_detection("cam1")  # nothing open: always detect
    for i in range(2):
        box = moving_box(i)
        tracker.update("cam1", i, at(i / 10), draw_frame([(box, "BBCL12")]), [obs(i, i / 10, box, make_read("BBCL12"))])
        if i == 0:
            assert tracker.wants_detection("cam1")  # one read: not confident yet
    pattern = [tracker.wants_detection("cam1") for _ in range(7)]
    assert pattern == [False, False, True, False, False, True, False]
    assert tracker.wants_detection("cam2")  # cameras are independent


def test_an_unsettled_passage_is_looked_for_on_every_frame_and_the_whole_frame_every_nth() -> None:
    """Between whole-frame detections (`detect_every_unsettled`) the tracker names where the plates of the
    passages not settled are expected (the pipeline's focus windows); a settled passage is not among them."""
    for every, pattern in ((1, [True] * 4), (3, [False, False, True, False])):
        tracker = IouTracker(
            TrackerConfig(min_reads=2, hit_confidence=0.5, detect_every_settled=3, detect_every_unsettled=every)
        )
        drive(tracker, 3)  # confident
        box = moving_box(0, y0=20)
        tracker.update("cam1", 3, at(0.3), draw_frame([(box, "ZZZZ99")]), [obs(3, 0.3, box, None)])  # new, unread
        assert [tracker.wants_detection("cam1") for _ in range(4)] == pattern
        assert tracker.focus("cam1", at(0.3)) == [box]  # the new one only: the confident one is settled
        later = tracker.focus("cam1", at(0.4))
        assert len(later) == 1 and later[0][1] == box[1]  # no velocity yet: predicted where last seen
        assert tracker.focus("cam2", at(0.3)) == []


def test_a_cut_plate_leaving_by_the_frame_edge_stays_with_its_passage_whatever_it_reads() -> None:
    """night_ir: a confident car leaving by the left edge was seen on every third frame (settled); its plate,
    cut to a 26-px sliver by the edge, read another plate (EOT811 at 0.53) and, too changed in size to be a
    smooth continuation, began a passage of its own. A detection touching the frame's border where the
    passage is predicted joins it; the same sliver inside the frame still begins a new passage."""
    for x1, passages in ((0.0, 1), (6.0, 2)):
        tracker = IouTracker(TrackerConfig(min_reads=2, hit_confidence=0.5))
        for i in range(4):
            box = (200.0 - 50 * i, 200.0, 280.0 - 50 * i, 230.0)
            tracker.update(
                "c", i, at(i / 10), draw_frame([(box, "BBCL12")]), [obs(i, i / 10, box, make_read("BBCL12"))]
            )
        sliver = (x1, 200.0, x1 + 26.0, 230.0)  # predicted at (-50, 200, 30, 230) on the next frame but one
        tracker.update("c", 5, at(0.5), draw_frame([(sliver, "EOT811")]), [obs(5, 0.5, sliver, make_read("EOT811"))])
        assert len(tracker.flush()) == passages, x1


def test_a_detection_never_read_as_a_plate_stops_holding_the_detector_after_unreadable_after_looks() -> None:
    """parked_row: a tall box on a building (0 valid reads in 30 looks) kept the detector on every frame for the
    whole clip; a far plate not yet readable is looked at every detect_every_settled-th frame meanwhile, and once
    read it holds the detector again."""
    for after, looks, held in ((5, 4, True), (5, 5, False), (0, 9, True)):
        tracker = IouTracker(
            TrackerConfig(
                min_reads=2,
                hit_confidence=0.5,
                detect_every_settled=3,
                detect_every_unsettled=1,
                unreadable_after=after,
            )
        )
        drive(tracker, 3)  # confident
        junk = (20.0, 10.0, 120.0, 300.0)
        for i in range(looks):
            t = 0.3 + i / 10
            tracker.update("cam1", 3 + i, at(t), draw_frame([(junk, "")]), [obs(3 + i, t, junk, None)])
        assert [tracker.wants_detection("cam1") for _ in range(3)] == ([True] * 3 if held else [False, False, True])
    # Read as a plate at last: it is an unsettled passage again.
    tracker = IouTracker(
        TrackerConfig(min_reads=2, hit_confidence=0.5, detect_every_settled=3, detect_every_unsettled=1)
    )
    drive(tracker, 3)
    for i in range(6):
        ti = 0.3 + i / 10
        read = make_read("ZZZZ99", 0.3) if i == 5 else None
        tracker.update("cam1", 3 + i, at(ti), draw_frame([(junk, "ZZZZ99")]), [obs(3 + i, ti, junk, read)])
    assert all(tracker.wants_detection("cam1") for _ in range(3))


def _feed(tracker: IouTracker, reads: list[tuple[str, float]], w: float = 40) -> list[TrackUpdate]:
    """One plate approaching: each read on its own frame, 25 fps, the box barely moving."""
    out = []
    for i, (text, conf) in enumerate(reads):
        box = moving_box(i, dx=2, w=w)
        image = draw_frame([(box, text)])
        out.append(tracker.update("c", i, at(i / 25), image, [obs(i, i / 25, box, make_read(text, conf))]))
    return out


def test_far_misreads_do_not_outvote_one_near_read() -> None:
    """A read weighs the square of its width's share of full_weight_width_px: three reads of a 35-px far plate
    (right 1 time in 4 at that size, `anpr bench reads`) weigh 3 x 0.1225, one 90-px read 0.81. In proportion
    (3 x 0.35 against 0.9) the far misreads won."""
    tracker = IouTracker(TrackerConfig(min_reads=10, confirm_reads=0, full_weight_width_px=100))
    for i, (width, text) in enumerate(((35.0, "BBCL13"), (35.0, "BBCL13"), (35.0, "BBCL13"), (90.0, "BBCL12"))):
        box = (300.0 - width / 2, 200.0, 300.0 + width / 2, 200.0 + width / 3)
        tracker.update("cam1", i, at(i / 10), draw_frame([(box, text)]), [obs(i, i / 10, box, make_read(text))])
    (passage,) = tracker.flush()
    assert passage.consensus is not None and passage.consensus.text == "BBCL12"


def test_three_sure_reads_in_a_row_confirm_despite_early_misreads() -> None:
    """Far misreads keep the vote share under hit_confidence; the near plate read sure 3 times settles it."""
    early = [("CDPL56", 0.5), ("CDPL56", 0.5), ("GDPL56", 0.5), ("CDPL56", 0.5)]
    near = [("GDPL56", 0.97)] * 3
    for confirm, first_confident in ((3, len(early) + 2), (0, None)):
        updates = _feed(IouTracker(TrackerConfig(confirm_reads=confirm, hit_confidence=0.8)), early + near)
        when = next((i for i, u in enumerate(updates) if u.confident), None)
        assert when == first_confident, confirm
        if when is not None:
            consensus = updates[when].confident[0].consensus
            assert consensus is not None and consensus.text == "GDPL56" and consensus.confidence < 0.8


def test_a_confident_consensus_that_changes_text_is_reported_again() -> None:
    tracker = IouTracker(TrackerConfig(confirm_reads=0, read_every_confident=1))
    reads = [("BBCL12", 0.9)] * 2 + [("BBCL13", 0.99)] * 4
    texts = [u.confident[0].consensus.text for u in _feed(tracker, reads, w=100) if u.confident]  # type: ignore[union-attr]
    assert texts == ["BBCL12", "BBCL13"]  # confident at the 2nd read, then again once the vote turned


def test_after_a_second_unseen_only_the_plate_text_finds_a_passage_again() -> None:
    """A gate: the next car stops where the last one did, 1.2 s later (within max_gap_s)."""
    box = moving_box(0)
    for second, read, passages in (("BBCL12", True, 1), ("HZTV41", False, 2), ("HZTV41", True, 2)):
        tracker = IouTracker(TrackerConfig(max_gap_s=2.0, text_only_after_s=1.0))
        for i in range(3):
            tracker.update(
                "c", i, at(i / 10), draw_frame([(box, "BBCL12")]), [obs(i, i / 10, box, make_read("BBCL12"))]
            )
        # Unread, or reading the same plate or another: only the same plate rejoins.
        r = make_read(second) if read else None
        tracker.update("c", 3, at(1.4), draw_frame([(box, second)]), [obs(3, 1.4, box, r)])
        done = tracker.flush()
        assert len(done) == passages, (second, read)


def test_a_sure_read_of_another_plate_at_the_same_place_begins_a_new_passage() -> None:
    """The queue: a confident passage refuses the next car's sure read after a short gap of empty road,
    while a confused character (K/X) stays with it, and so does a read on the very next frames at the same
    place, size and look: a far plate's confident misread, not a new car (none arrives that fast)."""
    box = moving_box(0)
    for text, t, passages in (("HZTV41", 0.5, 2), ("HZTV41", 0.4, 2), ("BBCX12", 0.5, 1), ("HZTV41", 0.24, 1)):
        tracker = IouTracker(TrackerConfig(max_gap_s=2.0))
        for i in range(3):
            tracker.update(
                "c", i, at(i / 10), draw_frame([(box, "BBCK12")]), [obs(i, i / 10, box, make_read("BBCK12"))]
            )
        tracker.update("c", 3, at(t), draw_frame([(box, text)]), [obs(3, t, box, make_read(text))])
        done = tracker.flush()
        assert len(done) == passages, (text, t)
        assert {p.consensus.text for p in done if p.consensus} >= {"BBCK12"}


def test_a_passage_never_confident_is_handed_out_for_its_hotlist_check_once_out_of_sight() -> None:
    """A hit on a plate read unsurely must not wait for max_gap_s after the car has left view."""
    reads = [("GDPL56", 0.5), ("CDPL56", 0.5), ("GDPL56", 0.5)]  # never confident: share and reads too weak
    for after, expect in ((0.5, [0.6]), (0.0, [])):
        tracker = IouTracker(TrackerConfig(max_gap_s=2.0, hit_when_unseen_s=after))
        updates = _feed(tracker, reads)
        assert not any(u.confident for u in updates)
        last = (len(reads) - 1) / 25
        handed: list[float] = []
        for k, dt in enumerate((0.2, 0.4, 0.6, 0.8, 1.0)):  # empty road
            u = tracker.update("c", len(reads) + k, at(last + dt), draw_frame([]), [])
            if u.confident:
                assert u.confident[0].consensus is not None and u.confident[0].consensus.text == "GDPL56"
                handed.append(dt)
        assert handed == expect, after  # once, at the first frame past 0.5 s unseen; never with 0
        assert len(tracker.update("c", 99, at(last + 2.1), draw_frame([]), []).ended) == 1  # it still ends


def test_a_passage_seen_again_may_be_handed_out_again_and_a_confident_one_never() -> None:
    tracker = IouTracker(TrackerConfig(max_gap_s=3.0, text_only_after_s=2.0, hit_when_unseen_s=0.5))
    box = moving_box(0)
    seen = [0.0, 0.04, 0.08, 1.0]  # a gap of 0.92 s: handed out at 0.7, then seen again at 1.0
    handed = []
    for i, t in enumerate([0.0, 0.04, 0.08, 0.7, 1.0, 1.3, 1.6]):
        o = [obs(i, t, box, make_read("GDPL56", 0.3))] if t in seen else []  # too unsure to be confident
        u = tracker.update("c", i, at(t), draw_frame([(box, "GDPL56")] if o else []), o)
        handed += [t] * len(u.confident)
    assert handed == [0.7, 1.6]
    sure = IouTracker(TrackerConfig(hit_when_unseen_s=0.5))
    updates = [*_feed(sure, [("GDPL56", 0.97)] * 3), sure.update("c", 9, at(1.5), draw_frame([]), [])]
    assert sum(len(u.confident) for u in updates) == 1  # confident once, in view; not again once out of sight


def test_a_one_frame_misread_as_the_car_leaves_is_dropped_but_a_car_seen_twice_is_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The gantry clip with a lane roi: PRKK21, confident, leaves at the roi's bottom edge; on the next frame
    its cut plate, detected where it was predicted, reads DRKK21 at 0.59 (P/D: no reader's confusion) and
    began a passage of its own, a fuzzy hit on the listed PRKK21 sent a second time. A single glimpse one
    character off a confident passage at its place is that passage's misread; read on two frames it is a
    car of its own (a fleet's next car, one character off), and so is a glimpse of a plate two characters
    off."""
    box = moving_box(0)
    for text, glimpses, passages in (("BBCK13", 1, 1), ("BBCK13", 2, 2), ("BBCK73", 1, 2)):
        tracker = IouTracker(TrackerConfig(max_gap_s=2.0))
        for i in range(3):
            tracker.update(
                "c", i, at(i / 10), draw_frame([(box, "BBCK12")]), [obs(i, i / 10, box, make_read("BBCK12"))]
            )
        for j in range(glimpses):
            t = 0.5 + j / 10  # after a short gap: no smooth continuation, so the confident passage refuses it
            tracker.update("c", 3 + j, at(t), draw_frame([(box, text)]), [obs(3 + j, t, box, make_read(text))])
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="anpr.track.tracker"):
            done = tracker.flush()
        assert next(p.consensus.text for p in done if p.consensus) == "BBCK12"
        assert len(done) == passages, (text, glimpses)
        dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
        assert len(dropped) == (passages == 1), (text, dropped)
        if passages == 1:
            assert f"({text}, 1 read(s)) dropped: a misread of confident passage c-000001 (BBCK12)" in dropped[0]


def test_two_sure_reads_one_character_off_a_confident_passage_it_is_seen_again_after_are_its_misread() -> None:
    """The real-photo gate clip: BYVR68, confident, jumped where its prediction did not follow; the next whole
    frame read B for R at 1.0 (no reader's confusion, so refused) and a window read it again at 0.8: confident
    on two reads, the split-off passage went out as a second car, BYVB68, though BYVR68 was seen again right
    after. A passage split off a confident one and reading its plate but for one character needs a third read
    to be a car of its own; until then the parent seen again after it folds it. Read three times, it stays."""
    for reads, passages in ((2, 1), (3, 2)):
        tracker = IouTracker(TrackerConfig(max_gap_s=2.0, min_reads=2, hit_confidence=0.8))
        box = moving_box(0)
        for i in range(3):
            tracker.update(
                "c", i, at(i / 10), draw_frame([(box, "BBCK12")]), [obs(i, i / 10, box, make_read("BBCK12"))]
            )
        updates = []
        for j in range(reads):
            t = 0.5 + j / 25  # after a short gap: no smooth continuation, so the confident passage refuses it
            r = make_read("BBCK13", 1.0)
            updates.append(tracker.update("c", 3 + j, at(t), draw_frame([(box, "BBCK13")]), [obs(3 + j, t, box, r)]))
        far = (400.0, 300.0, 480.0, 330.0)  # the parent again, elsewhere, read as itself
        t = 0.5 + reads / 25
        tracker.update("c", 9, at(t), draw_frame([(far, "BBCK12")]), [obs(9, t, far, make_read("BBCK12"))])
        done = tracker.flush()
        assert len(done) == passages, reads
        assert any(u.confident for u in updates) == (reads == 3)


def test_a_passage_handed_out_for_its_hotlist_check_is_never_folded_into_its_parent() -> None:
    """A passage never confident, split off a confident one, is dropped as its misread when the parent is seen
    again after it; but once handed out for its hotlist check out of sight (`hit_when_unseen_s`) it may have
    raised a hit, and a hit once raised is never silently withdrawn: its passage ends, so its event follows."""
    for unseen_s, passages in ((0.5, 2), (0.0, 1)):
        tracker = IouTracker(TrackerConfig(max_gap_s=2.0, hit_when_unseen_s=unseen_s))
        box = moving_box(0)
        for i in range(3):
            tracker.update(
                "c", i, at(i / 10), draw_frame([(box, "BBCK12")]), [obs(i, i / 10, box, make_read("BBCK12"))]
            )
        for j, t in enumerate((0.6, 0.64)):  # another plate, unsure: a passage of its own, never confident
            r = make_read("BBCK73", 0.5)
            tracker.update("c", 3 + j, at(t), draw_frame([(box, "BBCK73")]), [obs(3 + j, t, box, r)])
        handed = tracker.update("c", 5, at(1.3), draw_frame([]), []).confident
        assert [p.consensus.text for p in handed if p.consensus] == (["BBCK73"] if unseen_s else [])
        far = (400.0, 300.0, 480.0, 330.0)  # the parent seen again after it
        tracker.update("c", 6, at(1.4), draw_frame([(far, "BBCK12")]), [obs(6, 1.4, far, make_read("BBCK12"))])
        assert len(tracker.flush()) == passages, unseen_s
