"""Config of the health outputs (`[metrics]`): the Prometheus endpoint and the status file."""

from __future__ import annotations

from pydantic import Field

from anpr.core.settings import Section


class MetricsConfig(Section):
    enabled: bool = Field(default=False, description="serve Prometheus metrics over HTTP (off: no listening socket)")
    listen: str = Field(
        default="127.0.0.1",
        pattern=r"^[0-9A-Za-z.:-]{1,253}$",
        description="address the metrics endpoint binds to; keep it on loopback unless a firewall guards it",
    )
    port: int = Field(default=9108, ge=1, le=65535, description="TCP port of the metrics endpoint")
    status_file: str = Field(
        default="status.json",
        description="health snapshot the daemon rewrites for `anpr status`, relative to state_dir; empty: none",
    )
    status_interval_s: float = Field(
        default=5.0, ge=0.5, le=3600, description="how often the daemon rewrites the status file"
    )
