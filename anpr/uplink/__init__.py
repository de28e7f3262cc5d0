"""Uplink: durable outbox, MQTT publisher, in-car alerts. Importing this does not import paho."""

from anpr.uplink.alerts import LocalAlerts
from anpr.uplink.base import AlertSink, EventSink
from anpr.uplink.sink import UplinkSink, build_alerts, build_uplink, open_outbox

__all__ = ["AlertSink", "EventSink", "LocalAlerts", "UplinkSink", "build_alerts", "build_uplink", "open_outbox"]
