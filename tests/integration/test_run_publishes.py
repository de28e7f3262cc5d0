"""Issue 8 done-when, with issue 6's watched-file source: `anpr run` on gantry_day.mp4 (a `file` camera)
with a broker configured publishes every event of the clip, each valid against the JSON Schema, keeps a
retained status, says offline when it ends, exits 0 at the end of the file, and leaves nothing pending.

The hotlist comes only from a document made by `anpr hotlist keygen` + `anpr hotlist sign` and dropped in
the watched file before the run starts (no demo CSV), so the HZTV41 hit proves the signed list arrived.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers.integration import (
    Daemon,
    Signer,
    assert_clean_log,
    outbox_rows,
    plates,
    retained_message,
    wait_until,
    write_config,
)
from helpers.uplink import Mosquitto, Subscriber

DEVICE = "gantry-it"


@pytest.mark.slow
def test_run_publishes_the_clip_and_drains_before_exit(
    tmp_path: Path, broker: Mosquitto, signer: Signer, validator: jsonschema.Draft202012Validator
) -> None:
    doc = tmp_path / "hotlist.anprhl"
    doc.write_bytes(signer.sign(["HZTV41", "WXYZ99"], version=7))
    state = tmp_path / "state"
    cfg = write_config(
        tmp_path / "anpr.toml",
        {"device_id": DEVICE, "state_dir": str(state)},
        [{"id": "gate", "kind": "file", "uri": "sample_videos/gantry_day.mp4"}],
        hotlist={"csv": "", "trusted_keys": [str(signer.public)], "file": str(doc), "file_poll_s": 0.2},
        uplink={"enabled": True, "host": "127.0.0.1", "port": broker.port, "status_interval_s": 1.0},
    )
    sub = Subscriber(broker.port, f"anpr/{DEVICE}/#", validator)
    try:
        assert sub.subscribed.wait(10), "subscriber could not connect to the test broker"
        daemon = Daemon(cfg, tmp_path / "anpr.log")
        online = wait_until(lambda: (sub.status or {}).get("state") == "online", 60)
        # The first status goes out at connect, before the stages run; the periodic ones carry them.
        wait_until(lambda: "models" in (sub.status or {}), 30)
        status = dict(sub.status or {})
        rc = daemon.wait(120)
        log = daemon.log()
        assert rc == 0, f"anpr run exited {rc} at the end of the file:\n{log[-3000:]}"
        assert_clean_log(log)
        assert online, f"no online status while running; last {status}"
        assert status["device_id"] == DEVICE and "outbox" in status
        # What the control room shows per car: models, fps per camera, hotlist version.
        assert set(status["models"]) == {"detector", "reader"}
        assert "fps" in status["cameras"]["gate"]
        assert status["hotlist"]["version"] == 7
        assert "hotlist snapshot v7 from file:" in log, log[-3000:]

        rows = outbox_rows(state / "outbox.sqlite")
        assert rows, "no event reached the outbox"
        # Drained before exit: every event was PUBACKed (delivered_at set only on its own PUBACK).
        assert [r["event_id"] for r in rows if not r["_delivered"]] == []
        # ... and the subscriber got each of them, once or more, and nothing else.
        assert sub.ids() == {r["event_id"] for r in rows}
        assert sub.invalid == []
        by_id = {r["event_id"]: r for r in rows}
        for eid, topic in sub.kinds.items():
            assert topic == by_id[eid]["kind"], f"{eid} went to /{topic}"

        final = [r for r in rows if r["final"]]
        hits = [r for r in final if r["kind"] == "hit"]
        assert plates(hits) == {"HZTV41"}, f"final hits: {[(h['plate'], h['match']) for h in hits]}"
        hit = hits[0]
        assert hit["match"]["entry"]["plate"] == "HZTV41" and hit["match"]["kind"] == "exact"
        assert hit["match"]["list_version"] == 7 and hit["hotlist_version"] == 7
        assert {"KC4521", "PRKK21"} <= plates(final, "read"), f"reads: {plates(final, 'read')}"
        # A sample of the payloads as the control room sees them: schema-valid, decodable, crop on the hit.
        for row in rows:
            payload = {k: v for k, v in row.items() if not k.startswith("_")}
            validator.validate(payload)
        assert hit.get("crop_jpeg"), "a hit carries its crop by default"

        # The retained status is there for a late subscriber, and says offline after a clean exit.
        got = retained_message(broker.port, f"anpr/{DEVICE}/status")
        assert got is not None, "no retained status message"
        body, retained = got
        assert retained
        assert json.loads(body)["state"] == "offline"
        assert (sub.status or {}).get("state") == "offline"
        assert "anpr stopped" in log
        # A recorded video's frame times are no capture time: no absurd capture-to-alert figure.
        assert "capture-to-alert n/a" in log
    finally:
        sub.close()
