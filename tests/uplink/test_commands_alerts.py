"""`anpr queue ...` on a real outbox and broker; the in-car alerts with a real hook and player."""

from __future__ import annotations

import json
import logging
import stat
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers.uplink import Mosquitto, Subscriber, make_event, wait_until

from anpr.cli.main import main
from anpr.types import PlateEvent
from anpr.uplink.alerts import LocalAlerts
from anpr.uplink.config import UplinkConfig
from anpr.uplink.sink import build_uplink, open_outbox
from anpr.uplink.wire import event_from_json, event_to_json


def write_config(tmp_path: Path, port: int, enabled: bool = True) -> Path:
    p = tmp_path / "anpr.toml"
    p.write_text(
        f'device_id = "car-7"\nstate_dir = "{tmp_path / "state"}"\n[uplink]\nenabled = {str(enabled).lower()}\n'
        f'host = "127.0.0.1"\nport = {port}\nreconnect_max_s = 1\n'
    )
    return p


def test_queue_status_export_drain(
    broker: Mosquitto, subscriber_factory: Callable[..., Subscriber], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = write_config(tmp_path, broker.port)
    box = open_outbox(UplinkConfig(), tmp_path / "state")
    events = [make_event("hit"), make_event("read"), make_event("read")]
    for ev in events:
        box.put(ev.event_id, ev.kind, event_to_json(ev))
    box.audit("hotlist", {"version": 7})
    box.close()
    assert main(["queue", "-c", str(conf), "status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert (st["pending_hits"], st["pending_reads"]) == (1, 2)
    out = tmp_path / "export.jsonl"
    assert main(["queue", "-c", str(conf), "export", "--pending", "-o", str(out)]) == 0
    assert [event_from_json(line) for line in out.read_bytes().splitlines()] == events
    assert main(["queue", "-c", str(conf), "export", "--audit"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["detail"] == {"version": 7}
    sub = subscriber_factory(broker.port)
    assert sub.subscribed.wait(5)
    assert main(["queue", "-c", str(conf), "drain", "--timeout", "15"]) == 0
    assert "published 3" in capsys.readouterr().out
    assert wait_until(lambda: sub.ids() == {e.event_id for e in events}, 5)


def test_queue_bad_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[uplink]\nprot = 1\n")
    assert main(["queue", "-c", str(bad), "status"]) == 2
    assert "uplink.prot" in capsys.readouterr().err
    conf = write_config(tmp_path, 1, enabled=False)
    assert main(["queue", "-c", str(conf), "drain"]) == 2


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_alert_hook_sound_log_and_covert(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="anpr.uplink.alerts")
    got = tmp_path / "hook.out"
    hook = _script(tmp_path / "hook.sh", f"cat > {got}.tmp && mv {got}.tmp {got}\n")
    played = tmp_path / "played"
    player = _script(tmp_path / "player.sh", f'echo "$1" >> {played}\n')
    sound = tmp_path / "beep.wav"
    sound.write_bytes(b"RIFF")
    audit: list[tuple[str, object]] = []
    alerts = LocalAlerts(
        command=[str(hook)], sound=str(sound), player=str(player), audit=lambda k, d: audit.append((k, d))
    )
    hit = make_event("hit", plate="GHJK12")
    t0 = time.perf_counter()
    alerts.alert(hit)
    assert time.perf_counter() - t0 < 0.05  # never blocks the pipeline
    alerts.alert(hit)  # the same passage alerts once
    alerts.alert(make_event("hit", plate="LPRS34", covert=True))  # covert: silent in the car
    alerts.alert(make_event("read"))
    assert wait_until(got.exists, 5)
    assert event_from_json(got.read_bytes()) == hit
    assert wait_until(lambda: played.exists() and played.read_text() == f"{sound}\n", 5)
    assert [r.message for r in caplog.records].count(
        next(r.message for r in caplog.records if "GHJK12" in r.message)
    ) == 1
    assert not any("LPRS34" in r.message for r in caplog.records)
    assert [k for k, _ in audit] == ["alert"]
    assert 0 <= alerts.latencies_s[0] < 1.0
    alerts.close()


def test_a_plate_alerted_moments_ago_does_not_alarm_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A split passage or a second camera seeing the same car: one alarm, the later hit only logged."""
    caplog.set_level(logging.INFO, logger="anpr.uplink.alerts")
    played = tmp_path / "played"
    player = _script(tmp_path / "player.sh", f'echo "$1" >> {played}\n')
    now = [datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)]
    beep = tmp_path / "beep.wav"
    beep.write_bytes(b"RIFF")
    alerts = LocalAlerts(UplinkConfig(alert_repeat_s=30.0), sound=str(beep), player=str(player), clock=lambda: now[0])
    alerts.alert(make_event("hit", plate="GHJK12", at=now[0], camera="front"))
    now[0] += timedelta(seconds=2)
    alerts.alert(make_event("hit", plate="GHJK12", at=now[0], camera="rear"))  # another passage, 2 s later
    assert alerts.repeats == 1 and "GHJK12 again, 2.0 s after its alert" in caplog.text
    now[0] += timedelta(seconds=40)
    alerts.alert(make_event("hit", plate="GHJK12", at=now[0], camera="front"))  # back 42 s later: alarm
    assert wait_until(lambda: played.exists() and len(played.read_text().splitlines()) == 2, 5)
    assert sum("HIT GHJK12" in r.message for r in caplog.records) == 2
    alerts.close()


def test_alert_hook_timeout_and_missing_player(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="anpr.uplink.alerts")
    hang = _script(tmp_path / "hang.sh", "sleep 30\n")
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"RIFF")
    alerts = LocalAlerts(command=[str(hang)], command_timeout_s=0.5, sound=str(wav), player="no-such-player-xyz")
    assert "no player" in caplog.text
    alerts.alert(make_event("hit"))
    assert wait_until(lambda: alerts.failures == 1, 5)
    assert "killed after 0.5 s" in caplog.text
    alerts.close()


def test_sink_alerts_hits_before_commit(tmp_path: Path) -> None:
    seen: list[str] = []

    class Recorder:
        def alert(self, event: PlateEvent) -> None:
            seen.append(event.event_id)

    sink = build_uplink(UplinkConfig(), "car-7", tmp_path, None, alerts=Recorder())
    hit, read = make_event("hit"), make_event("read")
    sink.submit(hit)
    sink.submit(read)
    sink.close()
    assert seen == [hit.event_id]
    box = open_outbox(UplinkConfig(), tmp_path)
    assert {q.event_id for q in box.pending(10)} == {hit.event_id, read.event_id}


def test_a_missing_sound_file_is_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="anpr.uplink.alerts")
    alerts = LocalAlerts(sound=str(tmp_path / "sirena.wav"))
    assert "sirena.wav is missing or unreadable" in caplog.text and "uplink.alert_sound" in caplog.text
    assert "no player" not in caplog.text
    alerts.close()


def test_alert_latencies_kept_are_bounded() -> None:
    """A gantry daemon raises hits for months: the latencies kept for the figures are the latest only."""
    alerts = LocalAlerts(log_line=False)
    t0 = datetime.now(timezone.utc)
    for i in range(600):  # a plate each, so none is a repeat; each passage its own
        alerts.alert(make_event("hit", plate=f"BB{i:04d}", at=t0 + timedelta(microseconds=i)))
    assert len(alerts.latencies_s) == 512
    alerts.close()
