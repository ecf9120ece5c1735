"""Run untrusted generated Python in a limited subprocess (the `code_exec` scorer's engine).

Owns `run_python(code, tests, limits) -> SandboxResult`. Key choices:

* Same interpreter, `-I -S` (no user site, no PYTHON* env, no site-packages), minimal environment
  (no inherited secrets), a fresh temporary working directory (HOME and TMPDIR point there),
  deleted afterwards.
* Its own session/process group; the whole group gets SIGKILL on timeout and again after the
  main process exits, so stragglers a forked child left behind die too. Output capped.
* rlimits in the child: address space, CPU seconds, file size, no core files, process count.
* Full isolation (Linux, running as root, namespaces allowed): the child enters new mount and
  network namespaces; the network namespace has only an unconfigured loopback, so nothing is
  reachable, not even 127.0.0.1. Every mount is remounted read-only except the working directory;
  directories the unprivileged user cannot traverse on the way to the interpreter (e.g. a 0700
  /root holding pyenv) are hidden under an empty read-only tmpfs with only the interpreter bound
  in. The child then drops to uid/gid 65534 (nobody), so RLIMIT_NPROC applies (Linux ignores it
  for root).
* macOS: the launcher runs under `sandbox-exec` with `macos_profile(workdir)`: no network, no
  writes outside the working directory (and /dev/null), plus the rlimits. Written from Apple's
  sandbox profile language and tested here as text only: it has not been run on a Mac.
* Fallback (not root, or namespaces refused): rlimits plus a bootstrap that replaces
  `socket.socket`/`socket.create_connection` with functions that raise. This is much weaker:
  code can undo the patch (e.g. via `_socket`), writes are limited only by the user's own
  permissions, and RLIMIT_NPROC counts all processes of the calling user.

Not guaranteed even with full isolation: a child that calls `setsid()` leaves the process group
and survives the group kill (it stays unprivileged, offline, read-only, CPU-limited); the process
cap is shared by all sandboxes running at once as uid 65534; reading world-readable files is
allowed; kernel exploits are out of scope. Do not run hostile code with this as the only barrier.
`isolation()` names what this host gives ("namespaces", "sandbox-exec" or "none"); tool execution
(inference/tools.py) refuses "none" unless the user allows it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from loco_mlx.evaluation.sandbox_launch import NOBODY, SETUP_FAILED, SETUP_FAILED_PREFIX

LAUNCHER = str(Path(__file__).with_name("sandbox_launch.py"))  # run by path: it needs no package on sys.path
SANDBOX_EXEC = "/usr/bin/sandbox-exec"  # macOS's seatbelt front end
ISOLATION_LEVELS = ("namespaces", "sandbox-exec", "none")

# Run by the child in place of the code; imports only the standard library.
_BOOTSTRAP = """\
import sys
if {block_sockets!r}:
    import socket
    def _no_network(*args, **kwargs):
        raise OSError("network access is disabled in the sandbox")
    socket.socket = _no_network
    socket.create_connection = _no_network
sys.argv = ["main.py"]
with open("main.py", encoding="utf-8") as _f:
    _src = _f.read()
del _f
exec(compile(_src, "main.py", "exec"), {{"__name__": "__main__"}})
"""


@dataclass
class SandboxLimits:
    wall_seconds: float = 5.0
    cpu_seconds: int = 5
    memory_bytes: int = 512 * 2**20
    max_processes: int = 32
    max_output_bytes: int = 64_000
    file_size_bytes: int = 1_000_000


@dataclass
class SandboxResult:
    passed: bool
    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    reason: str  # "ok" | "failed" | "timeout" | "memory" | "killed" | "error"
    elapsed: float = field(default=0.0, compare=False)


def _interpreter_dirs() -> list[str]:
    dirs = {os.path.dirname(os.path.realpath(sys.executable)), sys.base_prefix, sys.prefix}
    return sorted({os.path.realpath(d) for d in dirs})


def _launch(argv: list[str], limits: SandboxLimits, workdir: str, isolate: bool, seatbelt: bool = False) -> list[str]:
    """The command that runs `argv` after the launcher has isolated and limited itself."""
    config = {"workdir": workdir, "isolate": isolate, "interpreter_dirs": _interpreter_dirs(),
              "limits": asdict(limits), "argv": argv}  # fmt: skip
    command = [sys.executable, "-I", "-S", LAUNCHER, json.dumps(config)]
    return [SANDBOX_EXEC, "-p", macos_profile(workdir), *command] if seatbelt else command


def _sbpl_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def macos_profile(workdir: str) -> str:
    """The sandbox-exec profile (SBPL) for one run: everything the user may do, except any network
    and any file write outside `workdir` (resolved: /var is /private/var on macOS) and /dev/null."""
    real = os.path.realpath(workdir)
    return "\n".join([
        "(version 1)",
        "(allow default)",
        "(deny network*)",
        "(deny file-write*)",
        f"(allow file-write* (subpath {_sbpl_string(real)}) (literal \"/dev/null\"))",
    ]) + "\n"  # fmt: skip


def isolation() -> str:
    """The isolation this host gives sandboxed code: "namespaces" (Linux root), "sandbox-exec" (macOS),
    or "none" (rlimits and a socket patch only)."""
    if isolation_available():
        return "namespaces"
    if sys.platform == "darwin" and os.path.exists(SANDBOX_EXEC):
        return "sandbox-exec"
    return "none"


@functools.lru_cache(maxsize=1)
def isolation_available() -> bool:
    """Whether this host allows full isolation (Linux root with mount and network namespaces)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    workdir = tempfile.mkdtemp(prefix="loco_sandbox_probe_")
    try:
        os.chown(workdir, NOBODY, NOBODY)
        argv = [sys.executable, "-I", "-S", "-c", "pass"]
        proc = subprocess.run(
            _launch(argv, SandboxLimits(), workdir, True),
            cwd=workdir,
            env={"PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=30,
        )
        return proc.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _reader(stream, cap: int, sink: bytearray) -> None:
    # Keep the first `cap` bytes and drain the rest so the child never blocks on a full pipe.
    while chunk := stream.read(65536):
        if len(sink) < cap:
            sink.extend(chunk[: cap - len(sink)])


def _kill_group(pgid: int, grace: float = 3.0) -> None:
    """SIGKILL the group, then wait (bounded) until it is gone: dying processes still count against NPROC."""
    deadline = time.monotonic() + grace
    try:
        os.killpg(pgid, signal.SIGKILL)
        while time.monotonic() < deadline:
            time.sleep(0.01)
            os.killpg(pgid, signal.SIGKILL)  # also catches children forked while the first kill landed
    except (ProcessLookupError, PermissionError):
        pass


def _classify(returncode: int | None, timed_out: bool, stderr: str) -> str:
    if timed_out:
        return "timeout"
    if "MemoryError" in stderr:
        return "memory"
    if returncode == 0:
        return "ok"
    if returncode == -signal.SIGXCPU:
        return "timeout"
    if returncode is not None and returncode < 0:
        return "killed"
    return "failed"


def run_python(code: str, tests: str = "", limits: SandboxLimits | None = None) -> SandboxResult:
    """Run `code` followed by `tests` (asserts) in the sandbox; passed means exit status 0 in time."""
    limits = limits or SandboxLimits()
    isolate = isolation_available()
    seatbelt = not isolate and isolation() == "sandbox-exec"
    start = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="loco_sandbox_")
    try:
        with open(os.path.join(workdir, "main.py"), "w", encoding="utf-8") as f:
            f.write(code + "\n" + tests + "\n")
        with open(os.path.join(workdir, "bootstrap.py"), "w", encoding="utf-8") as f:
            f.write(_BOOTSTRAP.format(block_sockets=not isolate))
        if isolate:
            for name in (".", "main.py", "bootstrap.py"):
                os.chown(os.path.join(workdir, name), NOBODY, NOBODY)
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"}
        try:
            proc = subprocess.Popen(
                _launch([sys.executable, "-I", "-S", "bootstrap.py"], limits, workdir, isolate, seatbelt),
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return SandboxResult(False, None, False, "", f"sandbox setup failed: {exc}", "error")
        out, err = bytearray(), bytearray()
        readers = [
            threading.Thread(target=_reader, args=(proc.stdout, limits.max_output_bytes, out), daemon=True),
            threading.Thread(target=_reader, args=(proc.stderr, limits.max_output_bytes, err), daemon=True),
        ]
        for t in readers:
            t.start()
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        if proc.poll() is None:
            _kill_group(proc.pid, grace=0)
        proc.wait()  # reap the leader first, else the group never disappears
        _kill_group(proc.pid)  # on timeout, and after a normal exit for any stragglers
        for t in readers:
            t.join(timeout=1.0)
        stdout = out.decode("utf-8", errors="replace")
        stderr = err.decode("utf-8", errors="replace")
        if proc.returncode == SETUP_FAILED and stderr.startswith(SETUP_FAILED_PREFIX):
            return SandboxResult(False, None, False, "", stderr.strip(), "error", time.monotonic() - start)
        returncode = None if timed_out else proc.returncode
        reason = _classify(returncode, timed_out, stderr)
        return SandboxResult(reason == "ok", returncode, timed_out, stdout, stderr, reason, time.monotonic() - start)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
