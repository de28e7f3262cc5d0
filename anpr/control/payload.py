"""Untrusted MQTT bytes to a JSON object that every store and the page can take, or the reason why not.

The JSON Schemas say what a field means; this says what any value must be before it reaches a database
driver or a browser, whatever the schema allows: strict UTF-8 (`json.loads` on bytes would also take
UTF-16/32), no NaN or Infinity (neither is JSON), finite floats, integers within PostgreSQL's BIGINT,
strings without NUL (PostgreSQL TEXT refuses it) or lone surrogates (no UTF-8 encoder takes them),
bounded string lengths and nesting depth. A refusal names the place (`a/b/3`) and the rule.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

MAX_DEPTH = 16
MAX_STRING = 4096
LONG_STRINGS = frozenset({("crop_jpeg",)})
"""Top-level fields whose string may be longer (a base64 crop): bounded by the payload size instead."""
_INT64 = 1 << 63


class PayloadError(ValueError):
    """The payload is refused; the message is the quarantine reason."""


def _no_constant(name: str) -> Any:
    raise PayloadError(f"not JSON: {name} is not a JSON number")


def loads(payload: bytes) -> Any:
    """Strictly decode and parse; PayloadError (with the reason) for anything that is not plain JSON."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PayloadError(f"not UTF-8: byte {err.start}: {err.reason}") from None
    if text.startswith("\ufeff"):
        raise PayloadError("not JSON: starts with a byte order mark")
    try:
        obj = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise PayloadError(f"not JSON: nested deeper than {MAX_DEPTH}") from None
    except ValueError as err:
        if isinstance(err, PayloadError):
            raise
        raise PayloadError(f"not JSON: {err}") from None
    check_values(obj)
    return obj


def _where(path: list[str]) -> str:
    return "/".join(path) or "(top level)"


def check_values(obj: Any) -> None:
    """Walk the parsed value without recursion (a hostile depth cannot overflow the stack)."""
    stack: list[tuple[Any, list[str]]] = [(obj, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise PayloadError(f"{_where(path[:MAX_DEPTH])}: nested deeper than {MAX_DEPTH}")
        if isinstance(value, str):
            _check_string(value, path, long=tuple(path) in LONG_STRINGS)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -_INT64 <= value < _INT64:
                raise PayloadError(f"{_where(path)}: integer out of the 64-bit range")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise PayloadError(f"{_where(path)}: number is not finite")
        elif isinstance(value, dict):
            for k, v in value.items():
                _check_string(k, [*path, "(key)"])
                stack.append((v, [*path, _safe(k)]))
        elif isinstance(value, list):
            stack.extend((v, [*path, str(i)]) for i, v in enumerate(value))


def _check_string(s: str, path: list[str], long: bool = False) -> None:
    if len(s) > MAX_STRING and not long:
        raise PayloadError(f"{_where(path)}: string of {len(s)} characters exceeds {MAX_STRING}")
    if "\x00" in s:
        raise PayloadError(f"{_where(path)}: string contains NUL")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError(f"{_where(path)}: string contains a lone surrogate (not encodable as UTF-8)") from None


def _safe(s: str) -> str:
    """A key as it may appear in a reason: printable ASCII, bounded."""
    return s[:64].encode("ascii", "backslashreplace").decode("ascii")


def utc_epoch(value: str, where: str) -> float:
    """`2024-05-17T14:30:00.123Z` -> epoch seconds; PayloadError for a date that does not exist."""
    try:
        dt = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        return dt.astimezone(timezone.utc).timestamp()
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"{where}: {value[:40]!r} is not a real UTC time") from None


def printable(text: str, limit: int = 500) -> str:
    """Text from or about a payload made safe for a TEXT column and a log line: no NUL, no surrogates."""
    text = text.replace("\x00", "\\x00")
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "..."
