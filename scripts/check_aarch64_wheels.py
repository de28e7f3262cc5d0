"""Proves every runtime requirement installs on the devices from wheels alone (no compiler on a Pi).

For Raspberry Pi OS bookworm (aarch64, CPython 3.11) and JetPack 6 (aarch64, CPython 3.10) it runs
`pip download --only-binary=:all: --platform manylinux..._aarch64 --python-version X --no-deps` for each
requirement in pyproject.toml's [project] dependencies (environment markers honoured per version).
Pure-Python wheels count, and so does a requirement published only as an sdist when it builds here to a
`py3-none-any` wheel (gpsd-py3 and sdnotify: pip builds those on the device without a compiler);
`--strict` refuses those too. Exit 1 and a list when any requirement has no usable wheel.

    .venv/bin/python scripts/check_aarch64_wheels.py [--python 3.11 --python 3.10] [--keep DIR]

It downloads about 150 MB from PyPI, so it is a script (CI job / release check), not a unit test.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64")


def requirements(python: str) -> list[Requirement]:
    """Runtime requirements of pyproject.toml that apply on Linux aarch64 with CPython `python`."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    env = {
        **default_environment(),
        "python_version": python,
        "python_full_version": f"{python}.0",
        "platform_machine": "aarch64",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "implementation_name": "cpython",
    }
    reqs = [Requirement(d) for d in deps]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(env)]


def download(req: Requirement, python: str, dest: Path) -> tuple[bool, str]:
    spec = f"{req.name}{req.specifier}"
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps"]
    cmd += ["--only-binary=:all:", "--implementation", "cp", "--python-version", python, "--dest", str(dest)]
    for plat in PLATFORMS:
        cmd += ["--platform", plat]
    before = set(dest.iterdir())
    proc = subprocess.run([*cmd, spec], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return False, lines[-1] if lines else f"pip exit {proc.returncode}"
    got = sorted(p.name for p in set(dest.iterdir()) - before)
    return True, ", ".join(got) or "(already downloaded)"


def pure_python_sdist(req: Requirement, dest: Path) -> tuple[bool, str]:
    """No wheel on PyPI: build the sdist here; a `py3-none-any` result needs no compiler on the device either."""
    spec = f"{req.name}{req.specifier}"
    with tempfile.TemporaryDirectory(prefix="anpr-sdist-") as tmp:
        cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps"]
        proc = subprocess.run([*cmd, "--no-binary", req.name, "-w", tmp, spec], capture_output=True, text=True)
        built = sorted(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not built:
            return False, "no wheel, and its sdist does not build here"
        if not built[0].name.endswith("-none-any.whl"):
            return False, f"no wheel; its sdist builds a platform wheel {built[0].name} (needs a compiler)"
        (dest / built[0].name).write_bytes(built[0].read_bytes())
        return True, f"no wheel on the index; its sdist builds the pure-Python {built[0].name} (no compiler)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", help="CPython version(s) to check (default: 3.11 and 3.10)")
    ap.add_argument("--keep", help="download into this folder and keep the wheels (default: a temp folder)")
    ap.add_argument(
        "--strict",
        dest="allow_pure_sdist",
        action="store_false",
        help="count only wheels from the index (default: an sdist that builds a py3-none-any wheel also counts)",
    )
    args = ap.parse_args()
    versions = args.python or ["3.11", "3.10"]
    missing: list[str] = []
    with tempfile.TemporaryDirectory(prefix="anpr-wheels-") as tmp:
        for python in versions:
            dest = Path(args.keep or tmp) / f"cp{python.replace('.', '')}"
            dest.mkdir(parents=True, exist_ok=True)
            print(f"== CPython {python}, linux aarch64 ({' / '.join(PLATFORMS)})")
            for req in requirements(python):
                t0 = time.monotonic()
                ok, detail = download(req, python, dest)
                if not ok and args.allow_pure_sdist:
                    ok, detail = pure_python_sdist(req, dest)
                print(f"  {'ok  ' if ok else 'MISSING'} {req.name:24} {time.monotonic() - t0:5.1f} s  {detail}")
                if not ok:
                    missing.append(f"{req} (CPython {python}): {detail}")
    if missing:
        print("no aarch64 wheel for:\n  " + "\n  ".join(missing))
        return 1
    print(f"every runtime requirement has an aarch64 wheel for CPython {', '.join(versions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
