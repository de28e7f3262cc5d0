"""`anpr bench wheels`: proves every runtime requirement installs on the devices from wheels alone (no
compiler on a Pi).

For Raspberry Pi OS bookworm (aarch64, CPython 3.11) and JetPack 6 (aarch64, CPython 3.10) it runs
`pip download --only-binary=:all: --platform manylinux..._aarch64 --python-version X --no-deps` for each
runtime requirement of anpr (the installed package's metadata, or `--pyproject FILE`'s [project]
dependencies; environment markers honoured per version, extras left out), at the versions `--constraints
FILE` pins for that Python (default: `constraints.txt` in the current folder when there is one), since those are
what `scripts/install.sh` installs.
Pure-Python wheels count, and so does a requirement published only as an sdist when it builds here to a
`py3-none-any` wheel (gpsd-py3 and sdnotify: pip builds those on the device without a compiler);
`--strict` refuses those too. Exit 1 and a list when any requirement has no usable wheel.

It downloads about 150 MB from PyPI, so it is a release check (CI job), not a unit test. Needs `packaging`
(the [dev] extra).
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_PYTHONS = ("3.11", "3.10")
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64")


def declared(pyproject: Path | None) -> list[str]:
    """The runtime requirement strings: `pyproject`'s [project] dependencies, else the installed anpr's."""
    if pyproject is not None:
        deps: list[str] = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
        return deps
    return importlib.metadata.requires("anpr") or []


def _device(python: str) -> dict[str, str]:
    """The environment markers of Linux aarch64 with CPython `python`."""
    env: dict[str, str] = {str(k): str(v) for k, v in default_environment().items()}
    return env | {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "platform_machine": "aarch64",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "implementation_name": "cpython",
        "extra": "",
    }


def requirements(python: str, deps: list[str], constraints: Path | None = None) -> list[Requirement]:
    """The requirements of `deps` that apply on Linux aarch64 with CPython `python` (no extras), narrowed to
    the versions `constraints` pins there."""
    env = _device(python)
    reqs = [Requirement(d) for d in deps]
    reqs = [r for r in reqs if r.marker is None or r.marker.evaluate(env)]
    if constraints is None:
        return reqs
    pins: dict[str, Requirement] = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip()  # no marker holds a '#'
        pin = Requirement(spec) if spec else None
        if pin is not None and (pin.marker is None or pin.marker.evaluate(env)):
            pins[canonicalize_name(pin.name)] = pin
    for r in reqs:
        pin = pins.get(canonicalize_name(r.name))
        if pin is not None:
            r.specifier &= pin.specifier
    return reqs


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


def check_wheels(
    pythons: Sequence[str],
    keep: Path | None,
    allow_pure_sdist: bool,
    pyproject: Path | None,
    out: TextIO,
    constraints: Path | None = None,
) -> list[str]:
    """Download every requirement for each CPython version, reporting each line on `out`; those missing."""
    deps = declared(pyproject)
    if constraints is not None:
        print(f"versions pinned by {constraints}", file=out, flush=True)
    missing: list[str] = []
    with tempfile.TemporaryDirectory(prefix="anpr-wheels-") as tmp:
        for python in pythons:
            dest = (keep or Path(tmp)) / f"cp{python.replace('.', '')}"
            dest.mkdir(parents=True, exist_ok=True)
            print(f"== CPython {python}, linux aarch64 ({' / '.join(PLATFORMS)})", file=out, flush=True)
            for req in requirements(python, deps, constraints):
                t0 = time.monotonic()
                ok, detail = download(req, python, dest)
                if not ok and allow_pure_sdist:
                    ok, detail = pure_python_sdist(req, dest)
                line = f"  {'ok  ' if ok else 'MISSING'} {req.name:24} {time.monotonic() - t0:5.1f} s  {detail}"
                print(line, file=out, flush=True)
                if not ok:
                    missing.append(f"{req} (CPython {python}): {detail}")
    return missing
