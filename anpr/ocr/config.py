"""Config of the plate reader (`[reader]`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from anpr.core.datafiles import DataPath
from anpr.core.settings import Section


class ReaderConfig(Section):
    backend: Literal["ppocr", "crnn"] = Field(
        default="ppocr",
        description="reader implementation: ppocr (PP-OCRv4 rec, `model`) or crnn (plate-trained, `crnn_model`)",
    )
    crnn_model: DataPath = Field(
        default="models/plate-recognizer.onnx", validate_default=True, description="ONNX model of the crnn backend"
    )
    crnn_sha256: str | None = Field(
        default="",
        pattern=r"^([0-9a-f]{64})?$",
        description="expected sha256 of crnn_model; empty: read it from `<crnn_model>.sha256`; null skips the check",
    )
    # int8 by default: measured 19-23 % less time per crop than the fp32 plate-reader.onnx, with exact reads
    # equal or better on every eval set (models/plate-reader.md).
    model: DataPath = Field(
        default="models/plate-reader-int8.onnx",
        validate_default=True,
        description="ONNX recognition model file (models/plate-reader.onnx: the fp32 original)",
    )
    sha256: str | None = Field(
        default="",
        pattern=r"^([0-9a-f]{64})?$",
        description="expected sha256 of the model file; empty: read it from `<model>.sha256`; null skips the check",
    )
    # Measured on degraded renders (`anpr bench two-rows`): motorcycles 218/300 exact without, 287/300
    # with 0.45 (the renderer's rows meet at 0.43 of the plate); cars and train/chile_gate_overlay unchanged.
    two_row_cuts: tuple[float, ...] = Field(
        default=(0.45,),
        description="near-square crops are also read split into two rows at these fractions of their height "
        "(motorcycle plates whose rows the blobs did not separate); the likelier plate wins; () turns it off",
    )
    # 0.2: degraded motorcycle renders 290 -> 287/300, and no junk crop of the sample clips becomes a plate
    # (0: the patrol clip grew three phantom motorcycle reads).
    two_row_min_confidence: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description="a two-row reading replaces the one-row one only if its least sure character is at least this "
        "(junk near-square crops otherwise turn into motorcycle plates)",
    )
    threads: int = Field(default=1, ge=1, le=64, description="onnxruntime intra-op threads")
    providers: tuple[str, ...] = Field(
        default=("CPUExecutionProvider",),
        min_length=1,
        description="onnxruntime execution providers, in order (e.g. CUDAExecutionProvider on a Jetson)",
    )
    # 0 by default: the reader returns its best valid string with its confidence, and the tracker's vote
    # (weighted by confidence and plate size) decides. Measured with `anpr eval`: 0.0 → night crops 0.859,
    # chile_web 0.880 exact; 0.2 → 0.828 / 0.867; 0.5 → 0.744 / 0.867. The sample clips read the same.
    min_confidence: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="reads whose raw score (least character probability, before calibration) is below this are "
        "kept as unreadable",
    )
    calibration: str | None = Field(
        default="",
        description="table mapping the raw score to the probability that a read is exact (`anpr train calibrate`); "
        "empty: `<model>.calibration.json` beside the backend's model (raw scores, with a warning, when absent); "
        "null: raw scores",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="valid alternatives kept per read")
    decreed_formats: bool = Field(default=False, description="accept the decreed 5+1 car and 4+1 motorcycle formats")
    special_formats: bool = Field(default=True, description="accept diplomatic, police and trailer formats")
    height: int = Field(default=48, ge=16, le=128, description="model input height (PP-OCR rec: 48)")
    max_width: int = Field(default=320, ge=32, le=2048, description="widest model input; wider crops are squeezed")
    margin_x: float = Field(default=0.04, ge=0.0, le=0.5, description="crop margin, fraction of box width")
    margin_y: float = Field(
        default=0.0,
        ge=0.0,
        le=0.5,
        description="crop margin, fraction of box height (a taller crop shrinks the characters)",
    )
    clahe: bool = Field(default=True, description="local contrast equalisation before reading")
    deskew: bool = Field(default=True, description="level a tilted character line (when no corners are given)")
    char_band: bool = Field(default=True, description="crop one-row plates to their character line before reading")
    edge_floor: float = Field(
        default=0.1, gt=0.0, le=1.0, description="least cost-probability of skipping one frame at the crop's edges"
    )
    char_floor: float = Field(
        default=1e-3, ge=0.0, lt=1.0, description="least probability of a character the decoder may align"
    )
