"""The broker credentials a config section carries (the car's `[uplink]`, the control room's `[broker]`), and
the one pattern of a topic prefix that the car, the control room and the hotlist follower share."""

from __future__ import annotations

from pydantic import Field, model_validator

from anpr.core.settings import Section

TOPIC_PREFIX = r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$"
"""Levels of letters, digits, `_` and `-` joined by single slashes (`anpr`, `anpr/site-1`): no wildcard, no
empty level (`anpr/` made the car publish on `anpr//car-7/hit`, which the receiver then quarantined)."""


class MqttAuth(Section):
    """TLS and user/password settings, checked together; read by `anpr.core.mqtt_credentials`."""

    tls: bool = Field(default=False, description="connect with TLS")
    ca_file: str | None = Field(default=None, description="CA bundle that signed the broker's certificate (TLS)")
    cert_file: str | None = Field(default=None, description="client certificate, PEM (mutual TLS)")
    key_file: str | None = Field(default=None, description="client private key, PEM (mutual TLS)")
    username: str | None = Field(default=None, max_length=256, description="MQTT user name")
    password_file: str | None = Field(default=None, description="file holding the MQTT password (read at connect)")
    password_env: str | None = Field(
        default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="environment variable holding the MQTT password"
    )

    @model_validator(mode="after")
    def _check_auth(self) -> MqttAuth:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (mutual TLS needs both)")
        if (self.cert_file or self.ca_file) and not self.tls:
            raise ValueError("ca_file/cert_file given but tls = false; set tls = true")
        if self.password_file and self.password_env:
            raise ValueError("give password_file or password_env, not both")
        return self
