"""Broker accounts for mosquitto 2: a car publishes only as itself, only the control room issues hotlists.

`provision` writes one account: its line in mosquitto's password file (PBKDF2-SHA512, mosquitto 2's
`$7$` format, the same as `mosquitto_passwd` writes) and its block in the ACL file, both replaced in
place when the account exists. A car may write `{prefix}/{id}/#` and read `{prefix}/hotlist/#`; the
control room reads `{prefix}/#` and writes `{prefix}/hotlist/#`. mosquitto reads both files at start and
on SIGHUP (`systemctl reload mosquitto`). The passwords are random (256 bits), so the iteration count
guards nothing a guess could reach; the files are written 0640 / the car's password 0600.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # the event schema's device_id
RESERVED = frozenset({"hotlist", "+", "#"})
ITERATIONS = 1000
Kind = Literal["car", "control"]


class ProvisionError(ValueError):
    """A refused account; the message says why."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    password: str
    kind: Kind


def password_line(name: str, password: str, iterations: int = ITERATIONS) -> str:
    """`name:$7$iterations$salt$hash` as mosquitto 2 writes and checks it (PBKDF2-HMAC-SHA512, 12-byte salt)."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"{name}:$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def acl_block(name: str, kind: Kind, prefix: str) -> str:
    if kind == "car":
        rules = [f"topic write {prefix}/{name}/#", f"topic read {prefix}/hotlist/#"]
    else:
        rules = [f"topic read {prefix}/#", f"topic write {prefix}/hotlist/#"]
    return "\n".join([f"# anpr:begin {name}", f"user {name}", *rules, f"# anpr:end {name}"]) + "\n"


def _write_atomic(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def provision(name: str, kind: Kind, prefix: str, passwd: Path, acl: Path) -> Account:
    """Create or replace the account `name`; returns it with its new password."""
    if not ID.match(name) or name in RESERVED:
        raise ProvisionError(f"id {name!r}: 1-64 of A-Z a-z 0-9 _ . - and not {', '.join(sorted(RESERVED))}")
    if not re.match(r"^[A-Za-z0-9_/-]{1,64}$", prefix) or "+" in prefix or "#" in prefix:
        raise ProvisionError(f"prefix {prefix!r}: expected A-Z a-z 0-9 _ / -")
    password = secrets.token_urlsafe(32)
    lines = [ln for ln in _read(passwd).splitlines() if ln and not ln.startswith(f"{name}:")]
    _write_atomic(passwd, "\n".join([*lines, password_line(name, password)]) + "\n", 0o640)
    text = _read(acl)
    block = re.compile(rf"# anpr:begin {re.escape(name)}\n.*?# anpr:end {re.escape(name)}\n", re.S)
    text = block.sub("", text)
    if text and not text.endswith("\n"):
        text += "\n"
    _write_atomic(acl, text + acl_block(name, kind, prefix), 0o640)
    return Account(name, password, kind)


def car_snippet(account: Account, host: str, port: int, prefix: str, ca_file: str, password_file: str) -> str:
    """The car's `[uplink]` and `[hotlist]` broker settings for this account (TLS, user, password file)."""
    return f"""# broker account of {account.name} (anpr control provision-car); merge into the car's config
device_id = "{account.name}"

[uplink]
enabled = true
host = "{host}"
port = {port}
prefix = "{prefix}"
tls = true
ca_file = "{ca_file}"
username = "{account.name}"
password_file = "{password_file}"

[hotlist]
mqtt = true
mqtt_host = "{host}"
mqtt_port = {port}
mqtt_prefix = "{prefix}"
mqtt_ca = "{ca_file}"
mqtt_username = "{account.name}"
mqtt_password_file = "{password_file}"
"""
