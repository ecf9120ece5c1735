"""The sandbox holds: loops, fork bombs, writes outside, network and huge allocations all fail within limits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from loco_mlx.evaluation import sandbox
from loco_mlx.evaluation.sandbox import SandboxLimits, run_python

REPO = Path(__file__).resolve().parents[1]
FAST = SandboxLimits(wall_seconds=3.0, cpu_seconds=10)  # wall clock, not CPU, ends these


def _sandbox_processes() -> list[str]:
    """Command lines of live processes started by the sandbox (they run bootstrap.py in a loco_sandbox_ dir)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "bootstrap.py" in cmdline and "loco_sandbox" not in cmdline and int(pid) != os.getpid():
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                cwd = ""
            if "loco_sandbox_" in cwd:
                found.append(cmdline)
    return found


def test_correct_solution_passes():
    r = run_python("def add(a, b):\n    return a + b", "assert add(2, 3) == 5\nassert add(-1, 1) == 0")
    assert r.passed and r.reason == "ok" and r.returncode == 0


def test_wrong_solution_fails():
    r = run_python("def add(a, b):\n    return a - b", "assert add(2, 3) == 5")
    assert not r.passed and r.reason == "failed" and "AssertionError" in r.stderr


def test_standard_library_works():
    r = run_python("import json, re, collections, math, itertools\nprint(json.dumps({'a': math.comb(5, 2)}))")
    assert r.passed, r.stderr
    assert r.stdout.strip() == '{"a": 10}'


def test_infinite_loop_times_out_within_limit():
    r = run_python("while True:\n    pass", limits=FAST)
    assert not r.passed and r.reason == "timeout" and r.timed_out
    assert r.elapsed < FAST.wall_seconds + 2


def test_sleeping_loop_times_out():
    r = run_python("import time\nwhile True:\n    time.sleep(0.1)", limits=FAST)
    assert r.timed_out and r.elapsed < FAST.wall_seconds + 2


def test_fork_bomb_is_contained():
    start = time.monotonic()
    r = run_python("import os\nwhile True:\n    os.fork()", limits=FAST)
    assert not r.passed
    assert time.monotonic() - start < FAST.wall_seconds + 5
    time.sleep(0.2)
    assert _sandbox_processes() == []
    # the host still works
    assert subprocess.run([sys.executable, "-c", "print('alive')"], capture_output=True, text=True).stdout == "alive\n"


def test_forked_straggler_is_killed_after_exit():
    code = "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nprint('parent done')"
    r = run_python(code, limits=FAST)
    assert r.passed and r.elapsed < FAST.wall_seconds
    time.sleep(0.2)
    assert _sandbox_processes() == []


@pytest.mark.parametrize("target_dir", ["/tmp", str(REPO)])
def test_write_outside_workdir_fails(target_dir):
    target = Path(target_dir) / f"loco_sandbox_escape_{uuid.uuid4().hex}"
    r = run_python(f"with open({str(target)!r}, 'w') as f:\n    f.write('escaped')")
    assert not r.passed
    assert not target.exists()


def test_write_inside_workdir_works_and_is_removed():
    r = run_python("import os\nopen('scratch.txt', 'w').write('x')\nprint(os.getcwd())")
    assert r.passed, r.stderr
    assert not Path(r.stdout.strip()).exists()


def test_file_size_limit():
    r = run_python("open('big.bin', 'wb').write(b'x' * 5_000_000)", limits=SandboxLimits(file_size_bytes=100_000))
    assert not r.passed


def test_network_connection_fails_and_listener_sees_nothing():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted = []

    def accept() -> None:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        local = run_python(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)")
        public = run_python("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)")
    finally:
        thread.join()
        listener.close()
    assert not local.passed and not public.passed
    assert accepted == []


def test_huge_allocation_is_a_memory_failure():
    r = run_python("x = bytearray(10**10)")
    assert not r.passed and r.reason == "memory"


def test_output_is_capped():
    r = run_python("print('x' * 1_000_000)", limits=SandboxLimits(max_output_bytes=1000))
    assert r.passed and len(r.stdout) == 1000


def test_environment_is_minimal(monkeypatch):
    monkeypatch.setenv("LOCO_SECRET_TOKEN", "hunter2")
    r = run_python("import os\nprint(sorted(os.environ))")
    assert r.passed and "LOCO_SECRET_TOKEN" not in r.stdout


def test_fallback_blocks_sockets(monkeypatch):
    """Forces the weaker fallback (no namespaces): the bootstrap's socket patch must still refuse."""
    monkeypatch.setattr(sandbox, "isolation_available", lambda: False)
    r = run_python("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)")
    assert not r.passed and "network access is disabled" in r.stderr


def test_isolated_child_runs_as_nobody():
    if not sandbox.isolation_available():
        pytest.skip("full isolation needs Linux, root and namespaces")
    r = run_python("import os\nprint(os.getuid())")
    assert r.stdout.strip() == str(sandbox.NOBODY)


def test_a_launcher_setup_failure_is_one_line_and_exit_126():
    import subprocess
    import sys

    from loco_mlx.evaluation.sandbox import LAUNCHER

    proc = subprocess.run([sys.executable, "-I", "-S", LAUNCHER, '{"isolate": false, "limits": {}}'],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert proc.returncode == 126 and proc.stderr.startswith("sandbox setup failed: ")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_runs_from_a_caller_with_busy_threads():
    """The isolation runs in a fresh launcher process, not between fork and exec of a threaded caller
    (loco demo once hung there with MLX and OpenBLAS threads running)."""
    import threading

    stop = threading.Event()

    def churn():
        while not stop.is_set():
            [str(i) * 10 for i in range(2000)]  # allocator and GIL traffic at every fork

    threads = [threading.Thread(target=churn, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        results = [run_python(f"print({i})") for i in range(5)]
    finally:
        stop.set()
    assert [r.stdout.strip() for r in results] == [str(i) for i in range(5)] and all(r.passed for r in results)
