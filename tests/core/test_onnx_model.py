"""The one model-file check and session builder (anpr/core/onnx_model.py) on a real model and onnxruntime."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from anpr.core.onnx_model import (
    ModelError,
    ModelSource,
    SessionSettings,
    file_sha256,
    load_model,
    open_session,
    recorded_sha256,
    verify_model,
    write_sha256,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tests" / "data" / "crnn-random.onnx"
REBUILD = "rebuild it with `anpr train something`"


@pytest.fixture
def model(tmp_path: Path) -> Path:
    copy = tmp_path / "m.onnx"
    shutil.copy(SHIPPED, copy)
    write_sha256(copy)
    return copy


def src(path: Path, sha256: str | None = "") -> ModelSource:
    return ModelSource(path, sha256, REBUILD, "sec.model", "sec.sha256")


def test_the_sidecar_is_sha256sum_format_and_its_hash_is_checked(model: Path) -> None:
    digest = file_sha256(model)
    assert model.with_name("m.onnx.sha256").read_text() == f"{digest}  m.onnx\n"  # what sha256sum writes
    assert verify_model(src(model)) == digest
    # upper-case hex (some tools write it) is the same hash; the first token is all that is read
    model.with_name("m.onnx.sha256").write_text(digest.upper() + "\n")
    assert recorded_sha256(src(model)) == digest
    assert verify_model(src(model, digest.upper())) == digest  # a configured hash, either case


def test_a_wrong_hash_names_both_and_the_fix(model: Path) -> None:
    other = "ab" * 32
    model.with_name("m.onnx.sha256").write_text(f"{other}  m.onnx\n")
    msg = f"{model}: sha256 {file_sha256(model)} does not match the recorded {other}"
    with pytest.raises(ModelError, match=re.escape(msg) + r".*anpr train something.*set sec\.sha256"):
        verify_model(src(model))
    with pytest.raises(ModelError, match="does not match the recorded"):
        verify_model(src(model, "0" * 64))  # a configured hash is checked the same way
    assert verify_model(src(model, None)) == file_sha256(model)  # None: not checked, still hashed


@pytest.mark.parametrize(
    "text",
    ["", "\n", "abc  m.onnx\n", "g" * 64 + "  m.onnx\n", "a" * 65 + "\n", "a" * 63 + "\n", "\xff" * 64],
)
def test_a_malformed_sidecar_is_refused(model: Path, text: str) -> None:
    model.with_name("m.onnx.sha256").write_bytes(text.encode("latin-1"))
    with pytest.raises(ModelError, match=r"m\.onnx\.sha256: does not start with a 64-hex-digit sha256"):
        verify_model(src(model))


def test_a_huge_sidecar_is_not_read_whole(model: Path) -> None:
    model.with_name("m.onnx.sha256").write_bytes(b"a" * 10_000_000)
    with pytest.raises(ModelError, match="does not start with a 64-hex-digit sha256"):
        verify_model(src(model))


def test_missing_sidecar_and_missing_model(model: Path) -> None:
    model.with_name("m.onnx.sha256").unlink()
    how = re.escape("no sha256 sidecar m.onnx.sha256") + ".*" + re.escape("`sha256sum m.onnx > m.onnx.sha256`")
    with pytest.raises(ModelError, match=how):
        verify_model(src(model))
    with pytest.raises(ModelError, match=r"nope\.onnx: model file not found; rebuild it .*or set sec\.model"):
        verify_model(src(model.with_name("nope.onnx")))


def test_session_builder_refuses_an_unknown_provider(model: Path) -> None:
    with pytest.raises(ModelError, match=r"sec\.providers: unknown onnxruntime execution provider 'CUDA'.*valid"):
        open_session(model, SessionSettings(providers=("CUDA", "CPUExecutionProvider"), providers_key="sec.providers"))


def test_session_builder_skips_an_absent_provider_with_a_warning(model: Path, caplog: pytest.LogCaptureFixture) -> None:
    import onnxruntime as ort

    absent = next(p for p in ort.get_all_providers() if p not in ort.get_available_providers())
    settings = SessionSettings(threads=1, providers=(absent, "CPUExecutionProvider"), providers_key="sec.providers")
    with caplog.at_level(logging.WARNING):
        session, digest = load_model(src(model), settings)
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert digest == file_sha256(model)
    assert f"sec.providers: not in this onnxruntime build, skipped: {absent}" in caplog.text
    with pytest.raises(ModelError, match=rf"none of sec\.providers \['{absent}'\] is available"):
        open_session(model, SessionSettings(providers=(absent,), providers_key="sec.providers"))


def test_an_unloadable_file_is_a_model_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a graph" * 10)
    with pytest.raises(ModelError, match=r"junk\.onnx: onnxruntime cannot load the model .*anpr train something"):
        open_session(junk, SessionSettings(), REBUILD)
