"""`anpr control serve | publish-hotlist | export | user | audit` (the [control] extra; kept import-light)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

Args = argparse.Namespace


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("control", help="control room: receive the cars' events, store them, show them on a map")
    csub = p.add_subparsers(dest="control_command", metavar="ACTION")

    def cmd(name: str, func: Any, help_: str) -> argparse.ArgumentParser:
        q = csub.add_parser(name, help=help_, description=help_)
        q.add_argument("-c", "--config", default=None, help="control-room TOML (default: local broker, SQLite)")
        q.set_defaults(func=func)
        return q

    cmd("serve", _serve, "receive events over MQTT, store them, serve the map page")
    q = cmd("publish-hotlist", _publish, "publish a signed hotlist snapshot to the retained {prefix}/hotlist/{list}")
    q.add_argument("document", help="signed document from `anpr hotlist sign`")
    q.add_argument("--pub", action="append", default=[], help="trusted public key (default: the config's)")
    q.add_argument("--force", action="store_true", help="publish even if not newer than the last issued version")
    q = cmd("export", _export, "write stored hits or reads as GeoJSON or CSV")
    q.add_argument("--kind", choices=("hit", "read"), default=None, help="hits or reads (default: both)")
    q.add_argument("--format", choices=("geojson", "csv"), default="geojson")
    q.add_argument("--plate", default=None, help="plate pattern, ? = one character, * = any run (e.g. 'BB*12')")
    q.add_argument("--since", default=None, help="from this time (ISO-8601, UTC when no zone)")
    q.add_argument("--until", default=None, help="up to this time")
    q.add_argument("--bbox", default=None, help="min_lon,min_lat,max_lon,max_lat")
    q.add_argument("--device", default=None, help="only this car")
    q.add_argument("--limit", type=int, default=1_000_000, help="most rows (newest first)")
    q.add_argument("--out", default=None, help="file to write (default: stdout)")
    q = cmd("user", _user, "control-room logins: add, passwd, remove, list (passwords from a prompt or stdin)")
    q.add_argument("action", choices=("add", "passwd", "remove", "list"))
    q.add_argument("name", nargs="?", default=None, help="user name (a-z 0-9 _ . -)")
    roles = "viewer: live page and hits; operator: + search and exports; admin: + hotlists and users"
    q.add_argument("--role", choices=("viewer", "operator", "admin"), default=None, help=roles)
    for name, what in (("provision-car", "a car"), ("provision-control", "the control room")):
        q = cmd(name, _provision, f"write {what}'s mosquitto password entry and ACL lines (and its config snippet)")
        q.add_argument("id", help="car device_id" if name == "provision-car" else "control-room MQTT user name")
        q.add_argument("--passwd", default="/etc/mosquitto/anpr/passwd", help="mosquitto password_file")
        q.add_argument("--acl", default="/etc/mosquitto/anpr/acl", help="mosquitto acl_file")
        q.add_argument("--out", default=".", help="folder for ID.password (0600) and ID.toml")
        q.add_argument("--host", default=None, help="broker host as the car sees it (default: the config's)")
        q.add_argument("--port", type=int, default=8883, help="broker TLS port")
        q.add_argument("--ca-file", default="/etc/anpr/broker-ca.crt", help="broker CA path on the car")
        q.add_argument("--password-path", default="/etc/anpr/mqtt-password", help="password file path on the car")
        q.set_defaults(kind="car" if name == "provision-car" else "control")
    q = cmd("audit", _audit, "print the audit trail: searches, exports, hotlist publications (newest first)")
    q.add_argument("--limit", type=int, default=100)

    def _usage(_args: Args) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=_usage)


def _config(args: Args) -> Any:
    from anpr.app.config import ConfigError
    from anpr.control.config import load_control

    try:
        return load_control(args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return None


def _open_store(url: str) -> Any:
    from anpr.control.store import open_store
    from anpr.control.store_connect import StoreError

    try:
        return open_store(url)
    except StoreError as err:
        print(f"anpr control: {err}", file=sys.stderr)
        return None


def _serve(args: Args) -> int:
    import logging

    cfg = _config(args)
    if cfg is None:
        return 2
    if args.log_level is None:
        logging.getLogger().setLevel(cfg.log_level)
    from anpr.control.receiver import ReceiverError
    from anpr.control.serve import ControlRoom
    from anpr.control.tiles import TileError

    store = _open_store(cfg.database_url)
    if store is None:
        return 2
    try:
        room = ControlRoom(cfg, store)
    except (ReceiverError, TileError) as err:
        print(f"anpr control serve: {err}", file=sys.stderr)
        return 2
    room.run()
    return 0


def _read_password(confirm: bool) -> str | None:
    """From a prompt on a terminal (twice), else the first line of stdin: never from argv (ps shows it)."""
    import getpass

    if sys.stdin.isatty():
        pw = getpass.getpass("password: ")
        if confirm and getpass.getpass("again: ") != pw:
            print("anpr control user: the passwords differ", file=sys.stderr)
            return None
        return pw
    return sys.stdin.readline().rstrip("\r\n")


def _cli_user() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def _user(args: Args) -> int:
    cfg = _config(args)
    if cfg is None:
        return 2
    from anpr.control.users import UserError, add_user, list_users, remove_user, set_password

    if args.action != "list" and not args.name:
        print(f"anpr control user {args.action}: give the user name", file=sys.stderr)
        return 2
    store = _open_store(cfg.database_url)
    if store is None:
        return 2
    try:
        if args.action == "list":
            for u in list_users(store):
                print(f"{u['name']}\t{u['role']}")
            return 0
        if args.action == "remove":
            remove_user(store, args.name)
            print(f"removed {args.name} (and ended their sessions)")
            return 0
        if args.action == "add" and args.role is None:
            print("anpr control user add: give --role viewer|operator|admin", file=sys.stderr)
            return 2
        pw = _read_password(confirm=True)
        if pw is None:
            return 2
        if args.action == "add":
            add_user(store, args.name, pw, args.role)
            print(f"added {args.name} ({args.role})")
        else:
            set_password(store, args.name, pw, args.role)
            print(f"changed {args.name}" + (f" (now {args.role})" if args.role else "") + "; their sessions ended")
        return 0
    except UserError as err:
        print(f"anpr control user {args.action}: {err}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _provision(args: Args) -> int:
    cfg = _config(args)
    if cfg is None:
        return 2
    from anpr.control.broker import ProvisionError, car_snippet, provision

    try:
        acc = provision(args.id, args.kind, cfg.broker.prefix, Path(args.passwd), Path(args.acl))
    except ProvisionError as err:
        print(f"anpr control provision-{args.kind}: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"anpr control provision-{args.kind}: {err.filename}: {err.strerror}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    secret = out / f"{acc.name}.password"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(acc.password + "\n")
    print(f"wrote {args.passwd} and {args.acl} for {acc.name}; its password is in {secret} (0600)")
    if args.kind == "car":
        host = args.host or cfg.broker.host
        snippet = car_snippet(acc, host, args.port, cfg.broker.prefix, args.ca_file, args.password_path)
        (out / f"{acc.name}.toml").write_text(snippet, encoding="utf-8")
        print(f"car config snippet in {out / (acc.name + '.toml')}; copy the password to {args.password_path}")
    print("reload mosquitto to apply: systemctl reload mosquitto (SIGHUP)")
    return 0


def _audit(args: Args) -> int:
    cfg = _config(args)
    if cfg is None:
        return 2
    from anpr.control.export import iso
    from anpr.control.users import audit_log

    store = _open_store(cfg.database_url)
    if store is None:
        return 2
    try:
        for r in audit_log(store, max(1, args.limit)):
            print(f"{iso(r['at'])}\t{r['user_name']}\t{r['action']}\t{r['detail']}\t{r['remote'] or ''}")
    finally:
        store.close()
    return 0


def _publish(args: Args) -> int:
    cfg = _config(args)
    if cfg is None:
        return 2
    from anpr.control.publish import PublishError, publish_hotlist
    from anpr.control.receiver import ReceiverError

    try:
        data = Path(args.document).read_bytes()
    except OSError as err:
        print(f"anpr control publish-hotlist: {args.document}: {err.strerror}", file=sys.stderr)
        return 2
    store = _open_store(cfg.database_url)
    if store is None:
        return 2
    from anpr.control.users import audit

    try:
        pub = publish_hotlist(cfg, data, store, trusted=tuple(args.pub), force=args.force)
        audit(store, _cli_user(), "publish-hotlist", f"{pub.list_name} v{pub.version} ({pub.entries} entries) "
              f"sha256 {pub.sha256}")  # fmt: skip
    except (PublishError, ReceiverError) as err:
        print(f"anpr control publish-hotlist: {err}", file=sys.stderr)
        return 1
    finally:
        store.close()
    from anpr.cli.common import print_published

    return print_published(args, pub)


def _export(args: Args) -> int:
    cfg = _config(args)
    if cfg is None:
        return 2
    from anpr.control.export import render
    from anpr.control.query import filter_from_params

    params = {k: str(v) for k in ("plate", "since", "until", "bbox", "device") if (v := getattr(args, k))}
    params["limit"] = str(args.limit)
    store = _open_store(cfg.database_url)
    if store is None:
        return 2
    from anpr.control.users import audit

    try:
        zone = cfg.web.zone()
        flt = filter_from_params(params, max(args.limit, 1), kind=args.kind, tz=zone)
        body, _media = render(store.events(flt), args.format, zone)
        audit(
            store,
            _cli_user(),
            "export",
            f"{args.format} kind={args.kind} " + " ".join(f"{k}={v}" for k, v in params.items()),
        )
    except ValueError as err:
        print(f"anpr control export: {err}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if args.out:
        Path(args.out).write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)
    return 0
