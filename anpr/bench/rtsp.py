"""A real RTSP camera on loopback for benches and tests: `scripts/rtsp_server.py` serving a clip.

The server is GStreamer's gst-rtsp-server through Debian's python3-gi, so it runs under the *system*
interpreter, not the project's venv. It plays the clip once, at the clip's own pace, from the moment
the first client connects, like a camera that was already streaming.
"""

from __future__ import annotations

import select
import subprocess
from pathlib import Path
from typing import IO

from anpr.bench.broker import BenchError, _free_port

SYSTEM_PYTHON = Path("/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "rtsp_server.py"
_PROBE = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"


def rtsp_unusable() -> str | None:
    """Why no RTSP server can run here (None when one can)."""
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} missing"
    if not SERVER_SCRIPT.is_file():
        return f"{SERVER_SCRIPT} missing (the RTSP server ships with the source tree, not the wheel)"
    res = subprocess.run([str(SYSTEM_PYTHON), "-c", _PROBE], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        return "GStreamer RTSP server unusable (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0)"
    return None


class RtspCamera:
    """`video` served at rtsp://127.0.0.1:PORT/cam, scaled to width x height at `fps` (re-encoded), or
    its own H.264 stream as is with `passthrough` (no transcoding load on the machine under test)."""

    def __init__(
        self,
        video: Path,
        log_path: Path,
        *,
        width: int,
        height: int,
        fps: int,
        port: int | None = None,
        passthrough: bool = False,
    ) -> None:
        self.port = port or _free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        argv = [str(SYSTEM_PYTHON), str(SERVER_SCRIPT), str(self.port), str(video)]
        argv += ["--width", str(width), "--height", str(height), "--fps", str(fps)]
        argv += ["--passthrough"] if passthrough else []
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._log)
        assert self.proc.stdout is not None
        ready = select.select([self.proc.stdout], [], [], 20)[0]
        line = self.proc.stdout.readline() if ready else b""
        if not line.startswith(b"READY"):
            self.stop()
            tail = log_path.read_text(errors="replace")[-2000:]
            raise BenchError(f"RTSP server did not start on port {self.port}: {tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()
