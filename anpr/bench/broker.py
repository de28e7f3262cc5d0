"""A throwaway mosquitto on loopback and a subscriber that collects event ids (outbox bench, drills)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any


class BenchError(Exception):
    """A bench cannot run here (missing binary, broker that will not start); the message says which."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """mosquitto on a fixed loopback port; `restart()` keeps the port, so clients reconnect to it."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else "")
        if not binary:
            raise BenchError("mosquitto is not installed (Debian package: mosquitto)")
        self._binary = binary
        self.port = _free_port()
        self._conf = workdir / "mosquitto.conf"
        # persistence on: a restarted broker keeps the subscriber's queued QoS 1 messages, as in production
        self._conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {workdir}/\nmax_queued_messages 0\n" + ("user root\n" if os.geteuid() == 0 else "")
            # As root, mosquitto drops to user `mosquitto`, who cannot write a 0700 temp folder: the broker
            # then keeps no sessions across the restart drill and the subscriber's messages are lost there.
        )
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [self._binary, "-c", str(self._conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise BenchError(f"mosquitto did not listen on port {self.port} within 5 s")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(5)
            self._proc = None

    def restart(self, down_s: float = 0.5) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


class Collector:
    """Subscribes to `anpr/#` and counts each event id received (duplicates are counted, not hidden)."""

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        # A persistent MQTT 5 session, reconnecting every second: a broker restart must not lose messages here.
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{port}", protocol=mqtt.MQTTv5)
        client.reconnect_delay_set(1, 1)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        client.connect_async("127.0.0.1", port, 30, clean_start=False, properties=props)
        client.loop_start()
        self._client = client
        if not self._ready.wait(5):
            raise BenchError("bench subscriber could not connect to the broker")
        time.sleep(0.2)  # the SUBACK

    def _on_connect(self, client: Any, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if not rc.is_failure:
            client.subscribe("anpr/#", qos=1)
            self._ready.set()

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        try:
            event_id = json.loads(msg.payload)["event_id"]
        except (ValueError, KeyError, TypeError):
            return  # status messages and the like
        with self._lock:
            self.counts[event_id] = self.counts.get(event_id, 0) + 1

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.counts)

    def duplicates(self) -> int:
        with self._lock:
            return sum(n - 1 for n in self.counts.values())

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
