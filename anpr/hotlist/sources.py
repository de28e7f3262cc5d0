"""Where signed documents come from: a watched file, an HTTPS URL, a retained MQTT topic.

Every source hands the bytes to `HotlistStore.apply_bytes`, which verifies and refuses; a source only
fetches. Each runs in its own daemon thread and survives a dead peer (logged, retried on the next poll).
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import urllib.error
import urllib.request
from typing import Any, Protocol

from anpr.core import mqtt_credentials as credentials
from anpr.core.redact import redact
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.store import ApplyResult, HotlistStore

log = logging.getLogger(__name__)


class Source(Protocol):
    name: str

    def sync_once(self) -> ApplyResult | None:
        """Fetch and apply once; None when there was nothing new or the origin could not be reached."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class _Poller:
    """A daemon thread calling `sync_once` every `interval` seconds until stopped."""

    name = "poller"
    interval = 5.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sync_once(self) -> ApplyResult | None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync_once()
            except Exception:  # a bug in one poll must not end the thread; the next poll retries
                log.exception("hotlist source %s: poll failed", self.name)
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"hotlist-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)


class FileSource(_Poller):
    """A document file, re-read when its size, mtime or inode changes (works on any filesystem)."""

    def __init__(self, path: str, store: HotlistStore, interval: float = 5.0) -> None:
        super().__init__()
        self.path, self.store, self.interval = path, store, interval
        self.name = f"file:{path}"
        self._seen: tuple[int, int, int] | None = None

    def sync_once(self) -> ApplyResult | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        sig = (st.st_size, st.st_mtime_ns, st.st_ino)
        if sig == self._seen:
            return None
        try:
            with open(self.path, "rb") as fh:
                data = fh.read(self.store.document_limit + 1)  # a larger file is refused, never read whole
        except OSError as err:
            log.warning("hotlist source %s: cannot read: %s", self.name, err)
            return None
        self._seen = sig
        return self.store.apply_bytes(data, self.name)


class HttpsSource(_Poller):
    """HTTPS pull with ETag / If-Modified-Since, so an unchanged list costs one small request."""

    def __init__(self, url: str, store: HotlistStore, *, ca: str | None, interval: float, timeout: float) -> None:
        super().__init__()
        self.url, self.store, self.interval, self.timeout = url, store, interval, timeout
        self.name = f"https:{redact(url)}"  # a URL may carry user:password; never log it
        self._ctx = ssl.create_default_context(cafile=ca)
        self._etag: str | None = None
        self._modified: str | None = None

    def sync_once(self) -> ApplyResult | None:
        req = urllib.request.Request(self.url, headers={"Accept-Encoding": "identity"})
        if self._etag:
            req.add_header("If-None-Match", self._etag)
        if self._modified:
            req.add_header("If-Modified-Since", self._modified)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._ctx) as resp:
                data = resp.read(self.store.document_limit + 1)
                etag, modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
        except urllib.error.HTTPError as err:
            if err.code == 304:
                log.debug("hotlist source %s: not modified", self.name)
                self.store.note_sync(True, self.name)
                return None
            log.warning("hotlist source %s: HTTP %d %s", self.name, err.code, err.reason)
            self.store.note_sync(False, self.name)
            return None
        except (urllib.error.URLError, OSError) as err:
            log.warning("hotlist source %s: unreachable: %s", self.name, getattr(err, "reason", err))
            self.store.note_sync(False, self.name)
            return None
        result = self.store.apply_bytes(data, self.name)
        if result != "refused":  # a refused body is fetched again next time, in case it was cut short
            self._etag, self._modified = etag, modified
        return result


class MqttSource:
    """The retained topic `{prefix}/hotlist/{list}`: the broker hands over the newest document on subscribe."""

    def __init__(self, cfg: HotlistConfig, store: HotlistStore, client_id: str = "") -> None:
        self.cfg, self.store, self.client_id = cfg, store, client_id
        self.topic = cfg.mqtt_topic
        self.name = f"mqtt:{cfg.mqtt_host}:{cfg.mqtt_port}/{self.topic}"
        self.applied = threading.Event()
        self.last_result: ApplyResult | None = None
        self._client: Any = None

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.warning("hotlist source %s: connect refused: %s", self.name, reason_code)
            return
        client.subscribe(self.topic, qos=1)  # in on_connect, so a reconnect subscribes again

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        if not msg.payload:  # an empty retained message clears the topic; nothing to apply
            return
        result = self.store.apply_bytes(bytes(msg.payload), self.name)
        self.last_result = result
        if result != "refused":
            self.applied.set()

    def start(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        cfg = self.cfg
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        if cfg.mqtt_username is not None:
            password = credentials.read_password("hotlist.mqtt", cfg.mqtt_password_file, cfg.mqtt_password_env)
            client.username_pw_set(cfg.mqtt_username, password)
        if cfg.mqtt_ca:
            client.tls_set_context(
                credentials.tls_context("hotlist.mqtt", cfg.mqtt_ca, cfg.mqtt_certfile, cfg.mqtt_keyfile)
            )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        # MQTT 5: the broker never sends this client a packet larger than a document may be.
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho ships no annotation here
        props.MaximumPacketSize = self.store.document_limit + 4096
        client.connect_async(self.cfg.mqtt_host, self.cfg.mqtt_port, keepalive=60, properties=props)
        client.loop_start()
        self._client = client

    def sync_once(self) -> ApplyResult | None:
        """Connect, take the retained document (waiting up to the HTTPS timeout), disconnect."""
        self.applied.clear()
        self.start()
        try:
            got = self.applied.wait(self.cfg.https_timeout_s)
        finally:
            self.stop()
        return self.last_result if got else None

    def stop(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None


def build_sources(cfg: HotlistConfig, store: HotlistStore, device_id: str = "") -> list[Source]:
    """The sources the config turns on, not started."""
    sources: list[Source] = []
    if cfg.file:
        sources.append(FileSource(cfg.file, store, cfg.file_poll_s))
    if cfg.https_url:
        sources.append(
            HttpsSource(cfg.https_url, store, ca=cfg.https_ca, interval=cfg.https_poll_s, timeout=cfg.https_timeout_s)
        )
    if cfg.mqtt:
        sources.append(MqttSource(cfg, store, f"{device_id}-hotlist" if device_id else ""))
    return sources


def start_sync(cfg: HotlistConfig, store: HotlistStore, device_id: str = "") -> list[Source]:
    """Start every configured source; call `stop()` on each at shutdown."""
    sources = build_sources(cfg, store, device_id)
    for s in sources:
        s.start()
        log.info("hotlist source %s started", s.name)
    return sources
