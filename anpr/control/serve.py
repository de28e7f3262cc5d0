"""`anpr control serve`: the receiver and the page in one process."""

from __future__ import annotations

import logging
import threading
from typing import Any

from anpr.control.config import ControlConfig
from anpr.control.live import Hub
from anpr.control.receiver import Receiver
from anpr.control.retention import Retention
from anpr.control.store import Store, open_store
from anpr.control.web import build_app

log = logging.getLogger(__name__)


class ControlRoom:
    """Store + receiver + page, built from the config; `run` blocks until SIGINT/SIGTERM (or `stop`)."""

    def __init__(self, cfg: ControlConfig, store: Store | None = None) -> None:
        self.cfg = cfg
        self.store = store or open_store(cfg.database_url)
        self.hub = Hub()
        self.receiver = Receiver(cfg.broker, self.store)
        self.receiver.listeners.append(self.hub.on_stored)
        self.retention = Retention(self.store, cfg.retention)
        self.app = build_app(self.store, cfg.web, self.hub, self.stats, publish=self.publish, map_cfg=cfg.map)
        self._server: Any = None
        self._stopped = threading.Event()

    def stats(self) -> dict[str, Any]:
        r = self.receiver
        return {
            "connected": r.connected.is_set(),
            "writer_alive": r.writer_alive,
            "last_error": r.last_error,
            "last_error_at": r.last_error_at,
            **r.counts,
        }

    def publish(self, data: bytes) -> Any:
        from anpr.control.publish import publish_hotlist

        return publish_hotlist(self.cfg, data, self.store)

    def run(self) -> None:
        # Ours first: uvicorn swaps in its own handlers while serving, then restores ours and re-raises the
        # signal it caught, which would otherwise kill us (SIGTERM) before the receiver has stored and acked.
        _install_signals(self.stop)
        if self.cfg.web.enabled and not self.store.query("SELECT name FROM users LIMIT 1"):
            log.warning("no control-room users yet: nobody can log in (anpr control user add NAME --role admin)")
        self.receiver.start()
        self.retention.start()
        try:
            if self.cfg.web.enabled:
                import uvicorn

                web = self.cfg.web
                config = uvicorn.Config(
                    self.app, host=web.host, port=web.port, log_level="warning", timeout_graceful_shutdown=2,
                    lifespan="on", ssl_certfile=web.tls_cert_file, ssl_keyfile=web.tls_key_file,
                    server_header=False, proxy_headers=web.behind_tls_proxy,
                )  # fmt: skip
                self._server = uvicorn.Server(config)
                scheme = "https" if web.tls_enabled else "http"
                log.info("control room page on %s://%s:%d/", scheme, web.host, web.port)
                self._server.run()  # handles SIGINT/SIGTERM when run in the main thread
            else:
                self._stopped.wait()
        finally:
            self.retention.stop()
            self.receiver.stop()
            log.info("control room stopped: %s", self.stats())
            self.store.close()

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.should_exit = True


def _install_signals(stop: Any) -> None:
    import signal

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
