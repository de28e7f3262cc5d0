"""Config of the plate reader (`[reader]`)."""

from __future__ import annotations

from pydantic import Field

from anpr._config_base import Section


class ReaderConfig(Section):
    model: str = Field(default="models/plate-reader.onnx", description="ONNX recognition model file")
    threads: int = Field(default=1, ge=1, le=64, description="onnxruntime intra-op threads")
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0, description="reads below this are kept as unreadable")
    top_k: int = Field(default=5, ge=1, le=50, description="valid alternatives kept per read")
    decreed_formats: bool = Field(default=False, description="accept the decreed 5+1 car and 4+1 motorcycle formats")
