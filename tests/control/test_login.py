"""Login (issue 17 C): roles, sessions, CSRF, the failed-login throttle, the audit trail, TLS, Host, binding."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.control import (
    ADMIN,
    JAR,
    ROOT,
    ServeProcess,
    free_port,
    get_json,
    login,
    request,
    user_cli,
    write_config,
)  # fmt: skip
from helpers.hotlist import snapshot
from helpers.tls_certs import make_ca, make_leaf, write_pair
from helpers.uplink import Mosquitto

from anpr.control.store import open_store
from anpr.control.users import UserError, add_user, verify
from anpr.hotlist import keys

pytestmark = pytest.mark.slow
VIEWER = ("vera", "viewer-password-1", "viewer")
OPERATOR = ("oscar", "operator-password-1", "operator")
USERS = (ADMIN, VIEWER, OPERATOR)

# (method, path, lowest role that may) -- None: anyone, logged in or not
MATRIX: list[tuple[str, str, str | None]] = [
    ("GET", "/healthz", None),
    ("GET", "/static/app.js", None),
    ("GET", "/api/me", "viewer"),
    ("GET", "/api/cars", "viewer"),
    ("GET", "/api/stats", "viewer"),
    ("GET", "/api/events?kind=hit&order=received&limit=50", "viewer"),
    ("GET", "/api/events?kind=read", "operator"),
    ("GET", "/api/events?kind=hit&plate=BB*", "operator"),
    ("GET", "/api/export.csv?kind=hit", "operator"),
    ("GET", "/api/export.geojson", "operator"),
    ("GET", "/api/quarantine", "operator"),
    ("GET", "/api/passages?kind=hit", "viewer"),
    ("GET", "/api/passages?kind=read", "operator"),
    ("GET", "/api/settings", "viewer"),
    ("POST", "/api/passage/review", "operator"),  # the body is no review: past the login check it is a 400
    ("GET", "/api/audit", "admin"),
    ("GET", "/api/users", "admin"),
    ("POST", "/api/hotlist", "admin"),
]
RANK = {"viewer": 0, "operator": 1, "admin": 2}


def _serve(tmp_path: Path, broker: Mosquitto, extra: str = "", web_extra: str = "") -> tuple[ServeProcess, Path]:
    key = Ed25519PrivateKey.generate()
    (tmp_path / "key.pub").write_text(keys.public_b64(key.public_key()))
    web = free_port()
    cfg = write_config(tmp_path / "control.toml", broker.port, web, f"sqlite:///{tmp_path / 'control.sqlite'}",
                       extra=f'[hotlist]\ntrusted_keys = ["{tmp_path / "key.pub"}"]\n{extra}')  # fmt: skip
    if web_extra:
        cfg.write_text(cfg.read_text() + web_extra)
    (tmp_path / "signing.key").write_bytes(key.private_bytes_raw())
    return ServeProcess(cfg, web, tmp_path / "serve.log", users=USERS), cfg


def _doc(tmp_path: Path, version: int) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes((tmp_path / "signing.key").read_bytes())
    return snapshot(key, version, [{"plate": "BBCL12"}], list_name="robados")


def test_role_matrix(tmp_path: Path, broker: Mosquitto) -> None:
    serve, _cfg = _serve(tmp_path, broker)
    try:
        table = []
        for who in (None, VIEWER, OPERATOR, ADMIN):
            JAR.clear()
            csrf = login(serve.url, who[0], who[1]) if who else ""
            row = []
            for method, path, need in MATRIX:
                body = _doc(tmp_path, 3) if method == "POST" else None
                status, _ = request(serve.url + path, body, {"X-CSRF-Token": csrf}, method)
                allowed = need is None or (who is not None and RANK[who[2]] >= RANK[need])
                want = (400 if path.endswith("/review") else 200) if allowed else 401 if who is None else 403
                assert status == want, (who and who[0], method, path, status)
                row.append(status)
            table.append((who[2] if who else "anonymous", row))
        JAR.clear()
        status, body = request(serve.url + "/")
        assert status == 200 and b'id="login"' in body  # the page sends strangers to the login form
        print("\n" + " | ".join(f"{m} {p.split('?')[0]}" for m, p, _ in MATRIX))
        for who_name, row in table:
            print(f"{who_name:>9}: " + " ".join(str(s) for s in row))
    finally:
        JAR.clear()
        assert serve.stop() == 0


def test_csrf_cookie_flags_throttle_and_audit(tmp_path: Path, broker: Mosquitto) -> None:
    serve, cfg = _serve(tmp_path, broker)
    try:
        JAR.clear()
        status, _ = request(serve.url + "/login", b"user=admin&password=admin-password-1",
                            {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert status == 415  # a cross-site form cannot log a browser in
        status, _ = request(serve.url + "/login", {"user": ADMIN[0], "password": ADMIN[1]},
                            {"Origin": "http://evil.example"})  # fmt: skip
        assert status == 403
        creds = json.dumps({"user": ADMIN[0], "password": ADMIN[1]}).encode()
        req = urllib.request.Request(serve.url + "/login", creds, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            cookie = r.headers["Set-Cookie"]
            csrf = json.loads(r.read())["csrf"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie  # plain HTTP here
        csrf = login(serve.url, ADMIN[0], ADMIN[1])
        assert request(serve.url + "/api/hotlist", _doc(tmp_path, 4), {"X-CSRF-Token": "forged"})[0] == 403
        assert request(serve.url + "/api/hotlist", _doc(tmp_path, 4))[0] == 403
        status, body = request(serve.url + "/api/hotlist", _doc(tmp_path, 4), {"X-CSRF-Token": csrf})
        assert status == 200 and json.loads(body)["version"] == 4
        assert request(serve.url + "/api/hotlist", b"junk", {"X-CSRF-Token": csrf})[0] == 422

        # five wrong passwords, then even the right one waits
        for _ in range(5):
            assert request(serve.url + "/login", {"user": OPERATOR[0], "password": "wrong-password"})[0] == 401
        status, body = request(serve.url + "/login", {"user": OPERATOR[0], "password": OPERATOR[1]})
        assert status == 429 and b"too many failed logins" in body
        assert request(serve.url + "/login", {"user": VIEWER[0], "password": VIEWER[1]})[0] == 200

        JAR.clear()
        login(serve.url, ADMIN[0], ADMIN[1])
        assert request(serve.url + "/api/events?kind=read&plate=BB*")[0] == 200
        assert request(serve.url + "/api/export.csv?kind=hit")[0] == 200
        audit = get_json(serve.url + "/api/audit")
        actions = [(a["user_name"], a["action"]) for a in audit]
        assert actions[:3] == [("admin", "export"), ("admin", "search"), ("admin", "publish-hotlist")]
        assert "plate=BB" in audit[1]["detail"] and "robados v4" in audit[2]["detail"]
        out = subprocess.run([sys.executable, "-m", "anpr", "control", "audit", "-c", str(cfg)],
                             capture_output=True, text=True, cwd=str(ROOT), timeout=60)  # fmt: skip
        assert "admin\texport" in out.stdout and "admin\tpublish-hotlist" in out.stdout

        # a new password ends the sessions; a removed user is out at once
        assert user_cli(cfg, "passwd", "admin", password="another-password-2").returncode == 0
        assert request(serve.url + "/api/me")[0] == 401
        login(serve.url, VIEWER[0], VIEWER[1])
        assert user_cli(cfg, "remove", VIEWER[0]).returncode == 0
        assert request(serve.url + "/api/me")[0] == 401

        # Host allow-list
        assert request(serve.url + "/healthz", headers={"Host": "evil.example"})[0] == 400
    finally:
        JAR.clear()
        assert serve.stop() == 0


def test_user_cli_and_passwords(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", 1883, 8080, f"sqlite:///{tmp_path / 'c.sqlite'}")
    assert user_cli(cfg, "add", "ana", "--role", "operator", password="short").returncode == 1
    r = user_cli(cfg, "add", "ana", "--role", "operator", password="long-enough-password")
    assert r.returncode == 0, r.stderr
    assert user_cli(cfg, "add", "ana", "--role", "viewer", password="long-enough-password").returncode == 1
    assert "ana\toperator" in user_cli(cfg, "list").stdout
    store = open_store(f"sqlite:///{tmp_path / 'c.sqlite'}")
    try:
        (h,) = store.query("SELECT password_hash FROM users")
        assert str(h["password_hash"]).startswith("$argon2id$")
        assert verify(store, "ana", "long-enough-password") == "operator"
        assert verify(store, "ana", "wrong") is None and verify(store, "nobody", "x" * 12) is None
        with pytest.raises(UserError, match="user name"):
            add_user(store, "<script>", "long-enough-password", "admin")
    finally:
        store.close()


def test_https_from_the_config_and_secure_cookies(tmp_path: Path, broker: Mosquitto) -> None:
    ca = make_ca("test-ca")
    key, cert = write_pair(make_leaf(ca, "localhost", server=True), tmp_path, "web")
    _ca_key, ca_cert = write_pair(ca, tmp_path, "ca")
    web = free_port()
    cfg = write_config(tmp_path / "c.toml", broker.port, web, f"sqlite:///{tmp_path / 'c.sqlite'}")
    cfg.write_text(
        cfg.read_text() + f'tls_cert_file = "{cert}"\ntls_key_file = "{key}"\nallowed_hosts = ["localhost"]\n'
    )
    r = user_cli(cfg, "add", *ADMIN[:1], "--role", "admin", password=ADMIN[1])
    assert r.returncode == 0, r.stderr
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "anpr", "control", "serve", "-c", str(cfg)], cwd=str(ROOT),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    ctx = ssl.create_default_context(cafile=str(ca_cert))
    try:
        from helpers.uplink import wait_until

        def up() -> bool:
            try:
                urllib.request.urlopen(f"https://localhost:{web}/static/app.js", context=ctx, timeout=2)
                return True
            except OSError:
                return False

        assert wait_until(up, 20), log.read_text()[-2000:]
        creds = json.dumps({"user": ADMIN[0], "password": ADMIN[1]}).encode()
        req = urllib.request.Request(f"https://localhost:{web}/login", creds, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            cookie = resp.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie
            assert "max-age" in resp.headers["Strict-Transport-Security"]
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7"])
def test_plain_http_beyond_loopback_is_refused(tmp_path: Path, host: str) -> None:
    cfg = write_config(tmp_path / "c.toml", 1883, 8080, f"sqlite:///{tmp_path / 'c.sqlite'}")
    cfg.write_text(cfg.read_text() + f'host = "{host}"\n')
    r = subprocess.run([sys.executable, "-m", "anpr", "control", "serve", "-c", str(cfg)], capture_output=True,
                       text=True, cwd=str(ROOT), timeout=60)  # fmt: skip
    assert r.returncode == 2 and "beyond loopback without TLS" in r.stderr and "web" in r.stderr
    assert "Traceback" not in r.stderr
