"""The page in a real headless Chromium (Debian's chromium + chromium-driver, driven by selenium).

A hit published to the broker must appear on the page within a second. The test saves a screenshot;
with ANPR_UPDATE_SCREENSHOT=1 it also writes docs/control-room.png.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from helpers.control import ROOT, ServeProcess, free_port, get_json, wait_until, write_config
from helpers.uplink import Mosquitto, make_event
from paho.mqtt.enums import CallbackAPIVersion

from anpr.types import PlateEvent
from anpr.uplink.wire import event_to_json

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _crop(plate: str) -> bytes:
    import cv2

    from anpr.synth.plate import render_plate

    img = render_plate(plate, random.Random(plate), worn=False).image
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return buf.tobytes()


def _at(ev: PlateEvent, lat: float, lon: float) -> PlateEvent:
    assert ev.fix is not None
    return dataclasses.replace(ev, fix=dataclasses.replace(ev.fix, lat=lat, lon=lon))


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None or DRIVER is None:
        pytest.skip("headless browser missing (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium not installed (pip install selenium)")
    os.environ["SE_OFFLINE"] = "true"  # never let selenium-manager look for drivers on the network
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1440,900", "--hide-scrollbars"):  # fmt: skip
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=Service(DRIVER))
    yield driver
    driver.quit()


def test_hit_shows_on_the_page_within_a_second(tmp_path: Path, broker: Mosquitto, browser: Any) -> None:
    web = free_port()
    cfg = write_config(tmp_path / "control.toml", broker.port, web, f"sqlite:///{tmp_path / 'control.sqlite'}")
    serve = ServeProcess(cfg, web, tmp_path / "serve.log")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="cars", protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()

    def send(topic: str, payload: bytes, retain: bool = False) -> None:
        pub.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    try:
        # Two cars on patrol in La Serena: statuses, a trail of reads, one earlier hit.
        now = datetime.now(timezone.utc)
        for car, depth in (("movil-07", 3), ("movil-12", 0)):
            body = f'{{"state":"online","device_id":"{car}","outbox":{{"pending_hits":0,"pending_reads":{depth}}}}}'
            send(f"anpr/{car}/status", body.encode(), retain=True)
        rng = random.Random(7)
        for i in range(40):
            car = "movil-07" if i % 2 else "movil-12"
            plate = "".join(rng.choice("BCDFGHJKLPRSTVWXYZ") for _ in range(4)) + f"{rng.randrange(100):02d}"
            at = now - timedelta(minutes=40 - i)
            lat, lon = -29.9075 + i * 0.00025 * (1 if i % 2 else -0.6), -71.2560 + i * 0.00022
            ev = _at(make_event("read", plate=plate, at=at, device=car), lat, lon)
            send(f"anpr/{car}/read", event_to_json(ev))
        old = _at(make_event("hit", plate="GHTR21", at=now - timedelta(minutes=7), device="movil-12",
                             crop=_crop("GHTR21")), -29.9002, -71.2470)  # fmt: skip
        send("anpr/movil-12/hit", event_to_json(old))
        assert wait_until(lambda: get_json(serve.url + "/api/stats")["store"]["reads"] == 40, 10)

        browser.get(serve.url + "/")
        assert wait_until(lambda: browser.execute_script("return document.body.dataset.live") == "1", 10)
        assert wait_until(
            lambda: browser.execute_script("return document.querySelectorAll('#reads tbody tr').length") == 40, 10
        )
        assert browser.execute_script("return document.querySelector('#hits li').dataset.plate") == "GHTR21"

        hit = _at(make_event("hit", plate="BBCD12", device="movil-07", crop=_crop("BBCD12")), -29.9041, -71.2508)
        t0 = time.time() * 1000
        send("anpr/movil-07/hit", event_to_json(hit))
        js = "const li = document.querySelector('#hits li[data-plate=\"BBCD12\"]'); return li ? Number(li.dataset.shownMs) : null"  # noqa: E501
        assert wait_until(lambda: browser.execute_script(js) is not None, 3, 0.02), "the hit never reached the page"
        latency_ms = browser.execute_script(js) - t0
        assert latency_ms < 1000, f"hit shown {latency_ms:.0f} ms after publication"
        first = browser.execute_script("return document.querySelector('#hits li').dataset.plate")
        assert first == "BBCD12"  # newest on top

        # The car table and the plate filter with a wildcard.
        states = browser.execute_script(
            "return [...document.querySelectorAll('#cars tbody tr')].map(r => r.dataset.device + ':' + r.dataset.state)"
        )
        assert sorted(states) == ["movil-07:online", "movil-12:online"]
        browser.execute_script("document.querySelector('[name=plate]').value = 'B*';"
                               "document.querySelector('#filter button[type=submit]').click()")  # fmt: skip
        want = sum(1 for r in get_json(serve.url + "/api/events?kind=read&plate=B*"))
        plates_js = "return [...document.querySelectorAll('#reads tbody tr td.mono')].map(td => td.textContent)"
        assert wait_until(lambda: len(browser.execute_script(plates_js)) == want, 5)
        assert all(p.startswith("B") for p in browser.execute_script(plates_js))
        browser.execute_script("document.querySelector('[name=plate]').value = '';"
                               "document.querySelector('#filter button[type=submit]').click()")  # fmt: skip
        time.sleep(0.8)  # let the map settle (popups, panning) before the picture
        shot = tmp_path / "control-room.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 20_000
        if os.environ.get("ANPR_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, ROOT / "docs" / "control-room.png")
        print(f"hit latency publication -> page: {latency_ms:.0f} ms")
    finally:
        pub.disconnect()
        pub.loop_stop()
        assert serve.stop() == 0
