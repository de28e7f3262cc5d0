"""Properties of the tracker on generated detection streams (issue 16), on real drawn frames.

- Vehicles following each other at about the same place (a queue, parked cars, a gate), each read surely
  at least twice: two different plates never share a passage, whatever the gaps, sizes and places.
- A plate hidden for less than max_gap_s and found again (read) where its motion takes it keeps its passage.
"""

from __future__ import annotations

from helpers.track import at, draw_frame, make_read, obs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anpr.track.config import TrackerConfig
from anpr.track.identity import other_plate
from anpr.track.tracker import IouTracker
from anpr.types import Passage

# Valid car plates, pairwise other plates (two or more characters apart, or one that no reader confuses).
PLATES = ("BCDF12", "GHJK34", "KLPR56", "PRST78", "STVW91", "DFGH89", "HJKL13", "RSTV35", "RSTV36", "ZBCD57")
FPS = 25

vehicle = st.fixed_dictionaries(
    {
        "frames": st.integers(3, 12),
        "x": st.floats(150, 350),
        "y": st.floats(150, 300),
        "w": st.floats(50, 140),
        "dx": st.floats(-6, 6),
        "dy": st.floats(0, 8),
        "unread": st.sets(st.integers(2, 11), max_size=3),  # frames after the second whose read failed
        # Empty road before the next vehicle. Under 0.15 s (a few frames) at the predicted place, size and
        # look, the tracker takes a detection for the same plate whatever it reads (a far plate's confident
        # misread must not split its car); no plate leaves and another comes that fast.
        "gap_s": st.floats(0.16, 1.9),
    }
)


def _passages(tracker: IouTracker, ended: list[Passage]) -> list[Passage]:
    return ended + tracker.flush()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(vehicle, min_size=2, max_size=5), st.permutations(PLATES))
def test_two_plates_never_share_a_passage(vehicles: list[dict[str, object]], texts: list[str]) -> None:
    tracker = IouTracker(TrackerConfig(max_gap_s=2.0))
    owner: dict[int, int] = {}  # frame -> vehicle
    ended: list[Passage] = []
    seq, t = 0, 0.0
    for k, v in enumerate(vehicles):
        text = texts[k]
        w, x, y, dx, dy = (float(v[key]) for key in ("w", "x", "y", "dx", "dy"))  # type: ignore[arg-type]
        for i in range(int(v["frames"])):  # type: ignore[call-overload]
            box = (x + dx * i, y + dy * i, x + dx * i + w, y + dy * i + w * 0.3)
            read = None if i in v["unread"] else make_read(text, 0.95)  # type: ignore[operator]
            image = draw_frame([(box, text)])
            ended += tracker.update("c", seq, at(t), image, [obs(seq, t, box, read)]).ended
            owner[seq] = k
            seq, t = seq + 1, t + 1 / FPS
        t += float(v["gap_s"])  # type: ignore[arg-type]
    for p in _passages(tracker, ended):
        readers = {owner[o.frame_seq] for o in p.observations if o.read is not None}
        assert len(readers) <= 1, f"{p.passage_id} holds reads of vehicles {sorted(readers)}"
        if p.consensus is not None:
            assert p.consensus.text in texts[: len(vehicles)]
    assert all(other_plate(make_read(a), make_read(b)) for a in PLATES for b in PLATES if a != b)


@settings(max_examples=40, deadline=None)
@given(
    before=st.integers(3, 10),
    hidden_s=st.floats(0.05, 1.9),
    after=st.integers(1, 6),
    dx=st.floats(-40, 40),
    dy=st.floats(0, 40),
    w=st.floats(40, 140),
    reread=st.booleans(),
)
def test_a_plate_found_again_within_max_gap_keeps_its_passage(
    before: int, hidden_s: float, after: int, dx: float, dy: float, w: float, reread: bool
) -> None:
    """Hidden by a bus for `hidden_s` (< max_gap_s) and seen again where its motion took it."""
    tracker = IouTracker(TrackerConfig(max_gap_s=2.0))
    ended: list[Passage] = []
    speed = (dx * FPS / 10, dy * FPS / 10)  # px/s: up to 100 px/s sideways, 100 px/s down

    def box_at(t: float) -> tuple[float, float, float, float]:
        x, y = 100 + speed[0] * t + 100, 100 + speed[1] * t
        return (x, y, x + w, y + w * 0.3)

    times = [i / FPS for i in range(before)]
    last = times[-1]
    times += [last + hidden_s + i / FPS for i in range(after)]
    for seq, t in enumerate(times):
        box = box_at(t)
        # Seen again, the plate is read (the pipeline reads whatever does not smoothly continue a settled
        # passage: `settled`); after that its reads may fail or be skipped.
        read = make_read("BCDF12", 0.95) if t <= last or seq == before or reread else None
        ended += tracker.update("c", seq, at(t), draw_frame([(box, "BCDF12")]), [obs(seq, t, box, read)]).ended
    passages = _passages(tracker, ended)
    assert len(passages) == 1, [(p.passage_id, len(p.observations)) for p in passages]
    assert len(passages[0].observations) == len(times)
