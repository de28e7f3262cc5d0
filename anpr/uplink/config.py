"""Config of the outbox, the MQTT publisher and the in-car alerts (`[uplink]`)."""

from __future__ import annotations

from pydantic import Field

from anpr._config_base import Section


class UplinkConfig(Section):
    enabled: bool = Field(default=False, description="publish over MQTT (off: events only go to the outbox/stdout)")
    host: str = Field(default="localhost", description="MQTT broker host")
    port: int = Field(default=1883, ge=1, le=65535, description="MQTT broker port")
    prefix: str = Field(default="anpr", pattern=r"^[A-Za-z0-9_/-]{1,64}$", description="topic prefix")
    outbox: str = Field(default="state/outbox.sqlite", description="SQLite file of the store-and-forward queue")
