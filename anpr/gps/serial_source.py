"""NMEA 0183 straight from a serial port (USB receivers show up as /dev/ttyACM0 or /dev/ttyUSB0).

pyserial reads, `NmeaParser` validates. A port that disappears (unplugged receiver) ends the session and
the reader reopens it with back-off. Bytes that never make a valid sentence mean the wrong baud rate:
after `no_sentence_timeout_s` an error is logged and, with autodetect on, the next standard rate is tried.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import serial

from anpr.gps.clock import Clock
from anpr.gps.config import STANDARD_BAUDS, GpsConfig
from anpr.gps.live import LivePosition
from anpr.gps.nmea import NmeaParser

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.2
# Receivers ship at 9600 (u-blox) or 4800 (older SiRF) and get reconfigured to higher rates; try those first.
AUTODETECT_ORDER = (9600, 4800, 38400, 115200, 19200, 57600, 230400, 460800, 921600)


class SerialPosition(LivePosition):
    kind = "serial"

    def __init__(self, cfg: GpsConfig, clock: Clock) -> None:
        super().__init__(cfg, clock)
        self.parser = NmeaParser("serial", min_year=cfg.min_valid_year, log_interval_s=cfg.log_interval_s)
        self.baud = cfg.serial_baud
        self.baud_switches = 0
        self._port: serial.Serial | None = None
        assert set(AUTODETECT_ORDER) == set(STANDARD_BAUDS)

    def describe(self) -> str:
        return f"serial:{self.cfg.serial_port}@{self.baud}"

    def counts(self) -> tuple[int, int]:
        c = self.parser.counters
        return c.sentences_ok, c.sentences_bad

    def _next_baud(self) -> int:
        order = [self.cfg.serial_baud, *(b for b in AUTODETECT_ORDER if b != self.cfg.serial_baud)]
        return order[(order.index(self.baud) + 1) % len(order)]

    def run_session(self, stop: threading.Event) -> None:
        try:
            port = serial.Serial(self.cfg.serial_port, self.baud, timeout=READ_TIMEOUT_S)
        except (serial.SerialException, OSError, ValueError) as err:
            self.set_error("open", "cannot open the port (%s); retrying", err)
            return
        self._port = port
        self.parser.reset()
        self.connected = True
        log.info("%s: port open", self.describe())
        opened = last_ok = time.monotonic()
        received = 0
        ok_before = self.parser.counters.sentences_ok
        try:
            while not stop.is_set():
                data = port.read(max(1, min(port.in_waiting, 4096)))
                received += len(data)
                for fix in self.parser.feed(data):
                    self.add_fix(fix)
                now = time.monotonic()
                if self.parser.counters.sentences_ok != ok_before:
                    ok_before, last_ok = self.parser.counters.sentences_ok, now
                    if self.error:
                        log.info("%s: receiving valid NMEA again", self.describe())
                        self.error = ""
                elif now - max(last_ok, opened) >= self.cfg.no_sentence_timeout_s:
                    self._no_sentences(port, received, now - max(last_ok, opened))
                    opened, received = now, 0
        finally:
            self._port = None
            port.close()

    def _no_sentences(self, port: serial.Serial, received: int, waited: float) -> None:
        if received == 0:
            self.set_error("silent", "no data for %.0f s (receiver off or not sending?)", waited, level=logging.ERROR)
            return
        self.set_error(
            "baud",
            "no valid NMEA sentence in %.0f s although %d bytes arrived: wrong baud rate?",
            waited,
            received,
            level=logging.ERROR,
        )
        if self.cfg.serial_baud_autodetect:
            self.baud = self._next_baud()
            self.baud_switches += 1
            port.baudrate = self.baud
            log.info("serial:%s: trying %d baud", self.cfg.serial_port, self.baud)

    def interrupt(self) -> None:
        port = self._port
        if port is not None:
            with contextlib.suppress(OSError, AttributeError, serial.SerialException):
                port.cancel_read()
