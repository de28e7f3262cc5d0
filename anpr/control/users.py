"""Control-room users, their sessions and the audit trail, kept in the control room's own database.

Passwords are hashed with Argon2id (argon2-cffi, its default parameters). A session is a random token in
an HttpOnly cookie; the database keeps only its SHA-256, so a copied database opens no session. Every
session carries its own CSRF token, which every POST must echo in `X-CSRF-Token`. Searches, exports and
hotlist publications are written to `audit` with the user and the time (Ley 19.628: who looked up whom).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from anpr.control.payload import printable
from anpr.control.store import Store

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}
NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password of anyone")  # a missing user costs the same time as a wrong password


class UserError(ValueError):
    """A refused user operation; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    role: Role
    csrf: str
    expires_at: float

    def allows(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise UserError(f"user name {name[:40]!r}: 2-32 of a-z 0-9 _ . - starting with a letter")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password too short: at least {MIN_PASSWORD} characters")
    if len(password) > 1024 or "\x00" in password:
        raise UserError("password longer than 1024 characters or containing NUL")


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def add_user(store: Store, name: str, password: str, role: str) -> None:
    _check_name(name)
    _check_password(password)
    r = _check_role(role)
    if store.query("SELECT name FROM users WHERE name = ?", (name,)):
        raise UserError(f"user {name!r} exists (use `anpr control user passwd {name}`)")
    store.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (name, r, _hasher.hash(password), time.time()))


def set_password(store: Store, name: str, password: str, role: str | None = None) -> None:
    """New password (and role); the user's open sessions end."""
    _check_password(password)
    sets, args = "password_hash = ?", [_hasher.hash(password)]
    if role is not None:
        sets, args = sets + ", role = ?", [*args, _check_role(role)]
    if store.execute(f"UPDATE users SET {sets} WHERE name = ?", (*args, name)) == 0:
        raise UserError(f"no user {name!r}")
    store.execute("DELETE FROM sessions WHERE user_name = ?", (name,))


def remove_user(store: Store, name: str) -> None:
    if store.execute("DELETE FROM users WHERE name = ?", (name,)) == 0:
        raise UserError(f"no user {name!r}")
    store.execute("DELETE FROM sessions WHERE user_name = ?", (name,))


def list_users(store: Store) -> list[dict[str, Any]]:
    return store.query("SELECT name, role, created_at FROM users ORDER BY name")


def verify(store: Store, name: str, password: str) -> Role | None:
    """The user's role when the password is right, else None (same cost whether or not the user exists)."""
    rows = store.query("SELECT role, password_hash FROM users WHERE name = ?", (name,)) if NAME.match(name) else []
    stored = str(rows[0]["password_hash"]) if rows else _DUMMY
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if not rows:
        return None
    if _hasher.check_needs_rehash(stored):
        store.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name))
    return _check_role(str(rows[0]["role"]))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, name: str, hours: float) -> tuple[str, Session]:
    """A new session: (the cookie's token, the session). Expired sessions are swept on the way."""
    now = time.time()
    store.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + hours * 3600
    store.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (_digest(token), name, csrf, now, expires))
    role = _check_role(str(store.query("SELECT role FROM users WHERE name = ?", (name,))[0]["role"]))
    return token, Session(name, role, csrf, expires)


def session_of(store: Store, token: str | None) -> Session | None:
    """The live session of a cookie token; the user's current role (a changed role applies at once)."""
    if not token or len(token) > 128:
        return None
    rows = store.query(
        "SELECT s.user_name, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.name = s.user_name "
        "WHERE s.token_hash = ?",
        (_digest(token),),
    )
    if not rows or float(rows[0]["expires_at"]) < time.time():
        return None
    r = rows[0]
    return Session(str(r["user_name"]), _check_role(str(r["role"])), str(r["csrf"]), float(r["expires_at"]))


def close_session(store: Store, token: str | None) -> None:
    if token:
        store.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))


def audit(store: Store, user: str, action: str, detail: str, remote: str | None = None) -> None:
    store.execute(
        "INSERT INTO audit (at, user_name, action, detail, remote) VALUES (?, ?, ?, ?, ?)",
        (time.time(), user, action, printable(detail, 2000), remote),
    )


def audit_log(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    return store.query("SELECT at, user_name, action, detail, remote FROM audit ORDER BY id DESC LIMIT ?", (limit,))
