"""Publishes the outbox over MQTT (paho-mqtt 2.x): QoS 1, persistent session, bounded in-flight window.

One thread moves events from the outbox to paho and back: it publishes up to `inflight_max` events
(hits first), keeps each event's `MQTTMessageInfo`, and acks an event in the outbox only when that very
info reports its PUBACK (mids are reused, so a mid alone identifies nothing). paho keeps unacknowledged
messages across reconnects and resends them; after a restart the outbox resends them instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from anpr.core import mqtt_credentials as credentials
from anpr.uplink.config import UplinkConfig
from anpr.uplink.outbox import Outbox

log = logging.getLogger(__name__)

StatusProvider = Callable[[], dict[str, Any]]


class PublisherError(Exception):
    """A publisher that cannot be set up (unreadable password file, missing certificate)."""


def read_password(cfg: UplinkConfig) -> str | None:
    try:
        return credentials.read_password("uplink", cfg.password_file, cfg.password_env)
    except credentials.CredentialError as err:
        raise PublisherError(str(err)) from None


def tls_context(cfg: UplinkConfig) -> ssl.SSLContext:
    try:
        return credentials.tls_context("uplink", cfg.ca_file, cfg.cert_file, cfg.key_file)
    except credentials.CredentialError as err:
        raise PublisherError(str(err)) from None


def queued(info: mqtt.MQTTMessageInfo) -> mqtt.MQTTMessageInfo:
    """`info` of a QoS 1 publish, with NO_CONN (the connection dropped as it was published) read as queued.

    paho keeps such a message, sends it on reconnect and marks this very info published at its PUBACK, but
    the info keeps rc NO_CONN, for which `is_published()` raises for ever (paho 2.2): the publisher thread
    then failed on it at every step and the uplink stalled until a restart (drill 2, a broker restarted
    mid-burst, when the drop fell between our connected check and the publish)."""
    if info.rc == mqtt.MQTT_ERR_NO_CONN:
        info.rc = mqtt.MQTT_ERR_SUCCESS
    return info


def acknowledged(info: mqtt.MQTTMessageInfo) -> bool | None:
    """True once the broker acknowledged `info`'s message, False while it waits, None when paho gave it up."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError):
        return None


class MqttPublisher:
    def __init__(
        self, cfg: UplinkConfig, outbox: Outbox, device_id: str, status_provider: StatusProvider | None = None
    ) -> None:
        self.cfg, self.outbox, self.device_id = cfg, outbox, device_id
        self.status_provider = status_provider
        base = f"{cfg.prefix}/{device_id}"
        self.topics = {"hit": f"{base}/hit", "read": f"{base}/read", "status": f"{base}/status"}
        self.connected = False
        self.last_error: str | None = None
        self.published = 0
        self.refused = 0
        self._inflight: dict[str, mqtt.MQTTMessageInfo] = {}
        self._refusals: dict[int, str] = {}
        self._retry_after = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_status = 0.0
        self._v5 = cfg.mqtt_version == "5"
        self._tls = tls_context(cfg) if cfg.tls else None
        self.client = self._make_client(read_password(cfg))
        self._thread = threading.Thread(target=self._loop, name="anpr-uplink", daemon=True)

    def _make_client(self, password: str | None) -> mqtt.Client:
        cfg = self.cfg
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"anpr-{self.device_id}",
            protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311,
            clean_session=None if self._v5 else False,
        )
        # paho's own lines go to DEBUG: it logs "not connected" at ERROR on every retry; we log the causes
        client.on_log = lambda _c, _u, _lvl, buf: log.debug("paho: %s", buf)
        client.max_inflight_messages_set(cfg.inflight_max)
        client.reconnect_delay_set(cfg.reconnect_min_s, cfg.reconnect_max_s)
        if cfg.username is not None:
            client.username_pw_set(cfg.username, password)
        if self._tls is not None:
            client.tls_set_context(self._tls)
        will_props = None
        if self._v5:
            will_props = Properties(PacketTypes.WILLMESSAGE)  # type: ignore[no-untyped-call]
            will_props.ContentType = "application/json"
        client.will_set(
            self.topics["status"], self._status_payload("offline"), qos=1, retain=True, properties=will_props
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_publish = self._on_publish
        return client

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        props = None
        if self._v5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = self.cfg.session_expiry_s
        if self._v5:  # persistent session: the broker keeps our unacked messages across reconnects
            self.client.connect_async(
                self.cfg.host, self.cfg.port, self.cfg.keepalive_s, clean_start=False, properties=props
            )
        else:
            self.client.connect_async(self.cfg.host, self.cfg.port, self.cfg.keepalive_s)
        self.client.loop_start()
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Wait up to `timeout` for the outbox to drain, say offline, disconnect."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.connected and (self._inflight or self.outbox.pending(1)):
            self._wake.set()
            time.sleep(0.02)
        self._stop.set()
        self._wake.set()
        self._thread.join(max(0.1, deadline - time.monotonic()))
        if self.connected:
            info = self.client.publish(self.topics["status"], self._status_payload("offline"), qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(max(0.1, min(2.0, deadline - time.monotonic())))
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho callbacks (network thread: keep them short) ----------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            self.connected = False
            self.last_error = f"broker refused the connection: {rc}"
            log.error("MQTT %s:%d refused the connection: %s", self.cfg.host, self.cfg.port, rc)
            return
        self.connected = True
        if self.last_error:
            log.info("MQTT connected to %s:%d again", self.cfg.host, self.cfg.port)
        self.last_error = None
        self._last_status = 0.0
        self._wake.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if self.connected and not self._stop.is_set():
            log.warning("MQTT disconnected from %s:%d (%s); will reconnect", self.cfg.host, self.cfg.port, rc)
        self.connected = False

    def _on_connect_fail(self, _c: mqtt.Client, _u: Any) -> None:
        reason = self._diagnose()
        if reason != self.last_error:
            log.error("MQTT cannot connect to %s:%d: %s", self.cfg.host, self.cfg.port, reason)
        self.last_error = reason

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        # Runs just before paho marks the MQTTMessageInfo published; the publisher thread pairs by info.
        if rc.is_failure:
            self._refusals[mid] = str(rc)
        self._wake.set()

    def _diagnose(self) -> str:
        """paho hides why a connect failed; repeat the TCP/TLS handshake once to name the cause."""
        try:
            with socket.create_connection((self.cfg.host, self.cfg.port), timeout=5) as sock:
                if self._tls is not None:
                    with self._tls.wrap_socket(sock, server_hostname=self.cfg.host):
                        pass
        except ssl.SSLCertVerificationError as err:
            return f"TLS certificate of the broker rejected ({err.verify_message}); check uplink.ca_file"
        except ssl.SSLError as err:
            return f"TLS handshake failed ({err.reason or err}); check uplink.ca_file/cert_file/key_file"
        except OSError as err:
            return f"broker unreachable ({err.strerror or err})"
        return "connection failed after the handshake (see the broker's log)"

    # -- the publisher thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # keep publishing whatever one bad step did; the outbox still holds everything
                log.exception("uplink publisher step failed")
                time.sleep(1)
            # paho calls on_publish just before it marks the info published: poll briefly while waiting.
            self._wake.wait(0.02 if (self._inflight and self.connected) else 0.5)
            self._wake.clear()

    def _step(self) -> None:
        done: list[str] = []
        for eid, info in list(self._inflight.items()):
            state = acknowledged(info)
            if state is False:
                continue
            del self._inflight[eid]
            if state is None:  # the row stays in the outbox, so the event is published again
                log.warning("paho gave up event %s (%s); will send it again", eid, mqtt.error_string(info.rc))
                continue
            reason = self._refusals.pop(info.mid, None)
            if reason is None:
                done.append(eid)
            else:
                self.refused += 1
                self._retry_after = time.monotonic() + self.cfg.reconnect_min_s
                log.error("broker refused event %s: %s; will retry", eid, reason)
        if done:
            self.outbox.ack(done)
            self.published += len(done)
        if not self.connected:
            return
        now = time.monotonic()
        if now - self._last_status >= self.cfg.status_interval_s:
            self._last_status = now
            self.client.publish(self.topics["status"], self._status_payload("online"), qos=1, retain=True)
        room = self.cfg.inflight_max - len(self._inflight)
        if room <= 0 or now < self._retry_after:
            return
        for item in self.outbox.pending(room, exclude=self._inflight):
            if item.kind == "read" and not self.cfg.publish_reads:
                self.outbox.ack([item.event_id])  # reads switched off: kept locally for retention, never sent
                continue
            info = queued(self.client.publish(self.topics[item.kind], item.payload, qos=1))
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                log.warning("publish of %s failed: %s", item.event_id, mqtt.error_string(info.rc))
                break
            self._inflight[item.event_id] = info

    def _status_payload(self, state: str) -> bytes:
        body: dict[str, Any] = {
            "state": state,
            "device_id": self.device_id,
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        if state == "online":
            st = self.outbox.stats()
            body["outbox"] = {
                "pending_hits": st.pending_hits,
                "pending_reads": st.pending_reads,
                "oldest_age_s": None if st.oldest_pending_age_s is None else round(st.oldest_pending_age_s, 1),
                "evicted_reads": st.evicted_reads,
                "disk_full": st.disk_full,
            }
            if self.status_provider is not None:
                try:
                    body.update(self.status_provider())
                except Exception as err:  # a broken provider must not stop delivery
                    log.warning("status provider failed: %s", err)
        return json.dumps(body, sort_keys=True, default=str).encode()

    def stats(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "inflight": len(self._inflight),
            "published": self.published,
            "refused": self.refused,
            "last_error": self.last_error,
        }
