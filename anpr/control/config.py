"""The control room's own config (`anpr control serve -c control.toml`); nothing here runs in a car."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from anpr.core.mqtt_auth import TOPIC_PREFIX, MqttAuth
from anpr.core.settings import Section, read_toml, validate


class BrokerConfig(MqttAuth):
    host: str = Field(default="localhost", description="MQTT broker host")
    port: int = Field(default=1883, ge=1, le=65535, description="MQTT broker port (8883 is usual with TLS)")
    prefix: str = Field(
        default="anpr", pattern=TOPIC_PREFIX, max_length=64, description="topic prefix of the cars (levels allowed)"
    )
    client_id: str = Field(
        default="", max_length=128, description="MQTT client id; empty: anpr-control-{hostname}-{port of the web page}"
    )
    shared_group: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_-]{0,64}$",
        description="MQTT 5 shared subscription group for hits/reads ($share/GROUP/...): receivers in one group split "
        "the load; empty: every receiver gets every event",
    )
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="MQTT keepalive in seconds")
    session_expiry_s: int = Field(
        default=86400, ge=0, le=0xFFFFFFFF, description="the broker queues events for us this long while we are down"
    )
    receive_maximum: int = Field(
        default=1000, ge=1, le=65535, description="QoS 1 messages the broker may send before our PUBACKs"
    )
    max_payload_bytes: int = Field(
        default=1 << 20, ge=1024, description="larger payloads are quarantined (a crop is capped on the car)"
    )


class WebConfig(Section):
    enabled: bool = Field(default=True, description="serve the map page")
    host: str = Field(default="127.0.0.1", description="address of the page (keep it on localhost or behind a proxy)")
    port: int = Field(default=8080, ge=0, le=65535, description="port of the page (0: any free port)")
    offline_after_s: float = Field(
        default=120.0, gt=0, description="a car whose last status or event is older than this shows as offline"
    )
    max_rows: int = Field(default=5000, ge=1, le=1_000_000, description="most rows one page query returns")
    tls_cert_file: str | None = Field(default=None, description="PEM certificate chain: the page is served over HTTPS")
    tls_key_file: str | None = Field(default=None, description="PEM private key of tls_cert_file")
    behind_tls_proxy: bool = Field(
        default=False,
        description="a TLS reverse proxy (nginx, caddy) on this host serves the page: session cookies are Secure",
    )
    allow_plaintext_remote: bool = Field(
        default=False,
        description="serve plain HTTP on an address beyond loopback (refused unless true: logins would cross "
        "the network in clear)",
    )
    allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="Host header values served (e.g. control.example.cl); empty: localhost, 127.0.0.1 and host",
    )
    session_hours: float = Field(default=12.0, gt=0, le=168, description="a login lasts this long")
    login_attempts: int = Field(
        default=5, ge=1, le=100, description="failed logins per user name per login_window_s (x4 per address)"
    )
    login_window_s: float = Field(default=900.0, ge=10, le=86400, description="window of login_attempts")
    timezone: str = Field(
        default="America/Santiago",
        max_length=64,
        description="IANA time zone of the page, of the date filters (dd-mm-yyyy) and of the exports' local columns",
    )

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert_file is not None

    def hosts(self) -> list[str]:
        return list(self.allowed_hosts) or sorted({"localhost", "127.0.0.1", self.host})

    @model_validator(mode="after")
    def _check_exposure(self) -> WebConfig:
        try:
            self.zone()
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {self.timezone!r}: expected an IANA zone such as America/Santiago") from None
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file: set both (HTTPS) or neither")
        if not self.tls_enabled and not self.allow_plaintext_remote and not _loopback(self.host):
            raise ValueError(
                f"host {self.host!r} is beyond loopback without TLS: set tls_cert_file and tls_key_file, or keep "
                'host = "127.0.0.1" behind a TLS reverse proxy (behind_tls_proxy = true), or set '
                "allow_plaintext_remote = true if the network is trusted"
            )
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_TILE_URL = re.compile(r"^https?://[A-Za-z0-9.{}:-]+(/[^\s\"'<>]*)?$")


class MapConfig(Section):
    """Where the page's street map comes from: a tile server the operators' browsers reach (`tiles_url`),
    or, with no such server, a local MBTiles file the control room serves itself (`mbtiles`)."""

    tiles_url: str = Field(
        default="",
        max_length=300,
        description="tile URL template with {z}, {x}, {y} (and optionally {s}), fetched by the operator's browser, "
        "e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty: mbtiles, or no streets",
    )
    subdomains: str = Field(default="abc", pattern=r"^[a-z0-9]{0,8}$", description="values of {s} in tiles_url")
    mbtiles: str | None = Field(
        default=None, description="a local MBTiles file (raster PNG/JPEG/WebP tiles) served at /tiles/{z}/{x}/{y}"
    )
    attribution: str = Field(
        default="", max_length=300, description="the map data's attribution shown on the map (plain text)"
    )
    max_zoom: int = Field(default=19, ge=1, le=22, description="deepest zoom the tiles exist for")
    center_lat: float = Field(default=-29.9045, ge=-90, le=90, description="where the map opens before any event")
    center_lon: float = Field(default=-71.2489, ge=-180, le=180, description="where the map opens before any event")

    @model_validator(mode="after")
    def _check_tiles(self) -> MapConfig:
        if self.tiles_url and self.mbtiles:
            raise ValueError("tiles_url and mbtiles: set one (a tile server or a local file), not both")
        url = self.tiles_url
        if url and (not _TILE_URL.match(url) or not all(k in url for k in ("{z}", "{x}", "{y}"))):
            raise ValueError(f"tiles_url {url[:80]!r}: expected an http(s) URL template with {{z}}, {{x}} and {{y}}")
        if (self.tiles_url or self.mbtiles) and not self.attribution.strip():
            raise ValueError("attribution: map data must be credited (e.g. '© OpenStreetMap contributors')")
        return self

    def tile_origin(self) -> str | None:
        """The tile server's origin for the page's Content-Security-Policy (img-src); None without one."""
        if not self.tiles_url:
            return None
        parts = urlsplit(self.tiles_url)
        host = parts.netloc.replace("{s}", "*")
        return f"{parts.scheme}://{host}"


class HotlistPublishConfig(Section):
    trusted_keys: tuple[str, ...] = Field(
        default=(),
        description="public keys (file or base64) a document must verify against before it is published; "
        "the cars' hotlist.trusted_keys",
    )


class RetentionConfig(Section):
    """How long the control room keeps what arrives (counted from arrival: a car's clock may be wrong)."""

    reads_days: float = Field(
        default=30.0, gt=0, le=3650, description="plain reads are deleted after this (Ley 19.628)"
    )
    hits_days: float = Field(default=365.0, gt=0, le=3650, description="hotlist hits are deleted after this")
    quarantine_days: float = Field(default=30.0, gt=0, le=3650, description="refused payloads are deleted after this")
    every_s: float = Field(default=3600.0, ge=60, le=86400, description="how often the purge runs")


class ControlConfig(Section):
    database_url: str = Field(
        default="sqlite:///control.sqlite",
        description="sqlite:///relative.sqlite, sqlite:////absolute.sqlite or postgresql://user@host/db",
    )
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$", description="log level")
    broker: BrokerConfig = BrokerConfig()
    web: WebConfig = WebConfig()
    map: MapConfig = MapConfig()
    hotlist: HotlistPublishConfig = HotlistPublishConfig()
    retention: RetentionConfig = RetentionConfig()

    @model_validator(mode="after")
    def _check_url(self) -> ControlConfig:
        if not re.match(r"^(sqlite:///.+|postgres(ql)?://.+)$", self.database_url):
            raise ValueError(f"database_url {self.database_url!r}: expected sqlite:///FILE or postgresql://...")
        return self


def control_from_dict(data: dict[str, Any], source: str = "control config") -> ControlConfig:
    return validate(ControlConfig, data, source)


def load_control(path: str | Path | None) -> ControlConfig:
    """Load the control room's TOML, or the defaults (local broker, SQLite in the working folder)."""
    if path is None:
        return ControlConfig()
    return control_from_dict(read_toml(path), str(path))
