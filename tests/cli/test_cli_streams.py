"""What `anpr` writes where, run as a user runs it (a real subprocess): stdout for programs, a reader that
leaves early (`| head`) ends the command quietly, and the progress bar is never torn by log or event lines."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import termios
from pathlib import Path

import pytest
from helpers.integration import ANPR, REPO

GANTRY = "sample_videos/gantry_day.mp4"


def _clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr and "Exception ignored" not in stderr, stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "show"],
        ["config", "show", "--json"],
        ["completion", "bash"],
        ["plate", "BBCL12", "--json"],
        ["hotlist", "export", "--all", "-c", "{device}"],
        ["hotlist", "lookup", "PRKK21", "-c", "{device}"],
    ],
)
def test_a_closed_pipe_ends_the_command_quietly(argv: list[str], device: Path) -> None:
    """The reader is gone before the first write, as with `| head -0`: EPIPE on the first write, no traceback."""
    argv = [a.replace("{device}", str(device)) for a in argv]
    r, w = os.pipe()
    proc = subprocess.Popen([*ANPR, *argv], cwd=REPO, stdout=w, stderr=subprocess.PIPE, text=True)
    os.close(w)
    os.close(r)  # long before the command has imported anything
    _, err = proc.communicate(timeout=60)
    _clean(err)
    assert proc.returncode == 141, err


def test_replay_into_head(tmp_path: Path) -> None:
    """`anpr replay V | head -1`: one event line, then the replay stops early and quietly."""
    err = tmp_path / "err"
    cmd = f"{' '.join(ANPR)} replay {GANTRY} --no-progress 2>{err} | head -1; echo rc=${{PIPESTATUS[0]}}"
    res = subprocess.run(["bash", "-c", cmd], cwd=REPO, capture_output=True, text=True, timeout=120)
    first, rc = res.stdout.splitlines()
    assert json.loads(first)["kind"] in ("read", "hit")
    assert rc == "rc=141"
    log = err.read_text()
    _clean(log)
    assert "replayed" not in log  # it stopped at the broken pipe instead of replaying the whole clip


def test_replay_stdout_is_events_then_one_summary() -> None:
    res = subprocess.run(
        [*ANPR, "replay", GANTRY, "--truth", "sample_videos/gantry_day.truth.json", "--json", "--no-progress"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    *events, summary = (json.loads(line) for line in res.stdout.splitlines())
    assert events and all(e["kind"] in ("read", "hit") and e["event_id"] for e in events)
    assert summary["kind"] == "summary" and summary["events"] == len(events) and summary["frames"] == 200
    assert summary["score"]["plates"] >= 1
    assert "{" not in res.stderr  # nothing structured in the log stream

    text = subprocess.run(
        [*ANPR, "replay", GANTRY, "--format", "text", "--no-progress"], cwd=REPO, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert text.returncode == 0
    assert len(text.stdout.splitlines()) == len(events) and "replayed 200 frames" in text.stderr
    assert "replayed" not in text.stdout


def test_progress_bar_is_not_torn_by_log_or_event_lines() -> None:
    """On a terminal (a real pty, 120 columns), stdout and stderr share the screen with the bar."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [*ANPR, "replay", GANTRY, "--format", "text"], cwd=REPO, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(60) == 0
    screen = b"".join(chunks).decode(errors="replace")
    pieces = re.split(r"[\r\n]", screen)
    bar = [p for p in pieces if "frame/s" in p or "%|" in p]
    assert bar, "no progress bar drawn"
    # a torn line is a bar with a log or event line glued to it
    torn = [p for p in pieces if p in bar and re.search(r" (INFO|WARNING) | cam0 ", p)]
    assert not torn, torn[:3]
    assert any(" cam0 " in p and "HIT" in p for p in pieces)  # the events did reach the screen
    assert any(" INFO anpr.capture.file: cam0: end of" in p for p in pieces)  # a log line during the bar
