"""Shared helpers of the deployment tests: a real notify socket, a gantry-like config, the daemon process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]

from helpers.uplink import free_port, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ANPR = Path(sys.executable).with_name("anpr")
SECRET = "S3cretCamPw"  # in the RTSP URL of the dead camera: must never reach a log, the status or /metrics

__all__ = [
    "ANPR",
    "ROOT",
    "SECRET",
    "Daemon",
    "NotifySocket",
    "free_port",
    "gantry_config",
    "scrape",
    "short_clip",
    "wait_until",
]


class NotifySocket:
    """The datagram socket systemd listens on for sd_notify; records every message with its arrival time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            for line in data.decode().splitlines():
                self.messages.append((time.monotonic(), line))

    def times(self, prefix: str) -> list[float]:
        return [t for t, m in list(self.messages) if m.startswith(prefix)]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def short_clip(tmp: Path, frames: int) -> Path:
    """The first `frames` frames of the gantry sample as their own file (the full clip is slow on a busy CI box)."""
    import cv2

    cap = cv2.VideoCapture(str(ROOT / "sample_videos" / "gantry_day.mp4"))
    out_path = tmp / "gantry_short.mp4"
    out = None
    for _ in range(frames):
        ok, img = cap.read()
        if not ok:
            break
        if out is None:
            h, w = img.shape[:2]
            out = cv2.VideoWriter(str(out_path), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (w, h))
        out.write(img)
    assert out is not None
    out.release()
    cap.release()
    return out_path


def gantry_config(tmp: Path, *, metrics_port: int, dead_camera: bool, video: Path | None = None) -> Path:
    """Gantry-like config: lane1 is the sample video standing in for RTSP; lane2 an RTSP camera nobody serves."""
    dead = ""
    if dead_camera:
        dead = f"""
[[cameras]]
id = "lane2"
kind = "rtsp"
uri = "rtsp://tecnico:{SECRET}@127.0.0.1:{free_port()}/stream1"
open_timeout_s = 1
read_timeout_s = 1
backoff_max_s = 2
"""
    text = f"""
device_id = "gantry-test-01"
state_dir = "{tmp / "state"}"

[[cameras]]
id = "lane1"
kind = "file"
uri = "{video or ROOT / "sample_videos" / "gantry_day.mp4"}"
read_timeout_s = 1
{dead}
[detector]
model = "{ROOT / "models" / "plate-detector.onnx"}"
threads = 1

[reader]
model = "{ROOT / "models" / "plate-reader-int8.onnx"}"

[hotlist]
csv = "{ROOT / "sample_videos" / "hotlist.csv"}"

[gps]
kind = "fixed"
fixed_lat = -29.8786
fixed_lon = -71.2465

[metrics]
enabled = true
port = {metrics_port}
status_interval_s = 1
"""
    path = tmp / "anpr.toml"
    path.write_text(text)
    return path


class Daemon:
    """`anpr run -c CONFIG` as a real process, stderr in a file that stands in for the journal stream."""

    def __init__(self, config: Path, notify: NotifySocket, tmp: Path) -> None:
        self.stderr_path = tmp / "journal.log"
        self._err = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        st = os.fstat(self._err.fileno())
        env = {
            **os.environ,
            "NOTIFY_SOCKET": str(notify.path),
            "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}",  # as systemd sets it: the CLI then logs sd-daemon lines
            "OMP_NUM_THREADS": "1",
        }
        self.proc = subprocess.Popen(
            [str(ANPR), "run", "-c", str(config)], cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=self._err
        )

    def terminate(self, timeout: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._err.close()

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def scrape(port: int) -> dict[str, float]:
    """The endpoint's samples as {'name{labels}': value} (the text format parsed by prometheus-client)."""
    from prometheus_client.parser import text_string_to_metric_families

    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out: dict[str, float] = {}
    for fam in text_string_to_metric_families(body):
        for s in fam.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    out["__body_has_secret__"] = float(SECRET in body)
    return out
