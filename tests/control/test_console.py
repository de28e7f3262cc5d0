"""The console an operator uses (issue 20), in a real headless Chromium: a street map from the control
room's own MBTiles, one row per passage (early hit + final event), the confirm/dismiss dialog with its
audit, the "unconfirmed" filter, Chilean times, cars with heading and fix age. Any JS error fails it.

With ANPR_UPDATE_SCREENSHOT=1 it writes docs/control-room.png, docs/control-room-passage.png and
docs/control-room-confirm.png.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import at_place as _at
from helpers.browser import browser_login, js_errors
from helpers.browser import crop_jpeg as _crop
from helpers.control import ADMIN, ROOT, Car, ServeProcess, free_port, get_json, wait_until, write_config
from helpers.tiles import make_mbtiles
from helpers.uplink import Mosquitto, make_event

from anpr.types import Candidate, HotlistMatch
from anpr.uplink.wire import event_to_json

pytestmark = pytest.mark.slow
CHILEAN = re.compile(r"^\d\d-\d\d-\d{4} \d\d:\d\d:\d\d$")


def _status(car: str, lat: float, lon: float, heading: float) -> bytes:
    at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({
        "state": "online", "device_id": car, "at": at, "outbox": {"pending_hits": 0, "pending_reads": 0},
        "cameras": {"front": {"fps": 9.5, "connected": True, "passages": 12, "hits": 1}},
        "position": {"lat": lat, "lon": lon, "heading_deg": heading, "speed_mps": 8.0, "fixed_at": at},
    }).encode()  # fmt: skip


def _shot(browser: Any, tmp: Path, name: str) -> None:
    path = tmp / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 20_000
    if os.environ.get("ANPR_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(path, ROOT / "docs" / name)


def test_console_passages_review_and_street_map(tmp_path: Path, broker: Mosquitto, browser: Any) -> None:
    web = free_port()
    tiles = make_mbtiles(tmp_path / "streets.mbtiles")
    extra = f'[map]\nmbtiles = "{tiles}"\nattribution = "test tiles (made-up streets)"\n'
    cfg = write_config(tmp_path / "control.toml", broker.port, web, f"sqlite:///{tmp_path / 'c.sqlite'}", extra)
    serve = ServeProcess(cfg, web, tmp_path / "serve.log")
    car = Car(broker.port)
    try:
        now = datetime.now(timezone.utc)
        car.send("anpr/movil-07/status", _status("movil-07", -29.9031, -71.2532, 95.0), retain=True)
        car.send("anpr/movil-12/status", _status("movil-12", -29.9102, -71.2431, 250.0), retain=True)
        for i in range(30):  # a trail of reads, some on one corner (they cluster)
            dev = "movil-07" if i % 2 else "movil-12"
            ev = make_event("read", plate=f"KT{'BCDFGH'[i % 6]}{'JKLPRS'[i // 6 % 6]}{i:02d}", device=dev,
                            at=now - timedelta(minutes=30 - i))  # fmt: skip
            ev = _at(ev, -29.905 + (i % 5) * 0.0004, -71.250 + (i // 5) * 0.0006)
            car.send(f"anpr/{dev}/read", event_to_json(ev))
        # movil-07: an early hit, then the final event of the same passage (one row on the page).
        early = make_event("hit", plate="BBCD12", device="movil-07", crop=_crop("BBCD12"), at=now)
        early = _at(early, -29.9041, -71.2508)
        early = dataclasses.replace(early, final=False, alternatives=(Candidate("BBCD17", 0.21, "car_2007"),))
        final = dataclasses.replace(early, event_id=early.event_id[:-4] + "beef", final=True, confidence=0.97,
                                    last_seen=now + timedelta(seconds=2))  # fmt: skip
        # movil-12: a fuzzy hit (one character off) the officer has to confirm or dismiss.
        fuzzy = _at(make_event("hit", plate="GHTR27", device="movil-12", crop=_crop("GHTR27"),
                               at=now - timedelta(minutes=3)), -29.9088, -71.2452)  # fmt: skip
        assert fuzzy.match is not None
        fuzzy = dataclasses.replace(fuzzy, match=HotlistMatch(dataclasses.replace(fuzzy.match.entry, plate="GHTR21"),
                                                              "fuzzy", 1, "GHTR27", 42))  # fmt: skip
        car.send("anpr/movil-12/hit", event_to_json(fuzzy))
        car.send("anpr/movil-07/hit", event_to_json(early))
        assert wait_until(lambda: get_json(serve.url + "/api/stats")["store"]["hits"] == 2, 10)

        def q(expr: str) -> Any:
            return browser.execute_script("return " + expr)

        browser_login(browser, serve.url, ADMIN[0], ADMIN[1])
        assert wait_until(lambda: q("document.body.dataset.ready") == "1", 10)
        # the final event arrives while the page is open: it updates the passage's row, not a second row
        car.send("anpr/movil-07/hit", event_to_json(final))
        rows = "[...document.querySelectorAll('#hits li')].map(li => li.dataset.plate + ':' + li.dataset.review)"
        steps = "document.querySelector('#hits li[data-plate=\"BBCD12\"] .meta').textContent"
        assert wait_until(lambda: "early → final" in q(steps), 5), q(steps)
        assert sorted(q(rows)) == ["BBCD12:none", "GHTR27:none"]
        assert int(q("document.body.dataset.alarms || 0")) == 0  # only live hits alarm

        passages = get_json(serve.url + "/api/passages?kind=hit")
        assert len(passages) == 2 and {p["passage_id"] for p in passages} == {early.passage_id, fuzzy.passage_id}
        bb = next(p for p in passages if p["plate"] == "BBCD12")
        assert [e["final"] for e in bb["events"]] == [False, True] and bb["confidence"] == 0.97
        assert bb["events"][0]["alternatives"][0]["text"] == "BBCD17"

        # street tiles from /tiles, the attribution, cars with heading and fix age, Chilean times
        tiles_js = "[...document.querySelectorAll('img.leaflet-tile-loaded')].filter(i => i.src.includes('/tiles/'))"
        assert wait_until(lambda: q(tiles_js + ".length") >= 4, 10)
        assert "made-up streets" in q("document.querySelector('.leaflet-control-attribution').textContent")
        arrows = q("[...document.querySelectorAll('.car-arrow')].map(a => a.style.transform)")
        assert sorted(arrows) == ["rotate(250deg)", "rotate(95deg)"]
        assert wait_until(lambda: q("document.querySelectorAll('#reads tbody tr').length") == 30, 5)
        first_time = q("document.querySelector('#reads tbody td').textContent")
        assert CHILEAN.match(first_time), first_time
        assert q("document.querySelectorAll('.cluster').length") >= 1  # nearby reads: one cluster, not a pile
        time.sleep(0.8)  # tiles and markers settle before the picture
        _shot(browser, tmp_path, "control-room.png")

        # a live hit: a new row on top, the alarm (flash + sound)
        live = _at(make_event("hit", plate="LXWZ55", device="movil-07", crop=_crop("LXWZ55")), -29.9012, -71.2488)
        car.send("anpr/movil-07/hit", event_to_json(live))
        assert wait_until(lambda: q("document.querySelector('#hits li').dataset.plate") == "LXWZ55", 5)
        assert int(q("document.body.dataset.alarms")) == 1

        # the passage dialog: crop, hotlist entry and reason, alternatives, history; confirm with a note
        browser.execute_script("document.querySelector('#hits li[data-plate=\"GHTR27\"]').click()")
        body = "document.getElementById('passage-body').innerText"
        assert wait_until(lambda: "GHTR21" in q(body), 5)
        text = q(body)
        assert "stolen" in text and "fuzzy" in text and "robados" in text and "BBCD17" in text
        assert q("document.getElementById('passage').open") is True
        time.sleep(0.4)
        _shot(browser, tmp_path, "control-room-passage.png")
        browser.execute_script("document.getElementById('dismiss-hit').click()")  # no note: refused
        assert wait_until(lambda: "say why" in q("document.getElementById('review-error').textContent"), 5)
        note = "stopped at Av. del Mar: plate GHTR21, the stolen car"
        browser.find_element("css selector", "#review-form textarea").send_keys(note)
        browser.execute_script("document.getElementById('confirm-hit').click()")
        assert wait_until(lambda: "confirmed by admin" in q(body), 5)
        _shot(browser, tmp_path, "control-room-confirm.png")
        browser.execute_script("document.getElementById('passage').close()")
        assert wait_until(lambda: "GHTR27:confirmed" in q(rows), 5)
        audit = get_json(serve.url + "/api/audit")[0]
        assert audit["action"] == "hit-confirmed" and "GHTR27" in audit["detail"] and note in audit["detail"]
        assert audit["user_name"] == "admin"
        reviewed = next(p for p in get_json(serve.url + "/api/passages?kind=hit") if p["plate"] == "GHTR27")
        assert reviewed["review"]["decision"] == "confirmed" and reviewed["review"]["note"] == note

        # unconfirmed only: the confirmed passage leaves the list
        browser.execute_script("document.getElementById('unreviewed').click()")
        assert wait_until(lambda: sorted(q(rows)) == ["BBCD12:none", "LXWZ55:none"], 5)
        assert js_errors(browser) == []
    finally:
        car.close()
        assert serve.stop() == 0
