"""`anpr plate TEXT [--json] [--decreed]`: normalize, classify and check-digit one plate."""

from __future__ import annotations

import argparse
import sys

from anpr.cli.common import add_json, print_json

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plate",
        help="check a Chilean plate: normalized text, format, validity, check digit",
        description="Normalize TEXT (case, separators, look-alike characters), classify it against the "
        "Chilean plate formats and compute its check digit where the Registro Civil defines one. "
        "Exit 0 valid, 1 invalid, 2 unusable input.",
    )
    p.add_argument("text", metavar="TEXT", help="the plate, e.g. BBCL12, 'bb·cl-12', GR1399")
    add_json(p)
    p.add_argument("--decreed", action="store_true", help="also accept the decreed (not yet issued) formats")
    p.set_defaults(func=_plate, default_log_level="WARNING")


def _plate(args: argparse.Namespace) -> int:
    from anpr.plates.chile import format_by_name, parse

    result = parse(args.text, decreed=args.decreed)
    usable = bool(result.text)
    if args.json:
        doc = {
            "input": args.text,
            "text": result.text if usable else None,
            "format": result.format,
            "valid": result.valid,
            "check_digit": result.check_digit,
            "reason": result.reason,
        }
        print_json(doc)
    elif not usable:
        print(f"error: {result.reason}", file=sys.stderr)
    else:
        shown = format_by_name(result.format).display if result.valid else "-"
        print(f"text:        {result.text}")
        print(f"format:      {result.format} ({shown})")
        print(f"valid:       {'yes' if result.valid else 'no'}")
        print(f"check digit: {result.check_digit or '-'}")
        if result.reason:
            print(f"reason:      {result.reason}")
    if not usable:
        return 2
    return 0 if result.valid else 1
