#!/usr/bin/env bash
# Proves the README's install on a clean Debian 12 root built with debootstrap (not part of CI).
#
#   sudo scripts/clean-root-proof.sh amd64 [--root DIR] [--keep] [--demo-only]
#        debootstrap bookworm, copy the checkout in, run `bash scripts/test.sh` (Debian + Python packages,
#        then the whole suite) and the demo; the demo's plate events go to OUT/amd64-events.jsonl
#   sudo scripts/clean-root-proof.sh arm64 [--root DIR] [--keep]
#        the same root for arm64 under qemu-user-static (installed with binfmt-support when missing):
#        `scripts/install.sh --role car` (the car's install) then the demo with the installed anpr;
#        its events are diffed against x86's (OUT/amd64-events.jsonl, else a replay by this checkout's .venv)
#
# OUT is build/clean-root-proof/ (logs, events, timings, wheel list). The root is deleted after a run that
# succeeded unless --keep; after a failure it is kept, and the next run resumes in it (no new debootstrap).
# Needs root, network to the Debian mirror apt already uses here, and PyPI (pip inside the root). Where
# this machine's pip trusts an extra CA (a TLS-inspecting proxy: `pip config get global.cert`), pip in the
# root is given the same bundle; nothing else of this machine's configuration goes in.
# The demo is `anpr replay sample_videos/gantry_day.mp4` with the built-in defaults, as scripts/demo.sh runs it.
set -euo pipefail

arch="${1:-}"; shift || true
case "$arch" in amd64|arm64) ;; *) sed -n '2,14p' "$0"; exit 2 ;; esac
SRC="$(cd "$(dirname "$0")/.." && pwd)"
root="" keep=0 demo_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a folder}"; shift ;;
    --keep) keep=1 ;;
    --demo-only) demo_only=1 ;;
    *) echo "clean-root-proof.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "clean-root-proof.sh: run as root (debootstrap, chroot, mounts)" >&2; exit 2; }
OUT="$SRC/build/clean-root-proof"
root="${root:-$OUT/root-$arch}"
mkdir -p "$OUT"
log="$OUT/$arch.log"
: >"$log"
say() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$log"; }
t0=$(date +%s)
lap() { echo "$1 $(( $(date +%s) - t0 ))s" >>"$OUT/$arch-times.txt"; say "$1 done at +$(( $(date +%s) - t0 ))s"; }
: >"$OUT/$arch-times.txt"

need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || apt_pkgs+=("$1"); }
apt_pkgs=()
need debootstrap
if [ "$arch" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ]; then need qemu-user-static; need binfmt-support; fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  say "installing on this machine: ${apt_pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >>"$log"
fi
if [ "$arch" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ]; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
    || { echo "clean-root-proof.sh: no binfmt handler for aarch64 (mount binfmt_misc; update-binfmts --enable qemu-aarch64)" >&2; exit 1; }
fi

# The mirror this machine's apt uses (deb822 or one-line sources), else Debian's CDN.
mirror="$(grep -hoE '^URIs: *https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')"
[ -n "$mirror" ] || mirror="$(grep -hoE '^deb +https?://[^ ]+/debian/? ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')"
mirror="${mirror:-http://deb.debian.org/debian}"

mounted=()
ok=0
cleanup() {
  for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  if [ "$ok" = 1 ] && [ "$keep" = 0 ] && [ -d "$root" ]; then rm -rf --one-file-system "$root"
  elif [ -d "$root" ]; then say "kept $root (rerun to resume; rm -rf it for a fresh root)"; fi
}
trap cleanup EXIT

if [ ! -x "$root/usr/bin/python3" ]; then
  say "debootstrap bookworm $arch from $mirror into $root"
  debootstrap --arch="$arch" --variant=minbase --include=ca-certificates,python3,sudo \
    bookworm "$root" "$mirror" >>"$log" 2>&1
  lap debootstrap
fi
# No package's maintainer script may start a daemon inside the root (the tests start their own).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
for m in proc sys dev dev/pts dev/shm; do
  mkdir -p "$root/$m"
  case "$m" in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    *) mount --bind "/$m" "$root/$m" ;;
  esac
  mounted+=("$root/$m")
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
pip_env=""
host_cert="${PIP_CERT:-$(python3 -m pip config get global.cert 2>/dev/null || true)}"
if [ -n "$host_cert" ] && [ -f "$host_cert" ]; then
  cp -L "$host_cert" "$root/etc/ssl/host-pip-ca.crt"
  pip_env="PIP_CERT=/etc/ssl/host-pip-ca.crt"
  say "pip in the root trusts this machine's CA bundle ($host_cert)"
fi
# The checkout as a clone would have it: tracked and new files, symlinks kept (anpr/models -> ../models).
rm -rf "$root/src" && mkdir -p "$root/src"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -C "$root/src" -xf -
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 TERM=dumb $pip_env bash -c "$1"; }
in_root 'cat /etc/debian_version; uname -m; python3 -V' | tee -a "$log"

DEMO='anpr replay sample_videos/gantry_day.mp4 --format json --no-progress'
if [ "$arch" = amd64 ]; then
  if [ "$demo_only" = 0 ]; then
    say "bash scripts/test.sh (system deps, venv, whole suite)"
    set +e
    in_root 'cd /src && bash scripts/test.sh -q -p no:cacheprovider' >"$OUT/amd64-tests.log" 2>&1
    rc=$?
    set -e
    tail -n 30 "$OUT/amd64-tests.log" | tee -a "$log"
    say "test suite exit status $rc"
    lap tests
  fi
  in_root 'cd /src && bash scripts/system-deps.sh demo && bash scripts/venv.sh' >>"$log" 2>&1
  in_root "cd /src && .venv/bin/$DEMO" >"$OUT/amd64-events.jsonl" 2>>"$log"
  in_root 'cd /src && .venv/bin/python -m pip list --format=freeze' >"$OUT/amd64-wheels.txt"
  lap demo
else
  say "scripts/install.sh --role car (under emulation)"
  in_root 'cd /src && bash scripts/system-deps.sh demo && bash scripts/install.sh --role car' >>"$log" 2>&1
  lap install
  in_root '/opt/anpr/venv/bin/python -m pip list --format=freeze' >"$OUT/arm64-wheels.txt"
  in_root "cd /src && /opt/anpr/venv/bin/$DEMO" >"$OUT/arm64-events.jsonl" 2>>"$log"
  lap demo
  ref="$OUT/amd64-events.jsonl"
  if [ ! -s "$ref" ] && [ -x "$SRC/.venv/bin/anpr" ]; then
    (cd "$SRC" && .venv/bin/$DEMO) >"$OUT/host-events.jsonl" 2>>"$log"; ref="$OUT/host-events.jsonl"
  fi
fi

# Events without their random ids; the rest (plates, times, formats, hits, scores, crops) must match.
norm() { python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    e.pop("event_id", None)
    print(json.dumps(e, sort_keys=True))' <"$1"; }
norm "$OUT/$arch-events.jsonl" >"$OUT/$arch-events.norm.jsonl"
say "$arch demo: $(wc -l <"$OUT/$arch-events.jsonl") events"
if [ "$arch" = arm64 ]; then
  norm "$ref" >"$OUT/x86-events.norm.jsonl"
  if diff -u "$OUT/x86-events.norm.jsonl" "$OUT/arm64-events.norm.jsonl" >"$OUT/events.diff"; then
    say "arm64 events identical to x86's ($(basename "$ref"))"
  else
    say "arm64 events differ from x86's: $OUT/events.diff"
    python3 - "$OUT/x86-events.norm.jsonl" "$OUT/arm64-events.norm.jsonl" <<'EOF' | tee -a "$log"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
key = lambda e: (e["plate"], e["kind"], e["first_seen"])
print("plates/kinds/times equal:", [key(e) for e in a] == [key(e) for e in b])
for x, y in zip(a, b):
    d = {k: (x.get(k), y.get(k)) for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k) and k != "crop_jpeg"}
    if d: print(x["plate"], d)
EOF
  fi
fi
ok=1
say "done in $(( $(date +%s) - t0 ))s; logs and events in $OUT"
