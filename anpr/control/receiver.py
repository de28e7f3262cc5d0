"""Receives the cars' events over MQTT 5 and stores them; a PUBACK is sent only after the commit.

paho's network thread only queues messages. One writer thread takes whatever has queued (no waiting
for a full batch), classifies each message (`ingest`), stores the batch in one transaction, and only
then acknowledges every message of it (`manual_ack`): a receiver killed mid-batch leaves the events
unacknowledged in its persistent session, and the broker sends them again. Hits and reads are taken
through a shared subscription when `shared_group` is set, so receivers of one group split the load;
statuses never are (the broker does not hand retained messages to shared subscriptions, and a status
is an idempotent upsert anyway).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from anpr.control.config import BrokerConfig
from anpr.control.ingest import Ingested, Quarantined, SchemaCheck, ingest, load_validator
from anpr.control.payload import printable
from anpr.control.store import AddResult, Store
from anpr.core import mqtt_credentials as credentials

log = logging.getLogger(__name__)

Listener = Callable[[AddResult], None]
_Msg = tuple[str, bytes, int, int]  # topic, payload, mid, qos


class ReceiverError(Exception):
    """A receiver that cannot be set up (unreadable password or TLS files)."""


def make_client(cfg: BrokerConfig, client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    """An MQTT 5 client with the control room's credentials and TLS (shared with `publish-hotlist`)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    client.on_log = lambda _c, _u, _lvl, buf: log.debug("paho: %s", buf)
    try:
        if cfg.username is not None:
            client.username_pw_set(
                cfg.username, credentials.read_password("broker", cfg.password_file, cfg.password_env)
            )
        if cfg.tls:
            client.tls_set_context(credentials.tls_context("broker", cfg.ca_file, cfg.cert_file, cfg.key_file))
    except credentials.CredentialError as err:
        raise ReceiverError(str(err)) from None
    return client


def topics(cfg: BrokerConfig) -> list[str]:
    share = f"$share/{cfg.shared_group}/" if cfg.shared_group else ""
    p = cfg.prefix
    return [f"{share}{p}/+/hit", f"{share}{p}/+/read", f"{p}/+/status"]


class Receiver:
    def __init__(
        self,
        cfg: BrokerConfig,
        store: Store,
        validator: SchemaCheck | None = None,
        client_id: str | None = None,
    ) -> None:
        self.cfg, self.store = cfg, store
        self.validator = validator or load_validator()
        self.client_id = client_id or cfg.client_id or f"anpr-control-{socket.gethostname()}"
        self.listeners: list[Listener] = []
        self.connected = threading.Event()
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.counts = {"received": 0, "stored": 0, "duplicates": 0, "quarantined": 0, "statuses": 0, "errors": 0,
                       "dropped": 0, "writer_restarts": 0}  # fmt: skip
        self._q: queue.SimpleQueue[_Msg | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.client = make_client(cfg, self.client_id, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self._writer = threading.Thread(target=self._run_writer, name="anpr-control-writer", daemon=True)

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.cfg.session_expiry_s
        props.ReceiveMaximum = self.cfg.receive_maximum
        self.client.reconnect_delay_set(1, 30)
        self.client.connect_async(
            self.cfg.host, self.cfg.port, self.cfg.keepalive_s, clean_start=False, properties=props
        )
        self._writer.start()
        self.client.loop_start()

    @property
    def writer_alive(self) -> bool:
        return self._writer.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Store and acknowledge what has queued, then disconnect; later arrivals stay with the broker."""
        self._q.put(None)
        self._writer.join(timeout)
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho callbacks (network thread) ---------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            self.last_error = f"broker refused the connection: {rc}"
            log.error("MQTT %s:%d refused the control room: %s", self.cfg.host, self.cfg.port, rc)
            return
        self.last_error = None
        # Subscribing on every connect: a session the broker lost (expiry, restart without persistence)
        # would otherwise leave us connected and deaf.
        result, _mid = client.subscribe([(t, 1) for t in topics(self.cfg)])
        if result != mqtt.MQTT_ERR_SUCCESS:
            log.error("subscribe failed: %s", mqtt.error_string(result))
        log.info("MQTT connected to %s:%d as %s", self.cfg.host, self.cfg.port, self.client_id)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: list[Any], _p: Any) -> None:
        bad = [str(c) for c in codes if c.is_failure]
        if bad:
            self.last_error = f"subscription refused: {', '.join(bad)}"
            log.error("broker refused a subscription of %s: %s", topics(self.cfg), ", ".join(bad))
        else:
            self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected from %s:%d (%s); reconnecting", self.cfg.host, self.cfg.port, rc)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self._q.put((msg.topic, bytes(msg.payload), msg.mid, msg.qos))

    # -- writer thread ---------------------------------------------------------------------------------
    def _run_writer(self) -> None:
        """The writer, restarted if it ever dies: a dead writer would leave the page saying all is well."""
        while True:
            try:
                self._write_loop()
                return
            except Exception as err:  # _write_loop catches per batch; this is the last line of defence
                self.counts["writer_restarts"] += 1
                self._fail(f"writer: {type(err).__name__}: {err}")
                log.exception("the writer thread failed; restarting it")
                if self._stop.wait(1.0):
                    return

    def _write_loop(self) -> None:
        while True:
            first = self._q.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < 2000:  # take what has queued, never wait for more: latency matters for hits
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._q.put(None)
                    break
                batch.append(nxt)
            try:
                self._store_batch(batch)
            except Exception as err:
                log.exception("storing a batch of %d failed; storing its messages one by one", len(batch))
                self._fail(f"writer: {type(err).__name__}: {err}")
                for msg in batch:
                    self._store_alone(msg)

    def _store_alone(self, msg: _Msg) -> None:
        try:
            self._store_batch([msg])
        except Exception as err:  # neither stored nor quarantined: acknowledged, counted, logged, never retried
            self.counts["dropped"] += 1
            self._fail(f"writer: {type(err).__name__}: {err}")
            log.exception("dropped a message on %s (%d bytes) that could not be stored", msg[0], len(msg[1]))
            self._ack([msg])

    def _fail(self, why: str) -> None:
        self.counts["errors"] += 1
        self.last_error = why
        self.last_error_at = time.time()

    def _store_batch(self, batch: list[_Msg]) -> None:
        pairs = [(m, ingest(self.cfg.prefix, m[0], m[1], self.validator, self.cfg.max_payload_bytes)) for m in batch]
        res = self._store(pairs)
        if res is None:  # stopped while the database was away: the broker re-sends the batch next session
            return
        self.last_error = None
        self._ack(batch)
        c = self.counts
        c["received"] += len(batch)
        c["stored"] += len(res.stored)
        c["duplicates"] += res.duplicates
        c["quarantined"] += res.quarantined
        c["statuses"] += res.statuses
        if res.quarantined:
            log.warning("quarantined %d payload(s); see the quarantine table", res.quarantined)
        for fn in self.listeners:
            try:
                fn(res)
            except Exception:  # a broken page listener must not stop storing
                log.exception("receiver listener failed")

    def _ack(self, batch: list[_Msg]) -> None:
        for _topic, _payload, mid, qos in batch:
            if qos > 0:
                self.client.ack(mid, qos)

    def _store(self, pairs: list[tuple[_Msg, Ingested | None]]) -> AddResult | None:
        """The batch in one transaction. When the database answers but refuses the batch, one of its
        messages is poison: stored one by one, what the database refuses is quarantined with its reason.
        When the database does not answer, nothing is acknowledged: back off and retry (the broker keeps
        the batch if we are stopped first; the primary key absorbs any overlap)."""
        items = [it for _m, it in pairs if it is not None]
        delay = 0.5
        while True:
            try:
                return self.store.add(items, time.time())
            except Exception as err:
                self._fail(f"database: {printable(str(err))}")
                log.error("storing %d messages failed (%s)", len(pairs), err)
            down = self.store.check()
            if down is None:
                try:  # once more, on a connection the check may just have reopened
                    return self.store.add(items, time.time())
                except Exception as err:
                    log.error("the database answers but refused the batch again (%s): storing it one by one", err)
                try:
                    return self._one_by_one(pairs)
                except Exception as err:  # the database went away half-way: back off, redo the batch
                    down = str(err)
            self._fail(f"database: {printable(down)}")
            log.error("database unavailable (%s); retrying in %.1f s", down, delay)
            if self._stop.wait(delay):
                return None
            delay = min(delay * 2, 30.0)

    def _one_by_one(self, pairs: list[tuple[_Msg, Ingested | None]]) -> AddResult:
        total = AddResult()
        for (topic, payload, _mid, _qos), it in pairs:
            if it is None:
                continue
            now = time.time()
            try:
                res = self.store.add([it], now)
            except Exception as err:
                why = printable(f"database refused it: {type(err).__name__}: {err}")
                log.error("the database refused a message on %s (%s); quarantined", topic, err)
                res = self.store.add([Quarantined(topic, payload, why)], now)
            total.stored.extend(res.stored)
            total.duplicates += res.duplicates
            total.statuses += res.statuses
            total.quarantined += res.quarantined
        return total
