"""Hotlist entries: validation of document/CSV records into store rows, and back to `HotlistEntry`.

A record is a dict with `plate` and optional `list_name, reason, priority, source, added_at, expires_at,
check_digit, note, covert`. Plates go through the Chilean grammar (`anpr.plates.chile`) so the stored
format is the one fuzzy matching compares against. `?` (one character) and `*` (any run) make a
wildcard entry for a partial plate from a witness.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anpr.hotlist.document import utc_iso
from anpr.plates.checkdigit import check_digit
from anpr.plates.chile import formats, normalize
from anpr.types import HotlistEntry

if TYPE_CHECKING:
    from anpr.plates.chile import PlateFormat

COLUMNS = (
    "plate",
    "list_name",
    "reason",
    "priority",
    "source",
    "added_at",
    "expires_at",
    "check_digit",
    "note",
    "covert",
    "wildcard",
    "format",
    "origin",
)
CSV_COLUMNS = (
    "plate",
    "list_name",
    "reason",
    "priority",
    "source",
    "note",
    "covert",
    "added_at",
    "expires_at",
    "check_digit",
)
Row = tuple[Any, ...]

_CLEAN = re.compile(r"^[A-Z0-9]{1,12}$")
_PATTERN = re.compile(r"^[A-Z0-9?*]{2,12}$")
_SEPARATORS = re.compile(r"[\s·.\-]")
_TRUE = frozenset({"1", "true", "yes", "si", "sí", "y"})


def is_wildcard(plate: str) -> bool:
    return "?" in plate or "*" in plate


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern))


def plate_format(plate: str) -> str:
    """The Chilean format name of an exact plate, or "unknown" (no fuzzy matching for those).

    Same order as `chile.parse`, without its check-digit work: this runs once per entry on import.
    """
    for fmt in _formats():
        if len(fmt) == len(plate) and fmt.matches(plate):
            return fmt.name
    return "unknown"


@functools.cache
def _formats() -> tuple[PlateFormat, ...]:
    return formats()


def _time(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return utc_iso(datetime.fromisoformat(str(value)))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 time") from None


def to_row(rec: Mapping[str, Any], origin: str, default_list: str) -> Row:
    """Validate one record; raises ValueError saying what is wrong with it."""
    text = str(rec.get("plate", ""))
    if is_wildcard(text):
        plate = _SEPARATORS.sub("", text.upper())
        if not _PATTERN.match(plate) or len(plate.replace("?", "").replace("*", "")) < 2:
            raise ValueError(f"wildcard {text!r} needs 2-12 of [A-Z0-9?*] with at least 2 fixed characters")
        fmt = "unknown"
    else:
        plate = text if _CLEAN.match(text) else normalize(text)  # documents carry clean plates: skip the slow path
        fmt = plate_format(plate)
        if fmt == "unknown":  # a typo or junk would never match a read, and hides a missing entry
            raise ValueError(f"plate {text[:20]!r} fits no Chilean plate format")
    digit = str(rec.get("check_digit") or "").strip().upper() or None
    if digit is not None and not is_wildcard(plate):
        expected = check_digit(plate)
        if expected is not None and expected != digit:
            raise ValueError(f"check digit {digit} of {plate} is wrong (expected {expected})")
    try:
        priority = int(rec.get("priority") or 0)
    except (TypeError, ValueError):
        raise ValueError(f"priority {rec.get('priority')!r} is not an integer") from None
    covert = rec.get("covert")
    covert_flag = covert is True or str(covert or "").strip().lower() in _TRUE
    return (
        plate,
        str(rec.get("list_name") or default_list),
        str(rec.get("reason") or ""),
        priority,
        str(rec.get("source") or ""),
        _time(rec.get("added_at"), "added_at"),
        _time(rec.get("expires_at"), "expires_at"),
        digit,
        str(rec.get("note") or ""),
        int(covert_flag),
        int(is_wildcard(plate)),
        fmt,
        origin,
    )


def row_to_entry(row: Mapping[str, Any]) -> HotlistEntry:
    def dt(v: Any) -> datetime | None:
        return datetime.fromisoformat(v) if v else None

    return HotlistEntry(
        plate=row["plate"],
        list_name=row["list_name"],
        reason=row["reason"],
        priority=int(row["priority"]),
        source=row["source"],
        added_at=dt(row["added_at"]),
        expires_at=dt(row["expires_at"]),
        check_digit=row["check_digit"],
        note=row["note"],
        covert=bool(row["covert"]),
        wildcard=bool(row["wildcard"]),
    )


def row_to_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as a document/CSV record (store-only columns dropped)."""
    rec = {k: row[k] for k in CSV_COLUMNS}
    rec["covert"] = bool(rec["covert"])
    return rec


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One CSV row that cannot be an entry: where, what, why (for `anpr hotlist sign`)."""

    line: int
    value: str
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.value!r}: {self.why}"


def read_csv(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a CSV with a header row (columns as in `CSV_COLUMNS`; extra columns are ignored)."""
    for _, rec in read_csv_lines(path):
        yield rec


def read_csv_lines(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of each CSV row. Raises ValueError naming the line on broken CSV or text.

    Strict quoting: an unbalanced quote is an error, never a field that swallows the rest of the file.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh, strict=True)
            missing = {"plate"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}: CSV needs a header with a 'plate' column, got {reader.fieldnames}")
            line = reader.line_num + 1
            for rec in reader:
                if None in rec:  # more cells than the header has columns
                    raise ValueError(
                        f"{path}: line {line}: more cells than the header's {len(reader.fieldnames or ())}"
                    )
                yield line, {k: (v.strip() if isinstance(v, str) else v) for k, v in rec.items() if k}
                line = reader.line_num + 1
    except csv.Error as err:
        raise ValueError(f"{path}: line {line}: broken CSV ({err}); check its quotes") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def check_csv(path: str | Path, default_list: str) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """The valid records of a CSV and a problem for each row that is not a valid entry."""
    good: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for line, rec in read_csv_lines(path):
        try:
            to_row(rec, "signed", default_list)
        except ValueError as err:
            problems.append(RowProblem(line, str(rec.get("plate", ""))[:40], str(err)))
            continue
        good.append(rec)
    return good, problems


def write_csv(path: str | Path | None, records: Iterator[Mapping[str, Any]], out: Any = None) -> int:
    """Write records as CSV to `path` (or the open text stream `out`); returns the count."""
    fh = open(path, "w", newline="", encoding="utf-8") if path else out  # noqa: SIM115 - closed below
    try:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        n = 0
        for rec in records:
            writer.writerow({k: _cell(rec.get(k)) for k in CSV_COLUMNS})
            n += 1
        return n
    finally:
        if path:
            fh.close()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return "" if value is None else value


def now_iso() -> str:
    return utc_iso(datetime.now(timezone.utc))
