"""The sandbox's launcher: a fresh, single-threaded process that isolates itself, then execs the code.

Run as a script by path (`python -I -S sandbox_launch.py CONFIG`), standard library only. Doing this
setup in a `preexec_fn` instead would run Python between fork and exec inside the caller, and a
caller with other threads (MLX, OpenBLAS, a server) can deadlock there on a lock another thread
held at fork time. CONFIG is JSON: workdir, isolate, interpreter_dirs, limits, argv. On a setup
failure it exits SETUP_FAILED with one line on stderr.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

NOBODY = 65534
SETUP_FAILED = 126
SETUP_FAILED_PREFIX = "sandbox setup failed: "
_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_KEEP_FLAGS = {"nosuid": _MS_NOSUID, "nodev": _MS_NODEV, "noexec": _MS_NOEXEC}


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    return libc


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mounts() -> list[tuple[str, set[str]]]:
    out = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            # mountinfo escapes spaces etc. as octal (\040)
            point = parts[4].encode().decode("unicode_escape")
            out.append((point, set(parts[5].split(","))))
    return out


def _untraversable_ancestor(path: str) -> str | None:
    """The topmost ancestor of `path` that others cannot enter (no o+x), if any."""
    current = "/"
    for part in path.strip("/").split("/"):
        current = os.path.join(current, part)
        if os.path.isdir(current) and not os.stat(current).st_mode & 0o001:
            return current
    return None


def _isolate(workdir: str, interpreter_dirs: list[str]) -> None:
    """In the child (still root): namespaces, read-only filesystem except `workdir`, interpreter reachable."""
    libc = _libc()
    _check(libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET), "unshare")
    _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
    for target in interpreter_dirs:
        hidden = _untraversable_ancestor(target)
        if hidden is None:
            continue
        fd = os.open(target, os.O_PATH)
        _check(libc.mount(b"tmpfs", hidden.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, b"mode=755,size=64k"), "tmpfs")
        os.makedirs(target, mode=0o755, exist_ok=True)
        _check(libc.mount(f"/proc/self/fd/{fd}".encode(), target.encode(), None, _MS_BIND | _MS_REC, None), "bind")
        os.close(fd)
    _check(libc.mount(workdir.encode(), workdir.encode(), None, _MS_BIND, None), "bind workdir")
    for point, opts in reversed(_mounts()):
        if point == workdir or "ro" in opts:
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        for name, bit in _KEEP_FLAGS.items():
            if name in opts:
                flags |= bit
        rc = libc.mount(None, point.encode(), None, flags, None)
        # /proc and /sys are not writable by nobody anyway; anything else must become read-only
        if rc != 0 and not point.startswith(("/proc", "/sys")):
            _check(rc, f"remount {point} read-only")
    os.chdir(workdir)  # the old cwd points below the bind mount, which is now read-only


def _set_limits(limits: dict) -> None:
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    except (ValueError, OSError):
        if sys.platform != "darwin":  # macOS may refuse an address-space limit; the profile still applies
            raise
    # soft limit sends SIGXCPU (reported as "timeout"); the hard limit a second later is SIGKILL
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"], limits["file_size_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["max_processes"], limits["max_processes"]))


def main(config: dict) -> None:
    if config["isolate"]:
        _isolate(config["workdir"], config["interpreter_dirs"])
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    _set_limits(config["limits"])
    os.execv(config["argv"][0], config["argv"])


if __name__ == "__main__":
    try:
        main(json.loads(sys.argv[1]))
    except Exception as exc:  # noqa: BLE001 - any failure here is a setup failure, reported in one line
        sys.stderr.write(f"{SETUP_FAILED_PREFIX}{exc}\n")
        sys.exit(SETUP_FAILED)
