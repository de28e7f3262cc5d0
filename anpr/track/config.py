"""Config of tracking and multi-frame consensus (`[tracker]`)."""

from __future__ import annotations

from pydantic import Field

from anpr.core.settings import Section


class TrackerConfig(Section):
    max_gap_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="a passage ends after this long unseen (a plate hidden by a passing bus keeps its passage; "
        "the next car is told apart by its plate text, not by this gap)",
    )
    text_only_after_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="a passage unseen for longer than this is found again only by a read of its plate (until "
        "max_gap_s): a detection at its place that reads nothing or another plate begins a new passage",
    )
    hit_when_unseen_s: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="a passage never confident and unseen this long has its consensus checked against the hotlist "
        "now, as its end would max_gap_s later (a hit on a car that has left view comes within a second; 0: at "
        "the end only)",
    )
    min_iou: float = Field(default=0.1, ge=0.0, le=1.0, description="minimum IoU to join a detection to a track")
    hit_confidence: float = Field(
        default=0.8, ge=0.0, le=1.0, description="consensus confidence that raises an early hit"
    )
    min_reads: int = Field(default=2, ge=1, le=100, description="reads needed before a consensus counts")
    confirm_reads: int = Field(
        default=3,
        ge=0,
        le=100,
        description="this many latest reads, each equal to the consensus and at least hit_confidence, make it "
        "confident even while early small-crop misreads hold its vote share down (0: off)",
    )
    max_center_shift: float = Field(
        default=1.0,
        ge=0.0,
        le=10.0,
        description="when IoU is too low, still join a detection whose centre lies within this many plate "
        "widths of the track's predicted centre (fast or small plates; 0 turns it off)",
    )
    max_passage_s: float = Field(
        default=120.0, gt=0, le=3600, description="a passage open this long is ended and a new one begun (parked cars)"
    )
    max_observations: int = Field(
        default=300, ge=1, le=100_000, description="observations and reads kept per passage (the most recent)"
    )
    full_weight_width_px: float = Field(
        default=100.0,
        gt=0,
        le=10_000,
        description="plates narrower than this (px) weigh less in the vote, as the square of their share of it "
        "(small crops misread more: a 30-px read weighs 0.09, a 50-px one 0.25)",
    )
    # Measured on the sample clips (each read against the truth box it falls on): plates under 30 px read
    # right 3 times in 62 (patrol, night_ir), 30-40 px 15 in 67; skipping them left every event the same
    # (patrol reads 163 -> 109, night_ir 93 -> 70). Motorcycle plates have taller characters for their width.
    min_read_width_px: float = Field(
        default=30.0,
        ge=0,
        le=10_000,
        description="plates narrower than this (frame px) are tracked but not read: too few pixels per character",
    )
    read_every_confident: int = Field(
        default=4,
        ge=1,
        le=100,
        description="once a passage's consensus is confident, read its plate only every Nth frame (1: every frame)",
    )
    detect_every_settled: int = Field(
        default=3,
        ge=1,
        le=10,
        description="while every open passage of a camera is confident, run the detector on every Nth frame only",
    )
    detect_every_unsettled: int = Field(
        default=3,
        ge=1,
        le=10,
        description="while a passage is not yet confident, detect the whole frame on every Nth frame only and, on "
        "the frames between, look only around the plates of such passages (with the detector's focus_model; "
        "without it every such frame is detected whole). A vehicle entering meanwhile is found at most N-1 "
        "frames later (1: every frame whole)",
    )
    unreadable_after: int = Field(
        default=5,
        ge=0,
        le=1000,
        description="a passage detected this many times without one valid read (a sign, a window, a plate still "
        "too far to read) no longer keeps the detector on every frame (detect_every_settled); read, it does again "
        "(0: off)",
    )
    other_plate_confidence: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="a read at least this sure of another plate (two characters off, one that no reader "
        "confuses, or another length) never joins a passage whose consensus is confident, unless it carries "
        "the passage on smoothly (a few frames, the predicted place, size and look): a new passage begins",
    )
    min_look: float = Field(
        default=0.7,
        ge=-1.0,
        le=1.0,
        description="correlation of a detection's grey thumbnail with its passage's last one below which it "
        "is read before it joins a settled passage (a change of car on the fast path)",
    )
    alternative_weight: float = Field(
        default=0.3, ge=0.0, le=1.0, description="vote weight of a read's alternatives relative to its best string"
    )
