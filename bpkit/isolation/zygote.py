"""Fast kernels for batch grading: fork them from a warm process.

Starting an IPython kernel and importing NumPy costs about 0.6 s of CPU per
notebook, most of grading time.  A *zygote* process imports ipykernel and
NumPy once; every kernel is then a fresh fork of it (a few ms), so
each notebook still runs in its own process that has never run anyone
else's code.  The zygote itself never runs notebook code.

jupyter_client starts kernels through a *provisioner*; ForkProvisioner asks
the zygote for a fork instead of starting a new Python.  It is used only in
bpkit's grading workers, through a kernelspec that names it (see
``bpkit.isolation.kernelspec.fork_kernelspec_dir``); plain nbgrader keeps starting kernels as usual.
"""
from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from jupyter_client.provisioning import LocalProvisioner

__all__ = ["ForkProvisioner", "serve"]

_KERNEL_ARGS_START = 3  # argv is [python, -m, ipykernel_launcher, -f, {connection_file}, ...]


# --------------------------------------------------------------- zygote ---

def serve(path: str) -> None:
    """Run the zygote: import once, then fork one kernel per request.

    Protocol (one JSON line each way per connection):
    {"argv": [...], "env": {...}, "cwd": "..."} -> {"pid": 1234}
    """
    # The expensive imports, done once.  Nothing of the course (the checks,
    # the reference) is imported here: a kernel starts with only these.
    from bpkit.isolation.nursery import import_kernel_runtime, reap

    import_kernel_runtime()

    parent = os.getppid()
    signal.signal(signal.SIGCHLD, reap)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    server.settimeout(1.0)
    while os.getppid() == parent:  # the worker that started us may end without notice
        try:
            conn, _ = server.accept()
        except (InterruptedError, TimeoutError, socket.timeout):
            continue
        conn.settimeout(None)
        with conn:
            request = json.loads(conn.makefile("r").readline())
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _become_kernel(request)
            conn.sendall((json.dumps({"pid": pid}) + "\n").encode())


def _become_kernel(request: dict) -> None:
    """In the forked child: a new process group, the requested environment
    and directory, then the ordinary ipykernel."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # the kernel's own start-up chatter; cell output goes over ZeroMQ
        os.dup2(devnull, fd)
    if os.environ.get("BPKIT_ZYGOTE_LOG"):
        log = os.open(os.environ["BPKIT_ZYGOTE_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(log, 2)
    else:
        os.dup2(devnull, 2)
    try:
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=request["argv"][_KERNEL_ARGS_START:])
    finally:
        os._exit(0)


# ----------------------------------------------------------- the client ---

class _Zygote:
    """The zygote process of this (worker) process, started on first use."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bpkit-zygote-")
        self.path = os.path.join(self.dir, "socket")
        self.process = subprocess.Popen([sys.executable, "-c", f"from bpkit.isolation.zygote import serve; serve({self.path!r})"])
        # at exit, also of a multiprocessing worker (which skips atexit but runs its finalizers)
        atexit.register(self.stop)
        multiprocessing.util.Finalize(self, self.stop, exitpriority=10)
        import time

        for _ in range(200):  # up to 20 s for the imports
            if os.path.exists(self.path):
                break
            time.sleep(0.1)

    def stop(self) -> None:
        """End the zygote and remove its directory (safe to call twice)."""
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def fork(self, argv: list[str], env: dict, cwd: str) -> int:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(self.path)
            client.sendall((json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n").encode())
            return json.loads(client.makefile("r").readline())["pid"]


_ZYGOTE: _Zygote | None = None


class _ForkedProcess:
    """The Popen-like handle jupyter_client expects, for a process that is
    the zygote's child rather than ours."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout=None):
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum):
        os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Like the local provisioner, but the kernel is forked by the zygote."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        global _ZYGOTE
        if _ZYGOTE is None:
            _ZYGOTE = _Zygote()
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        self.process = _ForkedProcess(_ZYGOTE.fork(cmd, env, cwd))
        self.pid = self.pgid = self.process.pid  # the child called setsid()
        self.cwd = cwd
        return self.connection_info
