"""Keeping secrets out of logs."""

from __future__ import annotations

import re

_USERINFO_PASSWORD = re.compile(r"(://[^:/@]+:)[^@/]*@")


def redact(url: str) -> str:
    """The URL without its password, for logs (`rtsp://user:secret@cam/` -> `rtsp://user:***@cam/`)."""
    return _USERINFO_PASSWORD.sub(r"\1***@", url)
