"""Runs the detector and reader under the seccomp filter systemd installs for MemoryDenyWriteExecute=yes.

systemd 252 (src/shared/seccomp-util.c, seccomp_memory_deny_write_execute) refuses with EPERM:
mmap with PROT_WRITE|PROT_EXEC, any mprotect/pkey_mprotect that asks for PROT_EXEC, and shmat with
SHM_EXEC. This script installs the same rules through libseccomp, then imports onnxruntime and OpenCV,
loads both models and reads frames of the sample video. Exit 0: the unit's MemoryDenyWriteExecute=yes
is safe for this code; a crash or a non-zero exit means it is not.
Usage: python mdwe_probe.py VIDEO N_FRAMES
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import sys

PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7


class ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def install_mdwe() -> None:
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ArgCmp)
    ]  # fmt: skip
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    deny = 0x00050000 | errno.EPERM  # SCMP_ACT_ERRNO(EPERM)
    rules = [
        ("mmap", 2, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC),
        ("mprotect", 2, PROT_EXEC, PROT_EXEC),
        ("pkey_mprotect", 2, PROT_EXEC, PROT_EXEC),
        ("shmat", 2, SHM_EXEC, SHM_EXEC),
    ]
    for name, arg, mask, value in rules:
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            continue
        cmp = ArgCmp(arg, SCMP_CMP_MASKED_EQ, mask, value)
        rc = lib.seccomp_rule_add_array(ctx, deny, nr, 1, ctypes.byref(cmp))
        if rc != 0:
            raise OSError(-rc, f"seccomp_rule_add {name}")
    rc = lib.seccomp_load(ctx)  # libseccomp sets no_new_privs itself (SCMP_FLTATR_CTL_NNP defaults on)
    if rc != 0:
        raise OSError(-rc, "seccomp_load")
    # Prove the filter bites: an anonymous W+X mapping must now be refused.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    addr = libc.mmap(None, 4096, PROT_WRITE | PROT_EXEC | 0x1, 0x22, -1, 0)
    if addr != ctypes.c_void_p(-1).value:
        raise SystemExit("the W+X mapping was allowed: the filter is not active")


def main() -> int:
    video, n = sys.argv[1], int(sys.argv[2])
    install_mdwe()
    import cv2  # imported after the filter: their loading is part of what is checked
    import numpy as np

    from anpr.app.config import AppConfig
    from anpr.detect import build_detector
    from anpr.ocr import build_reader

    cfg = AppConfig()
    detector, reader = build_detector(cfg.detector), build_reader(cfg.reader)
    cap = cv2.VideoCapture(video)
    reads = 0
    for _ in range(n):
        ok, frame = cap.read()
        if not ok:
            break
        image = np.asarray(frame, dtype=np.uint8)
        for det in detector.detect(image):
            reads += reader.read(image, det) is not None
    print(f"mdwe ok: pid {os.getpid()}, {reads} read(s)")
    return 0 if reads > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
