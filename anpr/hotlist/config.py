"""Config of the hotlist (`[hotlist]`)."""

from __future__ import annotations

from pydantic import Field

from anpr.core.mqtt_auth import TOPIC_PREFIX
from anpr.core.settings import Section


class HotlistConfig(Section):
    db: str = Field(default="state/hotlist.sqlite", description="SQLite file of the local list")
    csv: str | None = Field(
        default="sample_videos/hotlist.csv",
        description="unsigned CSV loaded at start (demo and tests only; signed documents in the field)",
    )
    fuzzy: bool = Field(default=True, description="raise fuzzy hits (one confusable character away)")
    list_name: str = Field(
        default="national",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="the document stream this unit follows (a document for another list is refused)",
    )
    trusted_keys: tuple[str, ...] = Field(
        default=(),
        description="Ed25519 public keys trusted to sign the list: file paths (PEM or base64) or base64 raw keys",
    )
    stale_after_s: float = Field(
        default=86400.0, gt=0, description="a list older than this (from its issue time) is reported stale"
    )
    recheck_window_s: float = Field(
        default=600.0, ge=0, le=86400, description="reads this recent are re-checked when the list changes"
    )
    recheck_max_reads: int = Field(default=20000, ge=0, le=1_000_000, description="cap on reads kept for re-check")
    max_document_mb: float = Field(
        default=32.0,
        gt=0,
        le=1024,
        description="largest decompressed document body accepted (about 300 000 entries at 32 MB)",
    )
    max_shrink: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="a snapshot that removes more than this fraction of the signed list (or empties it) is "
        "refused unless it was signed with --allow-shrink",
    )
    file: str | None = Field(default=None, description="signed document file watched for changes (None: off)")
    file_poll_s: float = Field(default=5.0, gt=0, le=3600, description="how often the watched file is checked")
    https_url: str | None = Field(
        default=None, pattern=r"^https://", description="HTTPS URL of the signed document (None: off)"
    )
    https_ca: str | None = Field(default=None, description="CA bundle for the HTTPS source (None: system CAs)")
    https_poll_s: float = Field(default=300.0, ge=1, le=86400, description="HTTPS poll interval")
    https_timeout_s: float = Field(default=30.0, gt=0, le=600, description="HTTPS request timeout")
    mqtt: bool = Field(default=False, description="follow the retained topic {mqtt_prefix}/hotlist/{list_name}")
    mqtt_host: str = Field(default="localhost", description="MQTT broker host for the hotlist topic")
    mqtt_port: int = Field(default=1883, ge=1, le=65535, description="MQTT broker port for the hotlist topic")
    mqtt_prefix: str = Field(default="anpr", pattern=TOPIC_PREFIX, max_length=64, description="topic prefix")
    mqtt_ca: str | None = Field(default=None, description="CA file: use TLS to the broker (None: plain)")
    mqtt_certfile: str | None = Field(default=None, description="client certificate for TLS (optional)")
    mqtt_keyfile: str | None = Field(default=None, description="client key for TLS (optional)")
    mqtt_username: str | None = Field(default=None, max_length=256, description="MQTT user name (optional)")
    mqtt_password_file: str | None = Field(default=None, description="file holding the MQTT password")
    mqtt_password_env: str | None = Field(default=None, description="environment variable holding the MQTT password")

    @property
    def mqtt_topic(self) -> str:
        return f"{self.mqtt_prefix}/hotlist/{self.list_name}"
