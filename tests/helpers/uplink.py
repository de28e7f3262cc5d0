"""Helpers for the uplink tests: event factories, a real mosquitto on loopback, a counting subscriber."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from anpr.core.ids import new_event_id
from anpr.types import Candidate, Fix, HotlistEntry, HotlistMatch, PlateEvent

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schemas" / "plate-event.v1.json"
T0 = datetime(2024, 5, 17, 14, 30, 0, 123456, tzinfo=timezone.utc)
MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)


def load_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def make_event(
    kind: str = "read",
    *,
    plate: str = "BBCD12",
    at: datetime | None = None,
    covert: bool = False,
    crop: bytes | None = None,
    with_fix: bool = True,
    camera: str = "front",
    device: str = "car-7",
) -> PlateEvent:
    at = at or datetime.now(timezone.utc)
    fix = None
    if with_fix:
        fix = Fix(-29.9027, -71.2519, 13.5, 271.0, 0.9, "3d", at, "gpsd", age_s=0.2)
    match = None
    if kind == "hit":
        entry = HotlistEntry(plate, "robados", "stolen", 1, "carabineros", T0 - timedelta(days=2), None, "K", "",
                             covert)  # fmt: skip
        match = HotlistMatch(entry=entry, kind="exact", distance=0, matched_text=plate, list_version=42)
    return PlateEvent(
        event_id=new_event_id(at),
        kind=kind,  # type: ignore[arg-type]
        device_id=device,
        camera_id=camera,
        passage_id=f"{camera}-{at.timestamp():.6f}",
        plate=plate,
        confidence=0.93,
        format="car_2007",
        alternatives=(Candidate("BBCD17", 0.04, "car_2007"),),
        first_seen=at - timedelta(milliseconds=800),
        last_seen=at,
        fix=fix,
        match=match,
        crop_jpeg=crop,
        model_versions=(("detector", "yolo-1"), ("reader", "ppocr-2")),
        hotlist_version=42 if kind == "hit" else 41,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(pred: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Mosquitto:
    """A real mosquitto on 127.0.0.1 with a temp config; stop()/start() keep the port for outage drills."""

    def __init__(self, workdir: Path, extra_conf: str = "", port: int | None = None, listener: str = "") -> None:
        assert MOSQUITTO is not None
        self.port = port or free_port()
        self.workdir = workdir
        self.conf = workdir / "mosquitto.conf"
        # persistence on: a restarted broker keeps the subscriber's queued QoS 1 messages, as in production
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n{listener}allow_anonymous true\npersistence true\n"
            f"persistence_location {workdir}/\nmax_queued_messages 0\n{extra_conf}"
            # as root mosquitto drops to user `mosquitto`, who cannot read pytest's 0700 temp folders
            + ("user root\n" if os.geteuid() == 0 else "")
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "mosquitto.log"

    def start(self) -> None:
        with self.log.open("ab") as logf:
            self.proc = subprocess.Popen([str(MOSQUITTO), "-c", str(self.conf)], stdout=logf, stderr=subprocess.STDOUT)
        ok = wait_until(self._listening, 10)
        if not ok:
            raise RuntimeError(f"mosquitto did not start: {self.log.read_text()[-2000:]}")

    def _listening(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class Subscriber:
    """Counts distinct event_ids per topic; a persistent MQTT 5 session so a broker restart loses nothing."""

    def __init__(self, port: int, topic: str = "#", validator: jsonschema.Draft202012Validator | None = None) -> None:
        self.topic = topic
        self.validator = validator
        self.counts: Counter[str] = Counter()
        self.kinds: dict[str, str] = {}
        self.invalid: list[str] = []
        self.status: dict[str, Any] | None = None
        self.statuses: list[dict[str, Any]] = []  # every status message, in order
        self.subscribed = threading.Event()
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{port}", protocol=mqtt.MQTTv5)
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        self.client.connect_async("127.0.0.1", port, 30, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if not rc.is_failure:
            client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: list[Any], _p: Any) -> None:
        # Ready at the SUBACK, not when SUBSCRIBE is queued: a publish the broker sees before it is not routed here.
        if not any(c.is_failure for c in codes):
            self.subscribed.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        data = json.loads(msg.payload)
        if msg.topic.endswith("/status"):
            self.status = data
            self.statuses.append(data)
            return
        if self.validator is not None and not self.validator.is_valid(data):
            self.invalid.append(data.get("event_id", "?"))
        with self._lock:
            self.counts[data["event_id"]] += 1
            self.kinds[data["event_id"]] = msg.topic.rsplit("/", 1)[-1]

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.counts)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
