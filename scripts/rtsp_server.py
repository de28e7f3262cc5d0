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
import re
import signal
import sys

ENCODERS = {
    # key-int-max small so a client that (re)connects gets a key frame quickly.
    "h264": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps}"
    " ! rtph264pay name=pay0 pt=96 config-interval=1",
    "mjpeg": "jpegenc quality=80 ! rtpjpegpay name=pay0 pt=26",
}


# The Debian package of every element a launch line below names (scripts/system-deps.sh installs them;
# tests/capture/test_gst_elements.py asks gst-inspect-1.0 for each). The rtsp helpers read this table.
ELEMENT_PACKAGES = {
    "videotestsrc": "gstreamer1.0-plugins-base",
    "videoconvert": "gstreamer1.0-plugins-base",
    "videoscale": "gstreamer1.0-plugins-base",
    "videorate": "gstreamer1.0-plugins-base",
    "decodebin": "gstreamer1.0-plugins-base",
    "timeoverlay": "gstreamer1.0-x",  # pango text overlays; not in plugins-base on Debian
    "filesrc": "gstreamer1.0-plugins-base",  # core elements (libgstreamer1.0-0), always there with -base
    "qtdemux": "gstreamer1.0-plugins-good",
    "rtph264pay": "gstreamer1.0-plugins-good",
    "rtpjpegpay": "gstreamer1.0-plugins-good",
    "jpegenc": "gstreamer1.0-plugins-good",
    "h264parse": "gstreamer1.0-plugins-bad",
    "x264enc": "gstreamer1.0-plugins-ugly",
}
# decodebin picks a decoder by itself: the clips are H.264, so one of these must exist.
H264_DECODERS = {"openh264dec": "gstreamer1.0-plugins-bad", "avdec_h264": "gstreamer1.0-libav"}


def launch_elements(line: str) -> list[str]:
    """The element names of a launch line: the first word of each `!`-separated part that is not caps."""
    names = []
    for part in line.strip("() ").split("!"):
        word = part.strip().split(" ", 1)[0]
        if word and "/" not in word and re.fullmatch(r"[a-z0-9_]+", word):
            names.append(word)
    return names


def every_launch_line() -> list[str]:
    """Each launch line this server can build (every codec, test pattern and file, passthrough)."""
    lines = [launch_line(v, c, 320, 240, 25) for v in (None, "x.mp4") for c in ENCODERS]
    return [*lines, launch_line("x.mp4", "h264", 320, 240, 25, passthrough=True)]


def missing_elements(line: str, find: object) -> list[str]:
    """`name (apt-get install PACKAGE)` for each element of `line` this GStreamer lacks."""
    missing = [
        f"{n} (apt-get install {ELEMENT_PACKAGES.get(n, 'the package that provides it')})"
        for n in launch_elements(line)
        if find(n) is None  # type: ignore[operator]
    ]
    if "decodebin" in line and all(find(n) is None for n in H264_DECODERS):  # type: ignore[operator]
        missing.append(f"an H.264 decoder for decodebin (apt-get install {' or '.join(H264_DECODERS.values())})")
    return missing


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

    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    line = launch_line(args.video, args.codec, args.width, args.height, args.fps, args.passthrough)
    # A missing element otherwise shows only as the client's "503 Service Unavailable" and no frames.
    missing = missing_elements(line, Gst.ElementFactory.find)
    if missing:
        print(f"missing GStreamer element(s): {', '.join(missing)}", file=sys.stderr, flush=True)
        return 3
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(line)
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
