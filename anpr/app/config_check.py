"""`anpr config check`: every file a config names exists and can be read, and the models' hashes match.

The TOML being valid is not enough: `anpr run` stops at start on a missing model, key, CA or password file.
This finds all of those at once, one line per problem naming the key, the file and what to do, so a
technician fixes them in one round before the service is started.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from anpr.app.config import AppConfig
from anpr.core.onnx_model import ModelError, ModelSource, verify_model

__all__ = ["config_problems"]


def _readable(key: str, path: str | None, what: str) -> Iterator[str]:
    """A problem line when `path` is set but is not a readable regular file."""
    if not path:
        return
    p = Path(path)
    if not p.exists():
        yield f"{key} = {path!r}: {what} not found (check the path, or copy the file there)"
    elif not p.is_file():
        yield f"{key} = {path!r}: not a regular file (expected the {what})"
    else:
        try:
            with open(p, "rb") as f:
                f.read(1)
        except OSError as err:
            yield f"{key} = {path!r}: {what} cannot be read ({err.strerror}); fix its owner or mode"


def _model(key: str, sha_key: str, path: str, sha256: str | None, rebuild: str) -> Iterator[str]:
    problems = list(_readable(key, path, "model file"))
    if problems:
        yield from problems
        return
    try:
        verify_model(ModelSource(Path(path), sha256, rebuild, key, sha_key))
    except ModelError as err:
        yield f"{key}: {err}"


def _models(cfg: AppConfig) -> Iterator[str]:
    from anpr.detect import yolo_onnx
    from anpr.detect.focus import focus_path
    from anpr.detect.wide import lane_variants, wide_path
    from anpr.ocr import crnn, ppocr

    d = cfg.detector
    yield from _model("detector.model", "detector.sha256", d.model, d.sha256, yolo_onnx.REBUILD)
    wide = wide_path(d)
    if wide is not None:
        yield from _model(
            "detector.wide_model", "detector.wide_sha256", str(wide), d.wide_sha256, yolo_onnx.REBUILD_WIDE
        )
    for _, _, lane in lane_variants(d, wide):  # found beside the model by `auto`: checked as the run will
        yield from _model("detector.model", "detector.sha256", str(lane), "", yolo_onnx.REBUILD_LANE)
    focus = focus_path(d)
    if focus is not None:
        yield from _model("detector.focus_model", "detector.sha256", str(focus), "", yolo_onnx.REBUILD_FOCUS)
    r = cfg.reader
    if r.backend == "crnn":
        yield from _model("reader.crnn_model", "reader.crnn_sha256", r.crnn_model, r.crnn_sha256, crnn.REBUILD)
    else:
        yield from _model("reader.model", "reader.sha256", r.model, r.sha256, ppocr.REBUILD)


def _cameras(cfg: AppConfig) -> Iterator[str]:
    for i, cam in enumerate(cfg.cameras):
        key = f"cameras[{i}].uri"
        if cam.kind == "file":
            yield from _readable(key, cam.uri, f"video file of camera {cam.id!r}")
        elif cam.kind == "images" and not Path(cam.uri).is_dir():
            yield f"{key} = {cam.uri!r}: image folder of camera {cam.id!r} not found"
        elif cam.kind == "usb" and cam.uri.startswith("/") and not Path(cam.uri).exists():
            yield f"{key} = {cam.uri!r}: camera device not present (plugged in? a udev symlink is best)"


def _hotlist(cfg: AppConfig) -> Iterator[str]:
    from anpr.hotlist.keys import load_public_key

    h = cfg.hotlist
    yield from _readable("hotlist.csv", h.csv, "hotlist CSV")
    for i, spec in enumerate(h.trusted_keys):
        try:
            load_public_key(spec)
        except ValueError as err:
            yield f"hotlist.trusted_keys[{i}]: {err}"
    if h.file and not Path(h.file).parent.is_dir():  # the file itself may not have been delivered yet
        yield f"hotlist.file = {h.file!r}: its folder {str(Path(h.file).parent)!r} does not exist"
    yield from _readable("hotlist.https_ca", h.https_ca, "CA bundle")
    yield from _readable("hotlist.mqtt_ca", h.mqtt_ca, "CA bundle")
    yield from _readable("hotlist.mqtt_certfile", h.mqtt_certfile, "client certificate")
    yield from _readable("hotlist.mqtt_keyfile", h.mqtt_keyfile, "client key")
    yield from _readable("hotlist.mqtt_password_file", h.mqtt_password_file, "password file")


def _uplink(cfg: AppConfig) -> Iterator[str]:
    u = cfg.uplink
    yield from _readable("uplink.ca_file", u.ca_file, "CA bundle")
    yield from _readable("uplink.cert_file", u.cert_file, "client certificate")
    yield from _readable("uplink.key_file", u.key_file, "client key")
    yield from _readable("uplink.password_file", u.password_file, "password file")
    yield from _readable("uplink.alert_sound", u.alert_sound, "alert sound")


def _gps(cfg: AppConfig) -> Iterator[str]:
    g = cfg.gps
    if g.kind == "replay":
        yield from _readable("gps.replay_path", g.replay_path, "NMEA log")
    elif g.kind == "serial" and not Path(g.serial_port).exists():
        yield f"gps.serial_port = {g.serial_port!r}: device not present (receiver plugged in? a udev symlink is best)"


def _state_dir(cfg: AppConfig) -> Iterator[str]:
    p = Path(cfg.state_dir)
    existing = next((q for q in (p, *p.parents) if q.exists()), None)
    if existing is None or not existing.is_dir():
        yield f"state_dir = {cfg.state_dir!r}: {existing} is not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        yield f"state_dir = {cfg.state_dir!r}: {existing} is not writable by this user (the service's user needs it)"


def config_problems(cfg: AppConfig) -> list[str]:
    """One line per file the config names that is missing, unreadable or (models) not the recorded one."""
    return [*_models(cfg), *_cameras(cfg), *_hotlist(cfg), *_uplink(cfg), *_gps(cfg), *_state_dir(cfg)]
