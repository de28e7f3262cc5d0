"""MQTT credentials shared by the car's publisher and the control room's receiver: a password from a
file or an environment variable, and a TLS context with an optional client certificate."""

from __future__ import annotations

import os
import ssl
from pathlib import Path


class CredentialError(Exception):
    """A password or TLS file that cannot be used; the message names the config key."""


def read_password(section: str, password_file: str | None, password_env: str | None) -> str | None:
    """The password (first line of the file, or the variable's value), None when neither is set."""
    if password_file:
        try:
            return Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as err:
            raise CredentialError(f"{section}.password_file {password_file}: {err.strerror}") from None
    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            raise CredentialError(f"{section}.password_env: environment variable {password_env} is not set")
        return value
    return None


def tls_context(section: str, ca_file: str | None, cert_file: str | None, key_file: str | None) -> ssl.SSLContext:
    """TLS 1.2+ verifying the broker against `ca_file` (system CAs when None), with the client certificate."""
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
        if cert_file and key_file:
            ctx.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as err:
        raise CredentialError(f"{section} TLS files (ca_file/cert_file/key_file) unusable: {err}") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx
