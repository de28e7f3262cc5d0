"""Every GStreamer element the RTSP test server's launch lines name is installed, and scripts/system-deps.sh
installs its Debian package.

A missing element is otherwise seen only as the server's "503 Service Unavailable" and an RTSP test that
says "no frames from the server" (issue 19: `timeoverlay` is in gstreamer1.0-x, which a fresh Debian 12
lacked). The table of packages lives in scripts/rtsp_server.py, which also refuses to start naming the
missing element; these tests ask gst-inspect-1.0, as a technician would.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_DEPS = (ROOT / "scripts" / "system-deps.sh").read_text()


def _server_module() -> ModuleType:
    """scripts/rtsp_server.py imported without GStreamer (it imports gi only when it runs)."""
    spec = importlib.util.spec_from_file_location("rtsp_server", ROOT / "scripts" / "rtsp_server.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SERVER = _server_module()
ELEMENTS = sorted({e for line in SERVER.every_launch_line() for e in SERVER.launch_elements(line)})


def _test_role_packages() -> set[str]:
    block = SYSTEM_DEPS.split('if [ "$role" = "test" ]; then', 1)[1].split("fi", 1)[0]
    return set(re.findall(r"[a-z0-9][a-z0-9.+-]+", block.split("pkgs+=(", 1)[1].split(")", 1)[0]))


def _exists(element: str) -> bool:
    gst_inspect = shutil.which("gst-inspect-1.0")
    if gst_inspect is None:
        pytest.fail("gst-inspect-1.0 not found: apt-get install gstreamer1.0-tools (bash scripts/system-deps.sh test)")
    return subprocess.run([gst_inspect, "--exists", element], capture_output=True, timeout=60).returncode == 0


def test_the_launch_lines_are_parsed() -> None:
    # Guards the parser the other tests rely on: the test pattern's line names its overlay and encoder.
    assert {"videotestsrc", "timeoverlay", "x264enc", "rtph264pay", "qtdemux", "decodebin"} <= set(ELEMENTS)


def test_every_element_has_its_package_in_system_deps() -> None:
    unknown = [e for e in ELEMENTS if e not in SERVER.ELEMENT_PACKAGES]
    assert not unknown, f"add these elements' Debian packages to ELEMENT_PACKAGES in scripts/rtsp_server.py: {unknown}"
    wanted = {*SERVER.ELEMENT_PACKAGES.values(), *SERVER.H264_DECODERS.values()} - {"gstreamer1.0-libav"}
    missing = sorted(wanted - _test_role_packages())
    assert not missing, f"scripts/system-deps.sh (role test) does not install {missing}"


@pytest.mark.parametrize("element", ELEMENTS)
def test_element_is_installed(element: str) -> None:
    package = SERVER.ELEMENT_PACKAGES.get(element, "?")
    assert _exists(element), f"GStreamer element {element} missing: apt-get install {package}"


def test_an_h264_decoder_is_installed() -> None:
    # decodebin of the served clips finds one by itself; the launch lines cannot name it.
    options = SERVER.H264_DECODERS
    assert any(_exists(e) for e in options), "no H.264 decoder: apt-get install " + " or ".join(options.values())


def test_the_server_names_a_missing_element() -> None:
    # A fake element lookup: an installed element cannot be made to vanish for one test.
    line = SERVER.launch_line(None, "h264", 320, 240, 25)
    missing = SERVER.missing_elements(line, lambda name: None if name == "timeoverlay" else object())
    assert missing == ["timeoverlay (apt-get install gstreamer1.0-x)"]
