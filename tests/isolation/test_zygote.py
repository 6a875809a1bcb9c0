"""bpkit.isolation.zygote: the warm process that forks unsandboxed kernels (used by
--no-sandbox grading), its Popen-like handle, and its clean-up."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bpkit.isolation.zygote import _ForkedProcess, _Zygote


def test_waiting_for_a_forked_kernel_honours_the_timeout():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        handle = _ForkedProcess(child.pid)
        start = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            handle.wait(timeout=0.3)
        assert time.monotonic() - start >= 0.25 and handle.poll() is None  # it waited, and the child lives
        handle.kill()
        child.wait()  # reaped by its real parent; the handle then sees it gone
        assert handle.wait(timeout=5) == 0
    finally:
        child.kill()


def test_a_zygote_leaves_nothing_behind_when_stopped():
    zygote = _Zygote()
    assert os.path.exists(zygote.path)  # serving: its socket is there
    zygote.stop()
    zygote.stop()  # twice is harmless (atexit and the worker's finalizer may both run)
    assert not os.path.exists(zygote.dir) and zygote.process.poll() is not None


def test_the_seccomp_filter_refuses_clearly_on_an_unknown_cpu():
    from bpkit.isolation.seccomp import no_processes_filter

    with pytest.raises(OSError, match="knows aarch64 and x86_64, not riscv64"):
        no_processes_filter("riscv64")
