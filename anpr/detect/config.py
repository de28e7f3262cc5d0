"""Config of the plate detector (`[detector]`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from anpr.core.datafiles import DataPath
from anpr.core.settings import Section

Roi = tuple[float, float, float, float]


def roi_pixels(roi: Roi, width: int, height: int) -> tuple[int, int, int, int]:
    """`roi` (fractions) as pixel bounds x1, y1, x2, y2 of a width×height frame, never empty."""
    x1, y1 = round(roi[0] * width), round(roi[1] * height)
    return x1, y1, max(x1 + 1, round(roi[2] * width)), max(y1 + 1, round(roi[3] * height))


class MotionConfig(Section):
    enabled: bool = Field(
        default=False,
        description="skip the detector on frames of a still scene with no plate in view (fixed cameras; "
        "a moving camera always sees motion and skips nothing)",
    )
    width: int = Field(default=160, ge=32, le=640, description="width the frame is shrunk to for the comparison")
    threshold: int = Field(default=10, ge=1, le=255, description="grey-level change that counts a pixel as moved")
    min_area: float = Field(
        default=0.0005, ge=0.0, le=1.0, description="share of the shrunk frame's pixels that must move to detect"
    )
    idle_every: int = Field(
        default=12, ge=1, le=250, description="detect at least every this many frames, motion or not"
    )


class DetectorConfig(Section):
    model: DataPath = Field(
        default="models/plate-detector.onnx",
        validate_default=True,
        description="ONNX model file (relative: from the working folder, else the one shipped in the package)",
    )
    sha256: str = Field(
        default="",
        pattern=r"^([0-9a-f]{64})?$",
        description="expected sha256 of the model; empty: read it from the sidecar file `<model>.sha256`",
    )
    wide_model: str = Field(
        default="auto",
        description="the same detector with a wide input (`anpr train resize-detector --size 640x384`) for "
        "frames at least as wide as it (16:9 cameras): the square input's pixels per plate in ~60 % of the work. "
        "auto: `<model>-640x384.onnx` beside `model` when it exists and was made from it, and any shorter "
        "`<model>-640xH.onnx` there for a roi's wider crops (lane variants, opened on first use); a path: that "
        "file only; empty: every frame letterboxed into `model`'s input",
    )
    wide_sha256: str = Field(
        default="",
        pattern=r"^([0-9a-f]{64})?$",
        description="expected sha256 of wide_model; empty: read it from the sidecar file `<wide_model>.sha256`",
    )
    focus_model: str = Field(
        default="auto",
        description="the same detector with a small input (`anpr train resize-detector --size 320x192`) run on "
        "windows around the plates of passages not yet settled, between whole-frame detections "
        "(tracker.detect_every_unsettled): ~30 % of the whole pass's work each. auto: `<model>-320x192.onnx` "
        "beside `model` when it exists and was made from it; a path: that file; empty: off (every frame with an "
        "unsettled passage is detected whole)",
    )
    conf_threshold: float = Field(default=0.25, ge=0.0, le=1.0, description="minimum box score")
    iou_threshold: float = Field(default=0.45, ge=0.0, le=1.0, description="NMS IoU threshold")
    max_detections: int = Field(default=20, ge=1, le=1000, description="most plates kept per frame")
    # 2 by default: measured best with one inference worker on a quiet 2-core box (docs/performance.md).
    threads: int = Field(
        default=2,
        ge=0,
        le=64,
        description="onnxruntime intra-op threads; 0: half the cores (with inference_workers = 2)",
    )
    allow_spinning: bool = Field(
        default=False,
        description="let onnxruntime threads busy-wait between runs (faster alone, steals CPU from capture/OCR)",
    )
    providers: tuple[str, ...] = Field(
        default=("CPUExecutionProvider",),
        description="onnxruntime execution providers, in order (e.g. CUDAExecutionProvider on a Jetson)",
    )
    roi: dict[str, Roi] = Field(
        default_factory=dict,
        description=(
            "region of interest per camera id: [x1, y1, x2, y2] as fractions (0..1) of the frame; "
            "the detector sees only that crop (e.g. the gantry lane), boxes come back in frame pixels"
        ),
    )

    motion: MotionConfig = Field(
        default_factory=MotionConfig, description="skip the detector on a still, empty scene (anpr/detect/motion.py)"
    )

    @field_validator("roi")
    @classmethod
    def _check_roi(cls, value: dict[str, Roi]) -> dict[str, Roi]:
        for cam, (x1, y1, x2, y2) in value.items():
            if not (0.0 <= x1 < x2 <= 1.0 and 0.0 <= y1 < y2 <= 1.0):
                raise ValueError(
                    f"roi for camera {cam!r} must be [x1, y1, x2, y2] fractions with 0 <= x1 < x2 <= 1 "
                    f"and 0 <= y1 < y2 <= 1, got {[x1, y1, x2, y2]}"
                )
        return value
