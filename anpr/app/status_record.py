"""What the running daemon reports about itself, typed and frozen: one camera's counters (`CameraCounts`), the
pipeline's (`HealthSnapshot`, taken from `anpr.app.health.Health`), and the whole `Status` (health, cameras,
outbox, hotlist, position) that `anpr.app.status.collect` gathers.

The status file (`anpr status`), the MQTT status message and the Prometheus endpoint all start from one
`Status`; its dict form (`to_dict`) exists only at the JSON edge and keeps the keys the file always had.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from anpr.app.last_exit import ExitLoss

if TYPE_CHECKING:
    from anpr.capture.base import SourceStats
    from anpr.gps.base import GpsStatus
    from anpr.hotlist.base import HotlistStatus
    from anpr.uplink.outbox_schema import OutboxStats

SCHEMA = 1
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CameraCounts:
    """One camera's counters since start, and its recent processed frame rate."""

    frames: int = 0
    processed: int = 0
    queue_dropped: int = 0
    detections: int = 0
    reads: int = 0
    passages: int = 0
    unread: int = 0
    """Passages that ended without a plate read, so without an event (`anpr.app.passage_events.unread`)."""
    hits: int = 0
    fps: float = 0.0


@dataclass(frozen=True, slots=True)
class Latency:
    """Median and 95th percentile (ms) over the last timings kept, and how many were kept."""

    p50: float
    p95: float
    n: int


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    uptime_s: float
    cameras: Mapping[str, CameraCounts]
    errors: Mapping[str, int]
    """Errors per stage (see `STAGES`); a stage without errors is absent."""
    stage_ms: Mapping[str, Latency]
    alert_ms: Latency | None
    """Frame queued to hit alert raised; None before the first alert."""

    def processed(self) -> int:
        """Frames run through the stages, all cameras together (the watchdog's sign of progress)."""
        return sum(c.processed for c in self.cameras.values())

    def camera(self, camera_id: str | None = None) -> CameraCounts:
        """The counters of `camera_id` (of the first camera when None); zeros for one never seen."""
        if camera_id is None:
            return next(iter(self.cameras.values()), CameraCounts())
        return self.cameras.get(camera_id, CameraCounts())

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: an empty latency is `{}` and `n` a float, as the status file always had."""
        return {
            "uptime_s": self.uptime_s,
            "cameras": {cid: asdict(c) for cid, c in self.cameras.items()},
            "errors": dict(self.errors),
            "stage_ms": {k: _latency_dict(v) for k, v in self.stage_ms.items()},
            "alert_ms": _latency_dict(self.alert_ms),
        }


def _latency_dict(lat: Latency | None) -> dict[str, float]:
    return {} if lat is None else {"p50": lat.p50, "p95": lat.p95, "n": float(lat.n)}


@dataclass(frozen=True, slots=True)
class PartError:
    """A part of the status that could not be read (its error); the other parts are still reported."""

    error: str


Part: TypeAlias = T | PartError


@dataclass(frozen=True, slots=True)
class CameraSource:
    """A camera's source as the status shows it: live or not, and its counters."""

    live: bool
    stats: SourceStats


@dataclass(frozen=True, slots=True)
class Status:
    """Everything a technician (or Prometheus) asks about a running pipeline, at `written_at`."""

    device_id: str
    pid: int
    written_at: datetime
    health: Part[HealthSnapshot]
    last_frame_age_s: Part[float | None]
    sources: Part[Mapping[str, CameraSource]]
    events_emitted: int
    models: Mapping[str, str]
    outbox: Part[OutboxStats] | None = None
    mqtt: Part[Mapping[str, Any]] | None = None
    """The publisher's counters; None when nothing is published."""
    hotlist: Part[HotlistStatus] | None = None
    gps: Part[GpsStatus] | None = None
    lost_at_last_exit: ExitLoss | None = None
    """Events the run before this one could not write at its exit (anpr.app.last_exit); None: none lost."""

    def to_dict(self, state: str | None = None) -> dict[str, Any]:
        """The JSON form (the status file; `state` is the daemon's: running or stopped)."""
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "device_id": self.device_id,
            "pid": self.pid,
            "written_at": self.written_at.isoformat(),
            "written_unix": self.written_at.timestamp(),
            "health": _part_dict(self.health, HealthSnapshot.to_dict),
            "last_frame_age_s": _part_dict(self.last_frame_age_s, lambda v: v),
            "sources": _part_dict(self.sources, lambda s: {cid: _source_dict(c) for cid, c in s.items()}),
            "events_emitted": self.events_emitted,
            "models": dict(self.models),
            "outbox": _part_dict(self.outbox, plain),
            "mqtt": _part_dict(self.mqtt, plain),
            "hotlist": _part_dict(self.hotlist, plain),
            "gps": _part_dict(self.gps, _gps_dict),
            "lost_at_last_exit": None if self.lost_at_last_exit is None else self.lost_at_last_exit.to_dict(),
        }
        if state is not None:
            out["state"] = state
        return out


def _part_dict(part: Part[T] | None, convert: Callable[[T], Any]) -> Any:
    if part is None:
        return None
    if isinstance(part, PartError):
        return {"error": part.error}
    return convert(part)


def _source_dict(c: CameraSource) -> dict[str, Any]:
    st = c.stats
    return {
        "live": c.live,
        "connected": st.connected,
        "grabbed": st.grabbed,
        "delivered": st.frames,
        "dropped": st.dropped,
        "corrupt": st.corrupt,
        "reconnects": st.reconnects,
    }


def _gps_dict(st: GpsStatus) -> dict[str, Any]:
    return {
        "source": st.source,
        "connected": st.connected,
        "fix_age_s": st.fix_age_s,
        "fixes": st.fixes,
        "rejected": st.rejected,
        "reconnects": st.reconnects,
        "clock_offset_s": st.clock_offset_s,
        "error": st.error,
    }


def plain(value: Any) -> Any:
    """Dataclasses to dicts and datetimes to ISO strings, so the result survives `json.dumps`."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
