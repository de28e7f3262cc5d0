#!/usr/bin/env bash
# Installs (or removes) the anpr service on Raspberry Pi OS bookworm (aarch64, Python 3.11), a Jetson with
# JetPack 6 (Ubuntu 22.04, Python 3.10) or any Debian-like machine. Idempotent: run it again to upgrade.
#
#   sudo scripts/install.sh --role gantry|car          venv in /opt/anpr, models, unit, /etc/anpr/anpr.toml
#                                                      (from the role's example, only if absent), user anpr
#                                                      in video+dialout(+audio), then systemctl enable --now
#   sudo scripts/install.sh --uninstall [--purge]      remove the service; --purge also deletes /var/lib/anpr,
#                                                      /etc/anpr and the user
# Options: --prefix DIR   install under DIR instead of / (tests, image building): no user, no systemctl --now
#          --skip-venv    do not create/update the venv (files, unit and config only)
#          --wheels DIR   pip installs offline from DIR (--no-index --find-links DIR)
#          --ort-wheel F  Jetson: replace onnxruntime with this onnxruntime-gpu wheel (CUDA/TensorRT)
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
role="" prefix="" uninstall=0 purge=0 skip_venv=0 wheels="" ort_wheel=""
while [ $# -gt 0 ]; do
  case "$1" in
    --role) role="${2:?--role needs gantry or car}"; shift ;;
    --prefix) prefix="${2:?--prefix needs a folder}"; shift ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    --skip-venv) skip_venv=1 ;;
    --wheels) wheels="${2:?--wheels needs a folder}"; shift ;;
    --ort-wheel) ort_wheel="${2:?--ort-wheel needs a wheel file}"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
prefix="${prefix%/}"
OPT="$prefix/opt/anpr" ETC="$prefix/etc/anpr" VAR="$prefix/var/lib/anpr" UNITDIR="$prefix/etc/systemd/system"
real=0; [ -z "$prefix" ] && real=1
say() { echo "anpr install: $*"; }
systemd_up() { [ "$real" = 1 ] && [ -d /run/systemd/system ]; }  # systemd is PID 1 here

if [ "$real" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo), or give --prefix DIR" >&2; exit 2
fi

unit_of() { [ "$1" = car ] && echo anpr-car.service || echo anpr.service; }

# ------------------------------------------------------------------------------------------------ uninstall
if [ "$uninstall" = 1 ]; then
  for unit in anpr.service anpr-car.service; do
    [ -e "$UNITDIR/$unit" ] || continue
    if systemd_up; then systemctl disable --now "$unit" || true
    else systemctl --root="${prefix:-/}" disable "$unit" >/dev/null 2>&1 || rm -f "$UNITDIR/multi-user.target.wants/$unit"
    fi
    rm -rf "$UNITDIR/$unit" "$UNITDIR/$unit.d"
    say "removed $unit"
  done
  systemd_up && systemctl daemon-reload
  rm -rf "$OPT"
  if [ "$purge" = 1 ]; then
    rm -rf "$VAR" "$ETC"
    if [ "$real" = 1 ] && getent passwd anpr >/dev/null; then userdel anpr || true; fi
    say "purged $VAR, $ETC and the user anpr"
  else
    say "kept $VAR (outbox, hotlist) and $ETC; --purge removes them"
  fi
  exit 0
fi

# ------------------------------------------------------------------------------------------------ install
case "$role" in gantry|car) ;; *) echo "install.sh: give --role gantry or --role car" >&2; exit 2 ;; esac
unit="$(unit_of "$role")"
example="$SRC/examples/gantry.toml"; [ "$role" = car ] && example="$SRC/examples/patrol-car.toml"
jetson=0; [ -e /etc/nv_tegra_release ] && jetson=1
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] < (3, 13) else 1)' \
  || { echo "install.sh: $PY is $("$PY" -V 2>&1); anpr needs Python 3.10 to 3.12" >&2; exit 2; }
say "role $role, unit $unit, $(uname -m), $("$PY" -V 2>&1)$([ "$jetson" = 1 ] && echo ', Jetson')"

groups="video,dialout"; [ "$role" = car ] && groups="$groups,audio"
if [ "$real" = 1 ]; then
  for g in ${groups//,/ }; do getent group "$g" >/dev/null || groupadd --system "$g"; done
  if ! getent passwd anpr >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/anpr --no-create-home --shell /usr/sbin/nologin anpr
    say "created user anpr"
  fi
  usermod -a -G "$groups" anpr
else
  say "(prefix) would create system user anpr in groups $groups"
fi

install -d -m 0755 "$OPT" "$OPT/models" "$OPT/docs" "$ETC" "$UNITDIR"
install -d -m 0750 "$VAR"
[ "$real" = 1 ] && chown anpr:anpr "$VAR"

if [ "$skip_venv" = 0 ]; then
  if [ ! -x "$OPT/venv/bin/python" ]; then
    "$PY" -m venv "$OPT/venv" || { echo "install.sh: python3 -m venv failed: apt-get install python3-venv" >&2; exit 1; }
  fi
  pipargs=(-q --disable-pip-version-check)
  [ -n "$wheels" ] && pipargs+=(--no-index --find-links "$wheels")
  # constraints.txt: the numpy/onnxruntime/OpenCV the figures were measured with (reads depend on them)
  "$OPT/venv/bin/python" -m pip install "${pipargs[@]}" -c "$SRC/constraints.txt" --upgrade "$SRC"
  if [ -n "$ort_wheel" ]; then  # JetPack's own build: onnxruntime-gpu with CUDA and TensorRT providers
    "$OPT/venv/bin/python" -m pip uninstall -q -y onnxruntime || true
    "$OPT/venv/bin/python" -m pip install "${pipargs[@]}" "$ort_wheel"
  fi
  "$OPT/venv/bin/anpr" --version
  say "onnxruntime providers: $("$OPT/venv/bin/python" -c 'import onnxruntime as o; print(" ".join(o.get_available_providers()))')"
fi

for f in "$SRC"/models/*.onnx "$SRC"/models/*.sha256 "$SRC"/models/*.txt "$SRC"/models/*.md "$SRC"/models/*.calibration.json; do
  [ -e "$f" ] && install -m 0644 "$f" "$OPT/models/"
done
install -m 0644 "$SRC/docs/deploy.md" "$OPT/docs/deploy.md"

if [ -e "$ETC/anpr.toml" ]; then
  say "kept $ETC/anpr.toml (never overwritten; the new example is $OPT/docs/$(basename "$example"))"
else
  install -m 0640 "$example" "$ETC/anpr.toml"
  [ "$real" = 1 ] && chgrp anpr "$ETC/anpr.toml"
  say "wrote $ETC/anpr.toml from $(basename "$example"): edit device_id, cameras, broker and keys"
fi
install -m 0644 "$example" "$OPT/docs/$(basename "$example")"

install -m 0644 "$SRC/systemd/$unit" "$UNITDIR/$unit"
if [ "$jetson" = 1 ]; then
  install -d -m 0755 "$UNITDIR/$unit.d"
  install -m 0644 "$SRC/systemd/jetson.conf" "$UNITDIR/$unit.d/jetson.conf"
  say "Jetson: installed the CUDA/TensorRT drop-in $unit.d/jetson.conf"
fi

if systemd_up; then
  systemctl daemon-reload
  systemctl enable "$unit"
  if [ "$skip_venv" = 1 ] && [ ! -x "$OPT/venv/bin/anpr" ]; then
    say "no venv yet (--skip-venv): enabled, not started"
  else
    systemctl restart "$unit"  # restart, not start: a re-run after an upgrade loads the new code
    say "started $unit: systemctl status $unit; journalctl -u $unit -f; /opt/anpr/venv/bin/anpr status -c /etc/anpr/anpr.toml"
  fi
else
  systemctl --root="${prefix:-/}" enable "$unit" >/dev/null 2>&1 \
    || { install -d "$UNITDIR/multi-user.target.wants"; ln -sf "/etc/systemd/system/$unit" "$UNITDIR/multi-user.target.wants/$unit"; }
  say "systemd is not running here (not PID 1): enabled offline; on the device run: systemctl daemon-reload && systemctl restart $unit"
fi
