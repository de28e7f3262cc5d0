"""What a viewer may see of personal data: hits, never reads, on every path that carries them (the lists,
the live push, the crops, one passage); and an operator's look at a read passage is audited.

Real parts: `anpr control serve` as a process, mosquitto on loopback, events published by an MQTT client."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

import pytest
from helpers.control import ADMIN, JAR, Car, ServeProcess, free_port, get_json, login, request, wait_until, write_config
from helpers.uplink import Mosquitto, make_event

from anpr.types import PlateEvent
from anpr.uplink.wire import event_to_json

pytestmark = pytest.mark.slow
VIEWER = ("vera", "viewer-password-1", "viewer")
OPERATOR = ("oscar", "operator-password-1", "operator")
JPEG = b"\xff\xd8\xff\xe0crop\xff\xd9"


class Stream:
    """The page's event stream (`/api/stream`) read in a thread with the session cookie of JAR at start."""

    def __init__(self, url: str) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(JAR))
        self.response = opener.open(url + "/api/stream", timeout=20)
        self.events: list[str] = []
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode().strip()
                if line == ": connected":
                    self.connected.set()
                if line.startswith("event: "):
                    self.events.append(line.removeprefix("event: "))
        except (OSError, ValueError, AttributeError):
            pass  # close() from the test's thread: http.client then fails in one of these ways

    def close(self) -> None:
        self.response.close()


def test_viewers_get_hits_only_and_read_lookups_are_audited(tmp_path: Path, broker: Mosquitto) -> None:
    web = free_port()
    cfg = write_config(tmp_path / "c.toml", broker.port, web, f"sqlite:///{tmp_path / 'c.sqlite'}")
    serve = ServeProcess(cfg, web, tmp_path / "serve.log", users=(ADMIN, VIEWER, OPERATOR))
    car = Car(broker.port)
    read = make_event("read", plate="BBCD12", crop=JPEG)
    hit = make_event("hit", plate="KXPT45", crop=JPEG, camera="rear")
    streams: list[Stream] = []
    try:
        JAR.clear()
        login(serve.url, VIEWER[0], VIEWER[1])
        viewer_stream = Stream(serve.url)
        streams.append(viewer_stream)
        JAR.clear()
        login(serve.url, OPERATOR[0], OPERATOR[1])
        operator_stream = Stream(serve.url)
        streams.append(operator_stream)
        assert viewer_stream.connected.wait(10) and operator_stream.connected.wait(10)

        # the read is published first: were it pushed to the viewer, it would arrive before the hit
        car.send("anpr/car-7/read", event_to_json(read))
        car.send("anpr/car-7/hit", event_to_json(hit))
        assert wait_until(lambda: "hit" in viewer_stream.events and "hit" in operator_stream.events, 10)
        assert "read" in operator_stream.events
        assert "read" not in viewer_stream.events, viewer_stream.events

        def passage(ev: PlateEvent) -> str:
            return f"/api/passage?device=car-7&passage={ev.passage_id}"

        JAR.clear()
        login(serve.url, VIEWER[0], VIEWER[1])
        assert request(serve.url + f"/api/crop/{hit.event_id}") == (200, JPEG)
        status, body = request(serve.url + f"/api/crop/{read.event_id}")
        assert status == 403 and b"operator role" in body
        assert request(serve.url + passage(read))[0] == 403
        assert request(serve.url + passage(hit))[0] == 200

        JAR.clear()
        login(serve.url, OPERATOR[0], OPERATOR[1])
        assert request(serve.url + f"/api/crop/{read.event_id}") == (200, JPEG)
        status, body = request(serve.url + passage(read))
        assert status == 200 and json.loads(body)["plate"] == "BBCD12"
        assert request(serve.url + passage(hit))[0] == 200

        JAR.clear()
        login(serve.url, ADMIN[0], ADMIN[1])
        audit = get_json(serve.url + "/api/audit")
        looks = [(a["user_name"], a["detail"]) for a in audit if a["action"] == "view-passage"]
        assert looks == [("oscar", passage(read))], looks  # the operator's look at the read; hits are on every page
    finally:
        for s in streams:
            s.close()
        JAR.clear()
        car.close()
        assert serve.stop() == 0
