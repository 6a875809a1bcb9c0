"""Run a student's notebook kernel inside a bubblewrap sandbox.

Each kernel gets a fresh sandbox (Debian's ``bwrap``) that sees only:

- the system's /usr and the Python installation (read-only, its own
  site-packages hidden), and from the course's virtualenv only the packages a
  kernel needs: ipykernel, NumPy and matplotlib with their declared
  dependencies (read-only; not nbgrader, not the gradebook's database
  drivers, not bpkit's checks);
- ``bpkit/probe.py``, the one module a hidden cell imports (no checks, no
  reference);
- a copy of its own submission folder, in a private tmpfs home that
  disappears with the kernel; a private tmpfs /tmp;
- its connection file (read-only) and the judge's socket.

Nothing of the host is writable from inside, and nothing writable inside is
outside a cap: /tmp and the home are size-capped tmpfs mounts, /dev is a
read-only directory of five device nodes (no /dev/shm), and the seccomp
filter refuses memfd, System V shared memory and message queues and new
namespaces.  The kernel's ZeroMQ sockets (``ipc://``, Unix sockets) are
created in the sandbox's own /tmp.  The grading side never follows a path
the sandbox can change: it opens each socket once, component by component
from ``/proc/<sandbox pid>/root`` without following symlinks
(``open_sandbox_socket``; bwrap reports the pid on ``--info-fd``), keeps
the O_PATH descriptor for the kernel's lifetime and connects through
``/proc/self/fd/<fd>``, so a socket the student replaces by a symlink (to a
host socket, say) still leads only to the socket the kernel made.

It runs with new user, PID, network, IPC and UTS namespaces (no network at
all, not even loopback to the outside), no capabilities, a new session, dies
with its parent, under rlimits on address space, CPU time, file size and
open files, and under a seccomp filter that lets it start threads but no
other process (bpkit.seccomp), so those caps cannot be multiplied.  The
course directory, the reference package, the gradebook and other
submissions are simply not in its filesystem.

jupyter_client starts kernels through a *provisioner*; SandboxProvisioner
wraps the usual ``python -m ipykernel_launcher`` command in bwrap.  Grading
workers use it through a kernelspec named python3 on their JUPYTER_PATH
(``sandbox_kernelspec_dir``); they tell it which (host) directory holds the
current submission's connection file and judge socket with ``use_kernel_dir``.
"""
from __future__ import annotations

import asyncio
import errno
import functools
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from bpkit.probe import ENV as JUDGE_ENV, SOCKET_NAME

__all__ = ["Limits", "SandboxUnavailable", "SandboxProvisioner", "bwrap_argv", "run_sandboxed", "start_sandboxed",
           "check_sandbox", "open_sandbox_socket", "sandbox_kernelspec_dir", "use_kernel_dir", "HOME", "LIMITS"]

HOME = "/home/student"
PROBE_DIR = "/opt/bpkit"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces here."""


@dataclass(frozen=True)
class Limits:
    """Per-kernel resource caps (rlimits; tmpfs sizes)."""

    memory_bytes: int = 3 << 30  # address space: a memory bomb gets MemoryError
    cpu_seconds: int = 600  # CPU time of the whole notebook run
    file_bytes: int = 64 << 20  # largest file the kernel may write
    open_files: int = 256
    home_bytes: int = 128 << 20  # tmpfs holding the submission copy
    tmp_bytes: int = 64 << 20  # tmpfs /tmp

    def apply(self) -> None:
        """Set the rlimits in the current process (a preexec_fn)."""
        for limit, value in ((resource.RLIMIT_AS, self.memory_bytes), (resource.RLIMIT_CPU, self.cpu_seconds),
                             (resource.RLIMIT_FSIZE, self.file_bytes), (resource.RLIMIT_NOFILE, self.open_files),
                             (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(limit, (value, value))


LIMITS = Limits()


def _bwrap() -> str:
    path = shutil.which("bwrap")
    if not path:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; `bash setup.sh` installs Debian's "
                                 "bubblewrap package")
    return path


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives"):
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


#: What a student's kernel may import beyond the standard library (with
#: everything these declare as dependencies).
RUNTIME = ("ipykernel", "numpy", "matplotlib")
SITE = "/opt/site"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=1)
def runtime_entries() -> tuple[Path, list[str]]:
    """(site-packages, its top-level entries belonging to RUNTIME and the
    distributions it depends on), from the installed packages' metadata."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    seen, todo, entries, site = set(), list(RUNTIME), set(), None
    while todo:
        name = todo.pop()
        if _canonical(name) in seen:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        seen.add(_canonical(name))
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
        site = site or Path(dist.locate_file("")).resolve()
        for file in dist.files or []:
            if file.parts[0] == "__pycache__":  # single-file modules' bytecode, file by file
                entries.add(str(Path(*file.parts[:2])))
            elif file.parts[0] != ".." and not file.parts[0].endswith(".pth"):
                entries.add(file.parts[0])
    return site, sorted(e for e in entries if (site / e).exists())


#: The device nodes a kernel uses (Python, NumPy and matplotlib read random
#: bytes; /dev/null and friends are what any program may open).  No /dev/shm,
#: /dev/pts or /dev/mqueue: nothing in the kernel's runtime needs them.
DEVICES = ("null", "zero", "full", "random", "urandom")


def _dev_mounts() -> list[str]:
    """/dev as a directory of the sandbox's read-only root holding only
    DEVICES (bound from the host) and the /dev/fd links; unlike bwrap's
    ``--dev``, no writable tmpfs, which no rlimit would cap."""
    args = ["--dir", "/dev"]
    for name in DEVICES:
        args += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        args += ["--symlink", target, f"/dev/{name}"]
    return args


def _python_mounts() -> list[str]:
    """The interpreter's installation (its own site-packages hidden), the
    runtime's packages at SITE, and the probe at PROBE_DIR."""
    base = Path(sys.base_prefix).resolve()
    args = ["--ro-bind", str(base), str(base)]
    for path in base.glob("lib/python3*/site-packages"):
        args += ["--tmpfs", str(path), "--remount-ro", str(path)]
    site, entries = runtime_entries()
    for entry in entries:
        args += ["--ro-bind", str(site / entry), f"{SITE}/{entry}"]
    probe = Path(__file__).resolve().parent
    args += ["--ro-bind", str(probe / "__init__.py"), f"{PROBE_DIR}/bpkit/__init__.py",
             "--ro-bind", str(probe / "probe.py"), f"{PROBE_DIR}/bpkit/probe.py"]
    return args


def _python() -> str:
    """The real interpreter binary (the virtualenv's python is a link to it)."""
    return str(Path(sys.executable).resolve())


_COPY_THEN_EXEC = ("import os, shutil, sys; shutil.copytree('/run/submission', '.', dirs_exist_ok=True); "
                   "os.execv(sys.argv[1], sys.argv[1:])")


def bwrap_argv(command: list[str], submission: str | None = None, workdir: str = "work",
               env: dict[str, str] | None = None, limits: Limits = LIMITS, seccomp_fd: int | None = None,
               files: tuple[tuple[str, str], ...] = (), info_fd: int | None = None) -> list[str]:
    """The bwrap command line running `command` (a Python command line) in a
    fresh sandbox.

    - submission: a folder copied into the sandbox's home at HOME/workdir,
      which is the command's working directory (None: an empty one).
    - seccomp_fd: a file descriptor holding the seccomp filter (see
      bpkit.seccomp.filter_fd); it must be passed on to bwrap (pass_fds).
    - files: (host path, sandbox path) of single files to show inside:
      read-only, except sockets, which can be connected to.
    - info_fd: bwrap writes the sandbox's pid there (JSON, "child-pid").
    """
    cwd = f"{HOME}/{workdir}"
    variables = {"HOME": HOME, "PATH": "/usr/bin:/bin", "PYTHONPATH": f"{PROBE_DIR}:{SITE}", "TMPDIR": "/tmp",
                 "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
                 "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                 "MKL_NUM_THREADS": "1", **(env or {})}
    args = [_bwrap(), "--unshare-all", "--unshare-user", "--disable-userns", "--uid", "1000", "--gid", "1000", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--hostname", "sandbox", "--clearenv"]
    for key, value in variables.items():
        args += ["--setenv", key, value]
    args += _system_mounts() + _python_mounts()
    args += ["--proc", "/proc", *_dev_mounts(),
             "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
             "--size", str(limits.home_bytes), "--tmpfs", HOME,
             "--dir", cwd]
    for host, inside in files:
        args += ["--bind" if stat.S_ISSOCK(os.stat(host).st_mode) else "--ro-bind", host, inside]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    if submission:
        args += ["--ro-bind", submission, "/run/submission"]
        # copy the student's own files in (the copy is theirs to change), then become `command`
        command = [command[0], "-c", _COPY_THEN_EXEC, *command]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args + ["--remount-ro", "/", "--chdir", cwd, "--", *command]


def run_sandboxed(command: list[str], submission: str | None = None, **kwargs):
    """subprocess.run `command` in a fresh sandbox with the seccomp filter
    (kwargs go to bwrap_argv and subprocess.run)."""
    from bpkit.seccomp import filter_fd

    argv_keys = {"workdir", "env", "limits", "files"}
    fd = filter_fd()
    try:
        argv = bwrap_argv(command, submission, seccomp_fd=fd,
                          **{k: v for k, v in kwargs.items() if k in argv_keys})
        return subprocess.run(argv, pass_fds=(fd,), preexec_fn=LIMITS.apply,
                              **{k: v for k, v in kwargs.items() if k not in argv_keys})
    finally:
        os.close(fd)


def check_sandbox() -> None:
    """Start a throwaway sandbox and check what it can see; raise
    SandboxUnavailable with the reason if it cannot start."""
    course_marker = str(Path(__file__).resolve().parent.parent)
    probe = ("import os, numpy, ipykernel, bpkit.probe\n"
             "try:\n    import reference\nexcept ImportError:\n    pass\n"
             "else:\n    raise SystemExit('the reference package is importable')\n"
             f"assert not os.path.exists({course_marker!r} + '/bpkit/checks'), 'the course is visible'\n"
             "try:\n    os.fork()\nexcept OSError:\n    pass\n"
             "else:\n    raise SystemExit('the seccomp filter does not stop fork')\n")
    try:
        done = run_sandboxed([_python(), "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bwrap could not run: {exc}") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise SandboxUnavailable(f"the sandbox did not start: {lines[-1] if lines else done.returncode}")
    _check_sockets_reachable()


def start_sandboxed(command: list[str], submission: str | None = None, **options):
    """Start `command` in a fresh sandbox with the seccomp filter, in a new
    session (options go to bwrap_argv); returns (the bwrap process, the
    sandbox's pid as bwrap reports it, or None if it did not start)."""
    from bpkit.seccomp import filter_fd

    seccomp, (info_read, info_write) = filter_fd(), os.pipe()
    try:
        process = subprocess.Popen(bwrap_argv(command, submission, seccomp_fd=seccomp, info_fd=info_write, **options),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=LIMITS.apply, pass_fds=(seccomp, info_write))
    finally:
        os.close(seccomp)
        os.close(info_write)
    with os.fdopen(info_read, "rb") as info:
        started = info.read(4096)
    return process, (json.loads(started)["child-pid"] if started else None)


def open_sandbox_socket(pid: int, path: str) -> int:
    """An O_PATH descriptor of the Unix socket at `path` (absolute, inside
    the sandbox whose pid is `pid`), for connecting to as
    ``/proc/self/fd/<descriptor>``.

    The sandbox owns its /tmp: student code runs with the uid that made the
    kernel's sockets, so it can replace one by a symlink, and through
    ``/proc/<pid>/root`` an absolute symlink is followed from the *host's*
    root.  So the path is looked up one component at a time from the
    sandbox's root with O_NOFOLLOW, and refused (OSError) unless every
    component is a real directory and the last a socket made inside the
    sandbox: ELOOP for a symlink, ENOTSOCK for anything but a socket, EXDEV
    for a socket bound in from elsewhere (not on its directory's file
    system), EPERM for another owner, EINVAL for "." or ".." (FileNotFoundError
    if it is not there yet).  The descriptor names that socket's inode for
    as long as it is open: a later unlink or replacement inside the sandbox
    does not change what connecting to it reaches.
    """
    parts = path.strip("/").split("/")
    if not path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise OSError(errno.EINVAL, f"{path!r} is not a plain absolute path")
    flags = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            parent, fd = fd, -1
            try:
                fd = os.open(part, flags, dir_fd=parent)
                info, last = os.fstat(fd), index == len(parts) - 1
                if stat.S_ISLNK(info.st_mode):
                    raise OSError(errno.ELOOP, f"{path}: {part} is a symlink")
                if not last and not stat.S_ISDIR(info.st_mode):
                    raise OSError(errno.ENOTDIR, f"{path}: {part} is not a directory")
                if last and not stat.S_ISSOCK(info.st_mode):
                    raise OSError(errno.ENOTSOCK, f"{path} is not a socket")
                if last and info.st_dev != os.fstat(parent).st_dev:
                    raise OSError(errno.EXDEV, f"{path} is not a socket made in its directory")
                if last and info.st_uid != os.getuid():  # bwrap maps the sandbox's uid to ours
                    raise OSError(errno.EPERM, f"{path} belongs to uid {info.st_uid}")
            finally:
                os.close(parent)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise
    return fd


def _check_sockets_reachable() -> None:
    """A Unix socket made inside a sandbox must be reachable from here the
    way kernels are talked to: opened with open_sandbox_socket and connected
    to through /proc/self/fd."""
    import socket
    import time

    server = ("import socket; s = socket.socket(socket.AF_UNIX); s.bind('/tmp/check'); s.listen(1); "
              "c, _ = s.accept(); c.sendall(b'ok')")
    process, pid = start_sandboxed([_python(), "-c", server])
    try:
        deadline, reply = time.monotonic() + 20, b""
        while pid and not reply and time.monotonic() < deadline:
            try:
                fd = open_sandbox_socket(pid, "/tmp/check")
            except FileNotFoundError:
                time.sleep(0.02)
                continue
            except OSError as exc:
                raise SandboxUnavailable(f"a socket made inside the sandbox was refused: {exc}") from None
            try:
                with socket.socket(socket.AF_UNIX) as client:
                    client.settimeout(10)
                    client.connect(f"/proc/self/fd/{fd}")
                    reply = client.recv(2)
            except OSError:
                time.sleep(0.02)
            finally:
                os.close(fd)
        if reply != b"ok":
            raise SandboxUnavailable("a socket inside the sandbox cannot be reached through /proc/self/fd")
    finally:
        process.kill()
        process.wait()


# ------------------------------------------------------------ kernels ---

_KERNEL_DIR: str | None = None
_WALL_SECONDS = 300.0
#: Where a kernel's ZeroMQ sockets live, inside its sandbox (its private /tmp).
IPC_INSIDE = "/tmp/kernel-zmq"
#: Seconds a starting kernel has to make its sockets.
_SOCKET_WAIT = 60.0


def use_kernel_dir(path: str | os.PathLike | None, wall_seconds: float = 300.0) -> None:
    """The (host) directory holding the next sandboxed kernel's connection
    file and, if a judge serves it, the judge's socket ``judge.sock``; and
    after how many seconds the kernel is killed whatever it is doing.  Set
    by the grading worker before each submission."""
    global _KERNEL_DIR, _WALL_SECONDS
    _KERNEL_DIR = str(path) if path else None
    _WALL_SECONDS = float(wall_seconds)


class SandboxProvisioner(LocalProvisioner):
    """Like the local provisioner, but the kernel runs in bwrap and talks
    ZeroMQ over Unix sockets inside its sandbox."""

    async def pre_launch(self, **kwargs):
        km = self.parent
        self._own_dir = _KERNEL_DIR is None  # made here, so removed at cleanup
        kdir = _KERNEL_DIR or tempfile.mkdtemp(prefix="bpkit-kernel-")
        km.transport = "ipc"
        km.cache_ports = False
        km.ip = IPC_INSIDE  # what the kernel binds; the grading side connects through links to O_PATH fds
        km.connection_file = os.path.join(kdir, "kernel.json")
        self._kernel_dir = kdir
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs):
        cwd = str(kwargs.get("cwd") or os.getcwd())
        # the kernel reads a copy of the connection file as it is now (the
        # manager rewrites its own with the outside paths below)
        inside = os.path.join(self._kernel_dir, "kernel-inside.json")
        shutil.copy(self.parent.connection_file, inside)
        files, env = [(inside, "/run/kernel.json")], {}
        judge = os.path.join(self._kernel_dir, SOCKET_NAME)
        if os.path.exists(judge):
            files.append((judge, f"/run/{SOCKET_NAME}"))
            env[JUDGE_ENV] = f"/run/{SOCKET_NAME}"
        argv = [_python(), *("/run/kernel.json" if a == self.parent.connection_file else a for a in cmd[1:])]
        self.process, sandbox_pid = start_sandboxed(argv, cwd, workdir=Path(cwd).name or "work", env=env,
                                                    files=tuple(files))
        if sandbox_pid is None:
            raise RuntimeError(f"the sandbox did not start (bwrap exit code {self.process.wait()})")
        self.pid = self.pgid = self.process.pid
        self.cwd = cwd
        # A kernel that ignores interrupts (or loops in C) would cost a cell
        # timeout per remaining cell: past the wall limit the sandbox is killed.
        self._watchdog = threading.Timer(_WALL_SECONDS, self._kill_sandbox)
        self._watchdog.daemon = True
        self._watchdog.start()
        self.connection_info = {**self.connection_info, "ip": await self._socket_links(sandbox_pid)}
        return self.connection_info

    async def _socket_links(self, sandbox_pid: int) -> str:
        """Wait for the kernel's five sockets, open each with
        open_sandbox_socket (kept open for the kernel's lifetime), and make
        a private host directory of links ``k-<port>`` -> ``/proc/self/fd/<fd>``;
        returns the "ip" the grading side connects to (``<dir>/k``), a path
        the sandbox cannot change."""
        ports = [self.connection_info[f"{channel}_port"] for channel in ("shell", "iopub", "stdin", "control", "hb")]
        self._sockets: dict[int, int] = {}
        self._links = tempfile.mkdtemp(prefix="bpkit-zmq-")  # short: ZeroMQ's ipc paths are at most 107 bytes
        deadline = asyncio.get_running_loop().time() + _SOCKET_WAIT
        try:
            while len(self._sockets) < len(ports):
                for port in ports:
                    if port not in self._sockets:
                        try:
                            self._sockets[port] = open_sandbox_socket(sandbox_pid, f"{IPC_INSIDE}-{port}")
                        except FileNotFoundError:
                            pass
                if len(self._sockets) == len(ports):
                    break
                if self.process.poll() is not None or asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"the sandboxed kernel made {len(self._sockets)} of its {len(ports)} "
                                       f"sockets (bwrap exit code {self.process.poll()})")
                await asyncio.sleep(0.02)
            for port, fd in self._sockets.items():
                os.symlink(f"/proc/self/fd/{fd}", os.path.join(self._links, f"k-{port}"))
        except BaseException:
            self._kill_sandbox()
            _release_sockets(self._links, list(self._sockets.values()))
            raise
        # released by cleanup(), or at the latest when this provisioner is collected or the worker exits
        self._release = weakref.finalize(self, _release_sockets, self._links, list(self._sockets.values()))
        return os.path.join(self._links, "k")

    def _close_sockets(self) -> None:
        release = getattr(self, "_release", None)
        if release is not None:
            release()  # once only

    def _kill_sandbox(self) -> None:
        try:
            os.killpg(self.pgid, signal.SIGKILL)  # bwrap, and with it everything inside
        except OSError:
            pass

    async def cleanup(self, restart: bool = False) -> None:
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        self._close_sockets()
        await super().cleanup(restart=restart)
        if getattr(self, "_own_dir", False) and not restart:
            shutil.rmtree(self._kernel_dir, ignore_errors=True)


def _release_sockets(links: str, fds: list[int]) -> None:
    """Remove the links first (a ZeroMQ socket still reconnecting then finds
    no path), then close the descriptors."""
    shutil.rmtree(links, ignore_errors=True)
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def sandbox_kernelspec_dir(parent: str | os.PathLike | None = None) -> Path:
    """The kernelspec directory of SandboxProvisioner, in `parent` (see
    bpkit.zygote.kernelspec_dir)."""
    from bpkit.zygote import kernelspec_dir

    # interrupts as messages: a signal to bwrap would not reach the kernel
    return kernelspec_dir("bpkit-sandbox", "Python 3 (ipykernel, sandboxed)", parent, interrupt_mode="message")
