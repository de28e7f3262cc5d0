#!/usr/bin/env bash
# Proves the README's install on a clean Debian 12 root built with debootstrap (not part of CI).
#
#   sudo scripts/clean-root-proof.sh amd64 [--root DIR] [--keep] [--demo-only]
#        debootstrap bookworm, copy the checkout in, run `bash scripts/test.sh` (Debian + Python packages,
#        then the whole suite) and the demo; the demo's plate events go to OUT/amd64-events.jsonl
#   sudo scripts/clean-root-proof.sh arm64 [--root DIR] [--keep] [--demo-only] [--proot | --no-binfmt]
#        the same root for arm64 under qemu-user-static (installed with binfmt-support when missing):
#        `scripts/install.sh --role car` (the car's install) then the demo with the installed anpr;
#        its events are diffed against x86's (OUT/amd64-events.jsonl, else a replay by this checkout's .venv)
#        --proot (automatic where binfmt_misc is absent, e.g. in a container): PRoot stands in for the binfmt
#        handler. It traces every execve in the root and starts aarch64 programs through qemu-aarch64-static,
#        so debootstrap's second stage, apt's maintainer scripts, install.sh and pip run as on the car; no
#        kernel setting of this machine changes. The demo, which starts no program, is run by qemu directly in a
#        chroot (under PRoot qemu's threads crash the replay).
#        --no-binfmt (neither binfmt nor PRoot): no aarch64 program can start another, so the install SCRIPT
#        cannot run; instead: debootstrap --foreign, the packages unpacked, install.sh --prefix ROOT
#        --skip-venv by this machine's bash (files only), the car's venv made and filled by the root's own
#        python3 and pip under qemu-aarch64-static, and the demo by it (no_binfmt_install_and_demo)
#
# OUT is build/clean-root-proof/ (logs, events, timings, wheel list). The root is deleted after a run that
# succeeded unless --keep; after a failure it is kept, and the next run resumes in it (no new debootstrap).
# Needs root, network to the Debian mirror apt already uses here, and PyPI (pip inside the root). Where
# this machine's pip trusts an extra CA (a TLS-inspecting proxy: `pip config get global.cert`), pip in the
# root is given the same bundle; nothing else of this machine's configuration goes in.
# The demo is `anpr replay sample_videos/gantry_day.mp4` with the built-in defaults, as scripts/demo.sh runs it.
set -euo pipefail

arch="${1:-}"; shift || true
case "$arch" in amd64|arm64) ;; *) sed -n '2,19p' "$0"; exit 2 ;; esac
SRC="$(cd "$(dirname "$0")/.." && pwd)"
root="" keep=0 demo_only=0 no_binfmt=0 use_proot=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a folder}"; shift ;;
    --keep) keep=1 ;;
    --demo-only) demo_only=1 ;;
    --no-binfmt) no_binfmt=1 ;;
    --proot) use_proot=1 ;;
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
emulated=0; [ "$arch" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ] && emulated=1
[ "$emulated" = 0 ] && no_binfmt=0 use_proot=0
[ "$no_binfmt" = 1 ] && use_proot=0
if [ "$emulated" = 1 ] && [ "$no_binfmt" = 0 ] && [ "$use_proot" = 0 ] && [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  use_proot=1
  say "binfmt_misc is not mounted here (/proc/sys/fs/binfmt_misc/register absent): PRoot starts aarch64 programs (--proot)"
fi
if [ "$emulated" = 1 ]; then
  need qemu-user-static
  if [ "$use_proot" = 1 ]; then need proot; elif [ "$no_binfmt" = 0 ]; then need binfmt-support; fi
fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  say "installing on this machine: ${apt_pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >>"$log"
fi
if [ "$emulated" = 1 ] && [ "$no_binfmt" = 0 ] && [ "$use_proot" = 0 ]; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
    || { echo "clean-root-proof.sh: no binfmt handler for aarch64 (mount binfmt_misc; update-binfmts --enable qemu-aarch64), or use --no-binfmt" >&2; exit 1; }
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

if [ ! -x "$root/usr/bin/python3" ] && [ "$no_binfmt" = 1 ]; then
  # The first stage only downloads and unpacks (no aarch64 program runs); the car's packages (install.sh's
  # python3-venv, system-deps.sh's python3-pip) are only downloaded by it, so they are unpacked here, keeping
  # the merged-/usr links (/lib -> usr/lib). Nothing is configured: no maintainer script can run.
  say "debootstrap --foreign bookworm arm64 from $mirror into $root (first stage only: no binfmt)"
  debootstrap --foreign --arch=arm64 --variant=minbase --include=ca-certificates,python3,python3-venv,python3-pip \
    bookworm "$root" "$mirror" >>"$log" 2>&1
  for p in $(cat "$root/debootstrap/base"); do
    debs=("$root/var/cache/apt/archives/${p}_"*.deb)
    [ -e "${debs[0]}" ] || { echo "clean-root-proof.sh: debootstrap downloaded no $p" >&2; exit 1; }
    dpkg-deb --fsys-tarfile "${debs[0]}" | tar -x --keep-directory-symlink -C "$root"
  done
  # What ca-certificates' postinst (update-ca-certificates) would write: the bundle Debian's pip reads.
  cat "$root"/usr/share/ca-certificates/mozilla/*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
  lap debootstrap
elif [ ! -x "$root/usr/bin/python3" ] && [ "$use_proot" = 1 ]; then
  # PRoot runs the second stage (dpkg --configure, every maintainer script) through qemu: what binfmt would do.
  # Not with the host's /dev bound in: the second stage makes its device nodes (/dev/ptmx, ...) in the root's.
  say "debootstrap --foreign bookworm arm64 from $mirror into $root, then --second-stage under PRoot + qemu"
  rm -rf --one-file-system "$root"
  debootstrap --foreign --arch=arm64 --variant=minbase --include=ca-certificates,python3,sudo \
    bookworm "$root" "$mirror" >>"$log" 2>&1
  lap "debootstrap first stage"
  [ -L "$root/proc" ] && rm "$root/proc" && mkdir "$root/proc"  # the foreign stage's /proc -> /proc
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBOOTSTRAP_DIR=/debootstrap \
    proot -q qemu-aarch64-static -r "$root" -b /proc -b /sys -w / /debootstrap/debootstrap --second-stage >>"$log" 2>&1
  lap "debootstrap second stage"
  # gpgv fails under qemu here ("verify signatures failed: Unknown system error"), so the root's own `apt-get update`
  # keeps the index that debootstrap fetched and verified on this machine (a warning in the log, not an error).
elif [ ! -x "$root/usr/bin/python3" ]; then
  say "debootstrap bookworm $arch from $mirror into $root"
  debootstrap --arch="$arch" --variant=minbase --include=ca-certificates,python3,sudo \
    bookworm "$root" "$mirror" >>"$log" 2>&1
  lap debootstrap
fi
# No package's maintainer script may start a daemon inside the root (the tests start their own).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
for m in proc sys dev dev/pts dev/shm; do
  [ -L "$root/$m" ] && rm "$root/$m"  # the foreign stage leaves /proc -> /proc: never mount through it onto ours
  mkdir -p "$root/$m"
  case "$m" in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    *) mount --bind "/$m" "$root/$m" ;;
  esac
  # Private at once, before anything is mounted below it: a bind of /dev shares the host /dev's peer group, and
  # mounting or (lazily) unmounting $root/dev/pts would then mount or unmount the HOST's /dev/pts too (seen here:
  # every pseudo-terminal of the machine gone after a run).
  mount --make-private "$root/$m"
  mounted+=("$root/$m")
done
if [ "$no_binfmt" = 1 ] || [ "$use_proot" = 1 ]; then
  # onnxruntime's cpuinfo parses /proc/cpuinfo at import and segfaults (NULL) on this machine's x86 text (qemu 7.2
  # does not emulate the file for aarch64): the root sees a Raspberry Pi 5's Cortex-A76 entry, one per CPU here.
  ncpu=$(getconf _NPROCESSORS_CONF)
  for ((i = 0; i < ncpu; i++)); do
    printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n\n' "$i"
  done >"$OUT/aarch64-cpuinfo"
  mount --bind "$OUT/aarch64-cpuinfo" "$root/proc/cpuinfo"
  mounted+=("$root/proc/cpuinfo")
  cp /usr/bin/qemu-aarch64-static "$root/usr/bin/qemu-aarch64-static"
fi
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
# The labelled photos some tests read (../shared/plates beside the checkout, or the folder holding $ANPR_PLATES_TRAIN),
# read-only at /shared/plates, beside /src as on the development machines; without them those tests skip, saying why.
plates="${ANPR_PLATES_TRAIN:+$(dirname "$ANPR_PLATES_TRAIN")}"
plates="${plates:-$SRC/../shared/plates}"
if [ "$arch" = amd64 ] && [ -d "$plates/train" ] && [ -d "$plates/eval" ]; then
  mkdir -p "$root/shared/plates"
  mount --bind "$plates" "$root/shared/plates" && mount --make-private "$root/shared/plates"
  mount -o remount,bind,ro "$root/shared/plates"
  mounted+=("$root/shared/plates")
  say "the shared photos ($(cd "$plates" && pwd)) are at /shared/plates in the root, read-only"
fi
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 TERM=dumb $pip_env bash -c "$1"; }
if [ "$use_proot" = 1 ]; then
  # PRoot in place of chroot: every program in the root, and every program they start, runs under qemu with a
  # Raspberry Pi 5's CPU (QEMU_CPU, inherited by each qemu PRoot starts). The mounts above are seen through -r.
  in_root() { env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    TERM=dumb QEMU_CPU=cortex-a76 $pip_env proot -q qemu-aarch64-static -r "$root" -w / /bin/bash -c "$1"; }
fi
# Without binfmt every aarch64 program is started by qemu itself, with the CPU of a Raspberry Pi 5 (Cortex-A76:
# the instruction set extensions onnxruntime and numpy pick their kernels by); q_env adds variables for one call.
q_env=""
in_q() { env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
  QEMU_CPU=cortex-a76 $pip_env $q_env chroot "$root" /usr/bin/qemu-aarch64-static "$@"; }
if [ "$no_binfmt" = 1 ]; then
  { cat "$root/etc/debian_version"; in_q /usr/bin/python3 -c 'import platform; print(platform.machine(), "Python", platform.python_version())'; } | tee -a "$log"
else
  in_root 'cat /etc/debian_version; uname -m; python3 -V' | tee -a "$log"
fi

DEMO='anpr replay sample_videos/gantry_day.mp4 --format json --no-progress'
ref_args=""  # the x86 reference replay's extra arguments: the same config as the arm64 replay
# arm64 without binfmt: each step of install.sh --role car as it would run on the car, by the means left.
no_binfmt_install_and_demo() {
  say "NO BINFMT: scripts/install.sh --role car did NOT run. It is bash, and apt's maintainer scripts and pip's"
  say "  source builds are aarch64 programs starting aarch64 programs: only a binfmt handler lets them. Instead:"
  say "  1) install.sh --role car --prefix ROOT --skip-venv by this machine's bash (files, config, unit; no user)"
  bash "$root/src/scripts/install.sh" --role car --prefix "$root" --skip-venv >>"$log" 2>&1
  say "  2) the wheels pip would build on the car (anpr, sdist-only requirements) built here; only pure-Python kept"
  local hostpy=python3 pipw setw whl
  [ -x "$SRC/.venv/bin/python" ] && hostpy="$SRC/.venv/bin/python"
  rm -rf "$root/wheels" && mkdir "$root/wheels"
  "$hostpy" -m pip wheel -q --disable-pip-version-check -w "$root/wheels" "$root/src" >>"$log" 2>&1
  find "$root/wheels" -name '*.whl' ! -name '*-none-any.whl' -delete
  say "  3) python3 -m venv --without-pip /opt/anpr/venv, then pip and setuptools from the root's Debian wheels"
  say "     (what its ensurepip installs, but ensurepip starts pip as a subprocess)"
  [ -x "$root/opt/anpr/venv/bin/python" ] || in_q /usr/bin/python3 -m venv --without-pip /opt/anpr/venv
  pipw=$(cd "$root" && echo usr/share/python-wheels/pip-*.whl) setw=$(cd "$root" && echo usr/share/python-wheels/setuptools-*.whl)
  in_q /opt/anpr/venv/bin/python "/$pipw/pip" install -q --disable-pip-version-check --no-index "/$pipw" "/$setw" >>"$log" 2>&1
  say "  4) install.sh's pip line by the root's aarch64 pip: pip install --upgrade anpr, --find-links /wheels"
  whl=$(cd "$root/wheels" && echo anpr-*.whl)
  in_q /opt/anpr/venv/bin/python -m pip install -q --disable-pip-version-check --find-links /wheels \
    --report /tmp/pip-report.json --upgrade "/wheels/$whl" >>"$log" 2>&1
  in_q /opt/anpr/venv/bin/python /opt/anpr/venv/bin/anpr --version | tee -a "$log"
  in_q /opt/anpr/venv/bin/python -I -c 'import os; os.chdir("/src"); import anpr, onnxruntime as o
print("anpr from", anpr.__file__, "; onnxruntime providers:", *o.get_available_providers())' | tee -a "$log"
  lap install
  in_q /opt/anpr/venv/bin/python -m pip list --format=freeze >"$OUT/arm64-wheels.txt"
  [ -s "$root/tmp/pip-report.json" ] && python3 -c '
import json, sys
for i in json.load(open(sys.argv[1]))["install"]:
    url = i["download_info"]["url"]
    print(i["metadata"]["name"], i["metadata"]["version"], url.rsplit("/", 1)[-1], "(from /wheels: made on this machine)" if url.startswith("file:") else "(PyPI)")
' "$root/tmp/pip-report.json" >"$OUT/arm64-wheel-files.txt"
  say "  5) the demo by the installed anpr (1 thread per model, on x86 too: -c one-thread.toml), in /src"
  printf '[detector]\nthreads = 1\n\n[reader]\nthreads = 1\n' | tee "$OUT/one-thread.toml" >"$root/tmp/one-thread.toml"
  ref_args="-c $OUT/one-thread.toml"
  q_env="OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"
  # The console script run as a file with -I: the checkout in /src (the working folder) is not importable.
  in_q /opt/anpr/venv/bin/python -I -c 'import os, runpy, sys; os.chdir("/src")
sys.argv = ["/opt/anpr/venv/bin/anpr", *sys.argv[1:]]; runpy.run_path(sys.argv[0], run_name="__main__")' \
    ${DEMO#anpr } -c /tmp/one-thread.toml >"$OUT/arm64-events.jsonl" 2>>"$log"
  q_env=""
  lap demo
}
if [ "$arch" = amd64 ]; then
  if [ "$demo_only" = 0 ]; then
    say "bash scripts/test.sh (system deps, venv, whole suite)"
    set +e
    in_root 'cd /src && bash scripts/test.sh -p no:cacheprovider' >"$OUT/amd64-tests.log" 2>&1
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
elif [ "$no_binfmt" = 1 ]; then
  no_binfmt_install_and_demo
else
  if [ "$demo_only" = 0 ] || [ ! -x "$root/opt/anpr/venv/bin/anpr" ]; then
    say "scripts/install.sh --role car (under emulation$([ "$use_proot" = 1 ] && echo ': PRoot + qemu-aarch64-static'))"
    in_root 'cd /src && bash scripts/system-deps.sh demo && bash scripts/install.sh --role car' >>"$log" 2>&1
    lap install
  fi
  in_root '/opt/anpr/venv/bin/python -m pip list --format=freeze' >"$OUT/arm64-wheels.txt"
  # One thread per model, and the x86 reference likewise (on x86, 1 and 2 threads give the same events).
  say "the demo by the installed anpr, one thread per model (-c one-thread.toml, on x86 too)"
  printf '[detector]\nthreads = 1\n\n[reader]\nthreads = 1\n' | tee "$OUT/one-thread.toml" >"$root/tmp/one-thread.toml"
  ref_args="-c $OUT/one-thread.toml"
  if [ "$use_proot" = 1 ]; then
    # Under PRoot the replay dies 40 s in ("realloc(): invalid pointer", then "qemu: uncaught target signal 11"),
    # with one thread per model too: PRoot's ptrace and qemu's threads do not mix. The replay starts no other
    # program, so qemu runs it directly in the root (chroot), as --no-binfmt does; it is the same installed anpr.
    # The console script is run as a file with -I: the checkout in /src (the working folder) is not importable.
    say "  (the replay by qemu-aarch64-static in a chroot, not under PRoot)"
    q_env="OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"
    in_q /opt/anpr/venv/bin/python -I -c 'import os, runpy, sys; os.chdir("/src")
sys.argv = ["/opt/anpr/venv/bin/anpr", *sys.argv[1:]]; runpy.run_path(sys.argv[0], run_name="__main__")' \
      ${DEMO#anpr } -c /tmp/one-thread.toml >"$OUT/arm64-events.jsonl" 2>>"$log"
    q_env=""
  else
    in_root "cd /src && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /opt/anpr/venv/bin/$DEMO -c /tmp/one-thread.toml" \
      >"$OUT/arm64-events.jsonl" 2>>"$log"
  fi
  lap demo
fi
if [ "$arch" = arm64 ]; then
  ref="$OUT/amd64-events.jsonl"
  if { [ ! -s "$ref" ] || [ -n "$ref_args" ]; } && [ -x "$SRC/.venv/bin/anpr" ]; then
    (cd "$SRC" && .venv/bin/$DEMO $ref_args) >"$OUT/host-events.jsonl" 2>>"$log"; ref="$OUT/host-events.jsonl"
  fi
  [ -s "$ref" ] || { echo "clean-root-proof.sh: no x86 events to compare with (run amd64 first, or bash scripts/venv.sh)" >&2; exit 1; }
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
    say "arm64 events identical to x86's ($(basename "$ref")), crops and scores included"
  else
    say "arm64 events differ from x86's: $OUT/events.diff"
  fi
  # qemu dying by a signal can still leave exit status 0 behind PRoot: the events decide, not the status.
  rm -f "$OUT/compare.txt"
  python3 - "$OUT/x86-events.norm.jsonl" "$OUT/arm64-events.norm.jsonl" <<'EOF' | tee -a "$log" "$OUT/compare.txt"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
key = lambda e: (e["plate"], e["format"], e["kind"], e["final"], e["match"] is not None)
same = bool(a) and [key(e) for e in a] == [key(e) for e in b]
print(f"events x86 {len(a)}, arm64 {len(b)}; plates/formats/kinds/hits equal: {same}")
scores = lambda e: [e["confidence"]] + [alt["score"] for alt in e.get("alternatives") or []]
d = [abs(p - q) for x, y in zip(a, b) for p, q in zip(scores(x), scores(y))]
print(f"max |confidence difference| (alternatives' scores too): {max(d, default=0.0):.3g}")
for x, y in zip(a, b):
    diff = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
    if diff: print(f"  {x['plate']} ({x['kind']}): differs in {', '.join(diff)}")
EOF
  grep -q "plates/formats/kinds/hits equal: True" "$OUT/compare.txt" \
    || { say "FAILED: the arm64 demo did not read the plates x86 reads (see $log)"; exit 1; }
fi
ok=1
say "done in $(( $(date +%s) - t0 ))s; logs and events in $OUT"
