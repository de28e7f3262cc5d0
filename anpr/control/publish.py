"""Issue a signed hotlist document to the cars: the retained topic `{prefix}/hotlist/{list}`.

The document is checked with the hotlist package's own decoder against the keys the cars trust, so
the control room never publishes what every car would refuse. Only snapshots go to the retained
topic: a car that connects later receives just the retained message, and a delta alone is useless to
it. The bytes are published exactly as signed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from anpr.control.config import ControlConfig
from anpr.control.receiver import make_client
from anpr.control.store import Store
from anpr.hotlist import document, keys
from anpr.hotlist.base import DocumentRefused

log = logging.getLogger(__name__)


class PublishError(Exception):
    """The document or the broker said no; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Published:
    topic: str
    list_name: str
    version: int
    entries: int
    sha256: str


def check_document(data: bytes, trusted_specs: tuple[str, ...], store: Store | None, force: bool) -> document.Document:
    if not trusted_specs:
        raise PublishError("no trusted keys: set [hotlist] trusted_keys (the cars' keys) or pass --pub")
    try:
        trusted = keys.load_trusted(trusted_specs)
        doc = document.decode(data, trusted)
    except ValueError as err:
        raise PublishError(str(err)) from None
    except DocumentRefused as ref:
        raise PublishError(f"the cars would refuse this document: {ref}") from None
    if doc.kind != "snapshot":
        raise PublishError("only a snapshot goes to the retained topic (a car joining later would get a lone delta)")
    if store is not None and not force:
        issued = [h["version"] for h in store.hotlists() if h["list_name"] == doc.list_name]
        if issued and doc.version <= max(issued):
            raise PublishError(
                f"list {doc.list_name} version {doc.version} is not newer than the issued {max(issued)}; "
                "the cars would keep theirs (--force to publish anyway)"
            )
    return doc


def publish_hotlist(
    cfg: ControlConfig, data: bytes, store: Store | None, *, trusted: tuple[str, ...] = (), force: bool = False,
    timeout: float = 15.0,
) -> Published:  # fmt: skip
    doc = check_document(data, trusted or cfg.hotlist.trusted_keys, store, force)
    topic = f"{cfg.broker.prefix}/hotlist/{doc.list_name}"
    client = make_client(cfg.broker, f"anpr-control-publish-{os.getpid()}")
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def on_connect(_c: Any, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            outcome["error"] = f"broker refused the connection: {rc}"
            done.set()

    def on_publish(_c: Any, _u: Any, _mid: int, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            outcome["error"] = f"broker refused the document: {rc}"
        done.set()

    client.on_connect = on_connect
    client.on_publish = on_publish
    try:
        client.connect(cfg.broker.host, cfg.broker.port, cfg.broker.keepalive_s)
    except OSError as err:
        raise PublishError(f"cannot reach the broker {cfg.broker.host}:{cfg.broker.port}: {err}") from None
    client.loop_start()
    try:
        client.publish(topic, data, qos=1, retain=True)
        if not done.wait(timeout):
            raise PublishError(f"no PUBACK from the broker within {timeout:.0f} s")
        if "error" in outcome:
            raise PublishError(outcome["error"])
    finally:
        client.disconnect()
        client.loop_stop()
    digest = hashlib.sha256(data).hexdigest()
    if store is not None:
        store.record_hotlist(
            doc.list_name, doc.version, doc.kind, doc.issued_at.isoformat(), time.time(), doc.key_id,
            len(doc.entries), digest,
        )  # fmt: skip
    log.info("published %s v%d (%d entries) to %s", doc.list_name, doc.version, len(doc.entries), topic)
    return Published(topic, doc.list_name, doc.version, len(doc.entries), digest)
