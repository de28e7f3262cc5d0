#!/usr/bin/python3
"""A tiny RTSP test server on loopback: GStreamer's gst-rtsp-server through the system python3-gi.

Runs with the *system* interpreter (`/usr/bin/python3`), not the project venv, because PyGObject and the
GstRtspServer typelib come from Debian (`python3-gi`, `gir1.2-gst-rtsp-server-1.0`,
`gstreamer1.0-plugins-{good,bad,ugly}`).

    /usr/bin/python3 scripts/rtsp_server.py PORT [VIDEO] [--mount /cam] [--codec h264|mjpeg] [--passthrough]

Without VIDEO it serves an endless live test pattern (a moving ball with the running time drawn);
with VIDEO it decodes that file and serves it once at its own pace. `--passthrough` serves an H.264 MP4's
own stream without decoding or encoding (as a camera's encoder would deliver it), which leaves the CPU to
whatever reads the stream on the same machine. When the server is listening it
prints one line `READY rtsp://127.0.0.1:PORT/cam` on stdout (tests wait for it). SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

ENCODERS = {
    # key-int-max small so a client that (re)connects gets a key frame quickly.
    "h264": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps}"
    " ! rtph264pay name=pay0 pt=96 config-interval=1",
    "mjpeg": "jpegenc quality=80 ! rtpjpegpay name=pay0 pt=26",
}


def launch_line(video: str | None, codec: str, width: int, height: int, fps: int, passthrough: bool = False) -> str:
    if passthrough and video is not None:
        return f'( filesrc location="{video}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
    enc = ENCODERS[codec].format(fps=fps)
    caps = f"video/x-raw,width={width},height={height},framerate={fps}/1"
    if video is None:
        src = f'videotestsrc is-live=true pattern=ball ! {caps} ! timeoverlay font-desc="Sans 24"'
    else:
        src = f'filesrc location="{video}" ! decodebin ! videoconvert ! videoscale ! videorate ! {caps}'
    return f"( {src} ! videoconvert ! video/x-raw,format=I420 ! {enc} )"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("port", type=int)
    ap.add_argument("video", nargs="?", default=None, help="video file to serve (default: live test pattern)")
    ap.add_argument("--mount", default="/cam")
    ap.add_argument("--codec", choices=sorted(ENCODERS), default="h264")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--passthrough", action="store_true", help="serve VIDEO's H.264 as is (size/fps ignored)")
    args = ap.parse_args(argv)

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args.video, args.codec, args.width, args.height, args.fps, args.passthrough))
    factory.set_shared(True)  # every client sees the same live stream, like a real camera
    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://127.0.0.1:{args.port}{args.mount}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
