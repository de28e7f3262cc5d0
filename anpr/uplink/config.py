"""Config of the outbox, the MQTT publisher and the in-car alerts (`[uplink]`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from anpr.core.mqtt_auth import TOPIC_PREFIX, MqttAuth

MqttVersion = Literal["5", "3.1.1"]


class UplinkConfig(MqttAuth):
    enabled: bool = Field(default=False, description="publish over MQTT (off: events only go to the outbox/stdout)")
    host: str = Field(default="localhost", description="MQTT broker host")
    port: int = Field(default=1883, ge=1, le=65535, description="MQTT broker port (8883 is usual with TLS)")
    prefix: str = Field(
        default="anpr", pattern=TOPIC_PREFIX, max_length=64, description="topic prefix (levels allowed)"
    )
    outbox: str = Field(
        default="outbox.sqlite", description="SQLite file of the store-and-forward queue, relative to state_dir"
    )

    # MQTT session
    mqtt_version: MqttVersion = Field(default="5", description="MQTT protocol: 5 or 3.1.1")
    client_id: str = Field(default="", max_length=128, description="MQTT client id; empty: anpr-{device_id}")
    keepalive_s: int = Field(default=60, ge=5, le=3600, description="MQTT keepalive in seconds")
    session_expiry_s: int = Field(
        default=7 * 86400,
        ge=0,
        le=0xFFFFFFFF,
        description="MQTT 5 session expiry: the broker keeps our session this long",
    )
    inflight_max: int = Field(default=32, ge=1, le=1000, description="QoS 1 messages awaiting PUBACK at once")
    reconnect_min_s: int = Field(default=1, ge=1, le=60, description="first reconnect delay (doubles up to the max)")
    reconnect_max_s: int = Field(default=60, ge=1, le=3600, description="longest reconnect delay")
    status_interval_s: float = Field(
        default=30.0, ge=1, le=3600, description="how often the retained status is refreshed"
    )
    publish_reads: bool = Field(default=True, description="publish reads on {prefix}/{device}/read (hits always go)")

    # Security: tls, ca_file, cert_file, key_file, username, password_file, password_env (MqttAuth)

    # What rides along (used by the pipeline's event builder)
    crop_for_hits: bool = Field(default=True, description="attach the best crop JPEG to hits")
    crop_for_reads: bool = Field(default=False, description="attach the best crop JPEG to reads")
    crop_max_bytes: int = Field(default=40_000, ge=1_000, le=1_000_000, description="crop JPEG size cap in bytes")
    lone_read_floor: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="a passage with a single read below this confidence (P(exact)) sends no event unless it is a "
        "hit (0: send every read)",
    )

    # Local storage
    outbox_max_bytes: int = Field(
        default=256 * 1024 * 1024, ge=16 * 1024, description="payload bytes the outbox may hold; oldest reads go first"
    )
    read_retention_days: float = Field(
        default=7.0, gt=0, le=3650, description="reads are purged this long after capture (Ley 19.628)"
    )
    hit_retention_days: float = Field(default=30.0, ge=0, le=3650, description="hits are kept this long after delivery")
    audit_retention_days: float = Field(
        default=180.0,
        gt=0,
        le=3650,
        description="the local audit trail (hits and alerts, with their plates) is purged after this long",
    )
    disk_reserve_mb: float = Field(
        default=8.0,
        ge=0,
        le=1024,
        description="disk space held in a file beside the outbox and given back when the disk fills, so hits "
        "can still be committed (0: none)",
    )
    memory_spill_max: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="events held in memory while the disk is full (reads drop first)",
    )

    # In-car alerts (hits that are not covert)
    alert_command: tuple[str, ...] = Field(
        default=(), description="command run for each hit, event JSON on stdin (argv list; empty: none)"
    )
    alert_command_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="the alert command is killed after this"
    )
    alert_sound: str | None = Field(default=None, description="WAV file played for a hit (None: no sound)")
    alert_player: str | None = Field(default=None, description="sound player command; None: paplay, else aplay")
    alert_repeat_s: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="a hit on a plate already alerted this recently (any camera) is logged, not sounded again",
    )
    alert_log: bool = Field(default=True, description="log each hit as a WARNING line (console/journal)")

    @model_validator(mode="after")
    def _check(self) -> UplinkConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self
