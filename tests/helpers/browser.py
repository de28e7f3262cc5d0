"""Headless Chromium for the control-room page tests (Debian's chromium + chromium-driver, via selenium)."""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
from typing import Any

from anpr.types import PlateEvent
from helpers.control import wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def start_browser() -> Any:
    """A headless Chrome driver, or None with the reason when this machine has none."""
    import pytest

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
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=opts, service=Service(DRIVER))


def browser_login(browser: Any, url: str, user: str, password: str) -> None:
    """Through the login page, as a person would; ends on the map page."""
    browser.get(url + "/")  # not logged in: sent to /login
    assert wait_until(lambda: browser.current_url.endswith("/login"), 5)
    browser.find_element("name", "user").send_keys(user)
    browser.find_element("name", "password").send_keys(password)
    browser.find_element("css selector", "#login button[type=submit]").click()
    assert wait_until(lambda: browser.current_url == url + "/", 5), browser.current_url


def js_errors(browser: Any) -> list[str]:
    """Script errors and console.error lines since the last call (a failed image request is not one)."""
    return [
        e["message"] for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and e.get("source") in ("javascript", "console-api")
    ]  # fmt: skip


def crop_jpeg(plate: str) -> bytes:
    """A synthetic plate crop as a car would send it."""
    import cv2

    from anpr.synth.plate import render_plate

    img = render_plate(plate, random.Random(plate), worn=False).image
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return buf.tobytes()


def at_place(ev: PlateEvent, lat: float, lon: float) -> PlateEvent:
    assert ev.fix is not None
    return dataclasses.replace(ev, fix=dataclasses.replace(ev.fix, lat=lat, lon=lon))
