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
other process (bpkit.isolation.seccomp), so those caps cannot be multiplied.  The
course directory, the reference package, the gradebook and other
submissions are simply not in its filesystem.

Warm sandboxes (the default where they work): starting Python, ipykernel
and NumPy cold in a fresh bwrap for every notebook costs more than running
it, so each grading worker keeps one sandbox (WarmSandbox) whose *nursery*
(bpkit/isolation/nursery.py, shown in it next to the probe) has imported them once and
forks each kernel into new user, mount, PID, network, IPC and UTS
namespaces of its own, with private tmpfs home and /tmp, only its own
kernel directory, no /proc, the same rlimits, no capabilities and the same
seccomp filter, before any of its code runs (see that module).  The nursery
never runs notebook code and no kernel can name, signal, trace or write
anything another kernel or the nursery uses.  Where nested user namespaces
are refused, kernels start cold, each in its own bwrap, as before.

jupyter_client starts kernels through a *provisioner*; SandboxProvisioner
asks the worker's warm sandbox for a kernel, or wraps the usual
``python -m ipykernel_launcher`` command in bwrap.  Grading
workers use it through a kernelspec named python3 on their JUPYTER_PATH
(``bpkit.isolation.kernelspec.sandbox_kernelspec_dir``); they tell it which (host) directory holds the
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
import struct
import subprocess
import sys
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from bpkit.judging.wire import ENV as JUDGE_ENV, SOCKET_NAME

__all__ = ["Limits", "SandboxUnavailable", "SandboxProvisioner", "bwrap_argv", "run_sandboxed", "start_sandboxed",
           "check_sandbox", "open_sandbox_socket", "use_kernel_dir", "new_kernel_dir",
           "disable_warm", "warm_sandbox", "WarmSandbox", "WarmUnavailable", "HOME", "LIMITS"]

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
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")  # bpkit.cli says how to get it
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


#: bpkit's files a kernel's sandbox shows at PROBE_DIR: the probe (the one
#: module a hidden cell imports) and the wire protocol it speaks, nothing else
#: (no checks, no reference); a warm sandbox also shows the nursery.
KERNEL_FILES = ("__init__.py", "probe.py", "judging/__init__.py", "judging/wire.py")
NURSERY_FILES = ("isolation/__init__.py", "isolation/nursery.py")
_BPKIT = Path(__file__).resolve().parent.parent


def _python_mounts(files: tuple[str, ...] = KERNEL_FILES) -> list[str]:
    """The interpreter's installation (its own site-packages hidden), the
    runtime's packages at SITE, and bpkit's `files` at PROBE_DIR."""
    base = Path(sys.base_prefix).resolve()
    args = ["--ro-bind", str(base), str(base)]
    for path in base.glob("lib/python3*/site-packages"):
        args += ["--tmpfs", str(path), "--remount-ro", str(path)]
    site, entries = runtime_entries()
    for entry in entries:
        args += ["--ro-bind", str(site / entry), f"{SITE}/{entry}"]
    for name in files:
        args += ["--ro-bind", str(_BPKIT / name), f"{PROBE_DIR}/bpkit/{name}"]
    return args


def _python() -> str:
    """The real interpreter binary (the virtualenv's python is a link to it)."""
    return str(Path(sys.executable).resolve())


_COPY_THEN_EXEC = ("import os, shutil, sys; shutil.copytree('/run/submission', '.', dirs_exist_ok=True); "
                   "os.execv(sys.argv[1], sys.argv[1:])")


def bwrap_argv(command: list[str], submission: str | None = None, workdir: str = "work",
               env: dict[str, str] | None = None, limits: Limits = LIMITS, seccomp_fd: int | None = None,
               files: tuple[tuple[str, str], ...] = (), info_fd: int | None = None,
               nursery: bool = False) -> list[str]:
    """The bwrap command line running `command` (a Python command line) in a
    fresh sandbox.

    - submission: a folder copied into the sandbox's home at HOME/workdir,
      which is the command's working directory (None: an empty one).
    - seccomp_fd: a file descriptor holding the seccomp filter (see
      bpkit.isolation.seccomp.filter_fd); it must be passed on to bwrap (pass_fds).
    - files: (host path, sandbox path) of single files to show inside:
      read-only, except sockets, which can be connected to.
    - info_fd: bwrap writes the sandbox's pid there (JSON, "child-pid").
    - nursery: the sandbox of a WarmSandbox: bpkit/isolation/nursery.py is shown too,
      and nested user namespaces stay possible (the nursery makes one per
      kernel; each kernel's seccomp filter then refuses any more).
    """
    cwd = f"{HOME}/{workdir}"
    variables = {**_kernel_environment(), **(env or {})}
    args = [_bwrap(), "--unshare-all", "--unshare-user", *([] if nursery else ["--disable-userns"]),
            "--uid", "1000", "--gid", "1000", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--hostname", "sandbox", "--clearenv"]
    for key, value in variables.items():
        args += ["--setenv", key, value]
    args += _system_mounts() + _python_mounts(KERNEL_FILES + NURSERY_FILES if nursery else KERNEL_FILES)
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
    from bpkit.isolation.seccomp import filter_fd

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
    """Start a throwaway sandbox and check what it can see and that a Unix
    socket made inside it is reachable from here the way kernels are talked
    to (open_sandbox_socket, then /proc/self/fd); raise SandboxUnavailable
    with the reason if not.  One sandbox for all of it."""
    course_marker = str(_BPKIT.parent)
    probe = ("import os, socket, numpy, ipykernel, bpkit.probe\n"
             "try:\n    import reference\nexcept ImportError:\n    pass\n"
             "else:\n    raise SystemExit('the reference package is importable')\n"
             f"assert not os.path.exists({course_marker!r} + '/bpkit/checks'), 'the course is visible'\n"
             "try:\n    os.fork()\nexcept OSError:\n    pass\n"
             "else:\n    raise SystemExit('the seccomp filter does not stop fork')\n"
             "s = socket.socket(socket.AF_UNIX); s.bind('/tmp/check'); s.listen(1); s.settimeout(30)\n"
             "c, _ = s.accept(); c.sendall(b'ok')\n")
    try:
        process, pid = start_sandboxed([_python(), "-c", probe], stderr=subprocess.PIPE)
    except OSError as exc:
        raise SandboxUnavailable(f"bwrap could not run: {exc}") from None
    try:
        reply = _socket_reply(process, pid)
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        raise SandboxUnavailable("the sandbox did not answer within 60 s") from None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        lines = (stderr or b"").decode(errors="replace").strip().splitlines()
        raise SandboxUnavailable(f"the sandbox did not start: {lines[-1] if lines else process.returncode}")
    if reply != b"ok":
        raise SandboxUnavailable("a socket inside the sandbox cannot be reached through /proc/self/fd")


def start_sandboxed(command: list[str], submission: str | None = None, pass_fds: tuple[int, ...] = (),
                    stderr=subprocess.DEVNULL, **options):
    """Start `command` in a fresh sandbox with the seccomp filter (except for
    a nursery, which installs it in each kernel itself), in a new session
    (options go to bwrap_argv); returns (the bwrap process, the sandbox's
    pid as bwrap reports it, or None if it did not start)."""
    from bpkit.isolation.seccomp import filter_fd

    seccomp = None if options.get("nursery") else filter_fd()
    info_read, info_write = os.pipe()
    fds = (info_write, *pass_fds) + (() if seccomp is None else (seccomp,))
    try:
        process = subprocess.Popen(bwrap_argv(command, submission, seccomp_fd=seccomp, info_fd=info_write, **options),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True, preexec_fn=LIMITS.apply, pass_fds=fds)
    finally:
        if seccomp is not None:
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


def _socket_reply(process, pid: int | None) -> bytes:
    """What the sandboxed `process` sends on its socket /tmp/check (b"" if
    it ends or 30 s pass first)."""
    import socket
    import time

    deadline = time.monotonic() + 30
    while pid and process.poll() is None and time.monotonic() < deadline:
        try:
            fd = open_sandbox_socket(pid, "/tmp/check")
        except FileNotFoundError:
            time.sleep(0.01)
            continue
        except OSError as exc:
            raise SandboxUnavailable(f"a socket made inside the sandbox was refused: {exc}") from None
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.settimeout(10)
                client.connect(f"/proc/self/fd/{fd}")
                return client.recv(2)
        except OSError:
            time.sleep(0.01)
        finally:
            os.close(fd)
    return b""


# -------------------------------------------------------- warm sandbox ---

class WarmUnavailable(RuntimeError):
    """A warm sandbox cannot make kernels here (e.g. nested user namespaces
    are not allowed); kernels then get a fresh bwrap sandbox each."""


class WarmSandbox:
    """One sandbox per grading worker whose nursery (bpkit.isolation.nursery) has
    imported ipykernel and NumPy once and forks every kernel into fresh
    namespaces of its own (see that module for what each kernel gets).

    Kernel directories (``k-*``: connection file, judge socket, a copy of the
    submission) are made in ``root``, which the sandbox sees read-only at
    /run/kernels; each kernel sees only its own.  The kernel reports its pid
    itself: the control socket carries SCM_CREDENTIALS, which Linux
    translates into this process's PID namespace, and the pid is then held
    as a pidfd, so signals never reach a process that reused the number.
    """

    def __init__(self, root: Path, limits: Limits = LIMITS):
        import multiprocessing.util
        import socket

        from bpkit.isolation.seccomp import no_processes_filter

        self.root = root
        self._lock = threading.Lock()
        self.control, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        config = {"home": HOME, "tmp_bytes": limits.tmp_bytes, "home_bytes": limits.home_bytes,
                  "memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds,
                  "file_bytes": limits.file_bytes, "open_files": limits.open_files,
                  "seccomp": no_processes_filter().hex(), "env": _kernel_environment()}
        code = f"from bpkit.isolation.nursery import serve; serve({inside.fileno()}, {json.dumps(config)!r})"
        try:
            # root in the command line too: bpkit.grading.batch finds a dead worker's leftovers by it
            self.process, pid = start_sandboxed(
                [_python(), "-c", code, str(root)], files=((str(root), "/run/kernels"),), nursery=True,
                pass_fds=(inside.fileno(),), limits=limits)
        finally:
            inside.close()
        self.stop = weakref.finalize(self, _stop_warm, self.process, self.control)
        multiprocessing.util.Finalize(self, self.stop, exitpriority=10)  # a pool worker skips atexit
        self._ready = False  # until the nursery says it is (it is importing)
        if pid is None:
            self.stop()
            raise WarmUnavailable(f"the nursery's sandbox did not start (bwrap exit code {self.process.poll()})")

    def _wait_ready(self) -> None:
        """Wait for the nursery's first message (it starts importing at once,
        so the worker does its own work meanwhile); WarmUnavailable, and no
        warm sandbox for this process again, if it cannot make kernels here."""
        if self._ready:
            return
        try:
            ready = self._receive(60.0)[0]
        except (OSError, WarmUnavailable) as exc:
            ready = {"error": str(exc)}
        self._ready = bool(ready.get("ready"))
        if not self._ready:
            disable_warm(f"the nursery cannot make kernels here: {ready.get('error', ready)}")
            raise WarmUnavailable(_WARM_FAILED)

    def alive(self) -> bool:
        return self.stop.alive and self.process.poll() is None

    def _receive(self, timeout: float) -> tuple[dict, int | None]:
        """One message and the pid of the process that sent it (as seen here)."""
        import socket

        self.control.settimeout(timeout)
        data, ancillary, _, _ = self.control.recvmsg(1 << 16, socket.CMSG_SPACE(12))
        if not data:
            raise WarmUnavailable("the nursery ended")
        pid = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= 12:
                pid = struct.unpack("iII", payload[:12])[0]
        try:
            return json.loads(data), pid
        except ValueError:
            return {}, pid

    def kernel(self, kernel_dir: str, workdir: str, argv: list[str], env: dict[str, str],
               timeout: float = 60.0) -> tuple[int, int]:
        """Fork a kernel for kernel_dir (a directory in root holding its
        connection file, judge socket and ``submission/``); returns the
        kernel's pid here and a pidfd of it.  WarmUnavailable if the nursery
        is gone or could not make the kernel's namespaces."""
        request = {"dir": os.path.basename(kernel_dir), "workdir": workdir, "argv": argv, "env": env}
        with self._lock:
            self._wait_ready()
            try:
                self.control.settimeout(timeout)
                self.control.send(json.dumps(request).encode())
                reply, pid = self._receive(timeout)
            except OSError as exc:  # a timeout included: the nursery is not answering
                self.stop()
                raise WarmUnavailable(f"the nursery did not answer: {exc}") from None
        if not reply.get("ok") or not pid:
            raise WarmUnavailable(f"the kernel's sandbox could not be made: {reply.get('error', reply)}")
        pidfd = os.pidfd_open(pid)
        if len(_namespace_pids(pid)) < 3:  # not in namespaces of its own: it died, the number was reused
            os.close(pidfd)
            raise WarmUnavailable("the kernel ended as it started")
        return pid, pidfd


def _namespace_pids(pid: int) -> list[str]:
    """The NSpid line of /proc/<pid>/status (its pid in each PID namespace)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return line.split()[1:]
    except OSError:
        pass
    return []


def _stop_warm(process, control) -> None:
    control.close()  # the nursery leaves when its end closes
    try:
        os.killpg(process.pid, signal.SIGKILL)  # bwrap; its init then dies and takes every kernel with it
    except OSError:
        pass
    process.wait()


def _kernel_environment() -> dict[str, str]:
    """The variables every sandboxed process gets (bwrap_argv's defaults)."""
    return {"HOME": HOME, "PATH": "/usr/bin:/bin", "PYTHONPATH": f"{PROBE_DIR}:{SITE}", "TMPDIR": "/tmp",
            "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
            "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}


_ROOT: Path | None = None  # this process's kernel directories
_WARM: WarmSandbox | None = None
_WARM_FAILED: str | None = None


def _kernels_root(parent: str | os.PathLike | None) -> Path:
    """This process's folder of kernel directories (made in `parent` on first
    use, removed when the process ends or with `parent`)."""
    global _ROOT
    if _ROOT is None or not _ROOT.is_dir():
        import atexit
        import multiprocessing.util

        _ROOT = Path(tempfile.mkdtemp(prefix="bpkit-k-", dir=parent))  # short: socket paths are at most 107 bytes
        atexit.register(shutil.rmtree, _ROOT, True)
        multiprocessing.util.Finalize(None, shutil.rmtree, args=(_ROOT, True), exitpriority=5)
    return _ROOT


def warm_sandbox(parent: str | os.PathLike | None = None) -> WarmSandbox | None:
    """This process's warm sandbox (started on first use; restarted if it
    died), or None if warm sandboxes do not work here (then every kernel
    gets a fresh bwrap sandbox, as safe and slower)."""
    global _WARM
    if _WARM is not None and _WARM.alive():
        return _WARM
    if _WARM_FAILED is not None:
        return None
    try:
        _WARM = WarmSandbox(_kernels_root(parent))
    except (OSError, WarmUnavailable) as exc:
        disable_warm(str(exc))
        return None
    return _WARM


def disable_warm(reason: str) -> None:
    """Give every later kernel of this process a fresh bwrap sandbox (the
    kernel directories already made stay valid for that)."""
    global _WARM, _WARM_FAILED
    _WARM_FAILED = reason
    if _WARM is not None:
        warm, _WARM = _WARM, None
        warm.stop()


# ------------------------------------------------------------ kernels ---

_KERNEL_DIR: str | None = None
_WALL_SECONDS = 300.0
#: Where a kernel's ZeroMQ sockets live, inside its sandbox (its private /tmp).
IPC_INSIDE = "/tmp/kernel-zmq"
#: Seconds a starting kernel has to make its sockets.
_SOCKET_WAIT = 60.0


def new_kernel_dir(parent: str | os.PathLike | None = None) -> Path:
    """A fresh directory for the next kernel's connection file, judge
    socket and submission copy, in this process's kernels folder (made in
    `parent` on first use), which its warm sandbox shows to the kernel."""
    warm_sandbox(parent)
    return Path(tempfile.mkdtemp(prefix="k-", dir=_kernels_root(parent)))


class _PidfdProcess:
    """The Popen-like handle jupyter_client expects, for a kernel that is
    not our child (the nursery forked it), held through a pidfd."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int):
        self.pid, self.pidfd, self.returncode = pid, pidfd, None

    def poll(self):
        import select

        if self.returncode is None and self.pidfd >= 0 and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout=None):
        import select
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            select.select([self.pidfd], [], [], left)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            try:
                signal.pidfd_send_signal(self.pidfd, signum)
            except ProcessLookupError:
                pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def close(self):
        """Close the pidfd (call after kill: the handle then reads as ended)."""
        if self.pidfd >= 0:
            self.poll()
            os.close(self.pidfd)
            self.pidfd = -1
            if self.returncode is None:
                self.returncode = -signal.SIGKILL


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
        kdir = _KERNEL_DIR or str(new_kernel_dir())
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
        shutil.copy(self.parent.connection_file, os.path.join(self._kernel_dir, "kernel-inside.json"))
        judged = os.path.exists(os.path.join(self._kernel_dir, SOCKET_NAME))
        warm = _WARM if _WARM is not None and _WARM.alive() and Path(self._kernel_dir).parent == _WARM.root else None
        pid = None
        if warm is not None:
            try:
                pid = self._start_warm(warm, cmd, cwd, judged)
            except WarmUnavailable:  # this kernel starts cold (a nursery that died is replaced next time)
                pid = None
        if pid is None:
            pid = self._start_cold(cmd, cwd, judged)
        self.cwd = cwd
        # A kernel that ignores interrupts (or loops in C) would cost a cell
        # timeout per remaining cell: past the wall limit the kernel is killed.
        self._watchdog = threading.Timer(_WALL_SECONDS, self._kill_sandbox)
        self._watchdog.daemon = True
        self._watchdog.start()
        self.connection_info = {**self.connection_info, "ip": await self._socket_links(pid)}
        return self.connection_info

    def _start_warm(self, warm: WarmSandbox, cmd: list[str], cwd: str, judged: bool) -> int:
        """A kernel forked by the worker's warm sandbox; returns its pid."""
        kdir = self._kernel_dir
        submission = os.path.join(kdir, "submission")
        shutil.rmtree(submission, ignore_errors=True)  # a retried start
        shutil.copytree(cwd, submission, symlinks=True)
        env = {JUDGE_ENV: f"/run/kernels/{SOCKET_NAME}"} if judged else {}
        start = cmd.index("ipykernel_launcher") + 1 if "ipykernel_launcher" in cmd else 1
        argv = ["/run/kernels/kernel-inside.json" if a == self.parent.connection_file else a for a in cmd[start:]]
        pid, pidfd = warm.kernel(kdir, Path(cwd).name or "work", argv, env)
        self.process = _PidfdProcess(pid, pidfd)
        self.pid, self.pgid = pid, None
        return pid

    def _start_cold(self, cmd: list[str], cwd: str, judged: bool) -> int:
        """A kernel in a fresh bwrap sandbox of its own; returns the sandbox's pid."""
        files, env = [(os.path.join(self._kernel_dir, "kernel-inside.json"), "/run/kernel.json")], {}
        if judged:
            files.append((os.path.join(self._kernel_dir, SOCKET_NAME), f"/run/{SOCKET_NAME}"))
            env[JUDGE_ENV] = f"/run/{SOCKET_NAME}"
        argv = [_python(), *("/run/kernel.json" if a == self.parent.connection_file else a for a in cmd[1:])]
        self.process, sandbox_pid = start_sandboxed(argv, cwd, workdir=Path(cwd).name or "work", env=env,
                                                    files=tuple(files))
        if sandbox_pid is None:
            raise RuntimeError(f"the sandbox did not start (bwrap exit code {self.process.wait()})")
        self.pid = self.pgid = self.process.pid
        return sandbox_pid

    async def wait(self):
        """As the local provisioner's, but polling every 10 ms, not 100 ms
        (a graded notebook's kernel is waited for once per notebook)."""
        if self.process is not None:
            while await self.poll() is None:
                await asyncio.sleep(0.01)
        return await super().wait()

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
        process = self.process
        if isinstance(process, _PidfdProcess):
            process.kill()  # PID 1 of its namespaces: everything in them goes too
            return
        try:
            os.killpg(self.pgid, signal.SIGKILL)  # bwrap, and with it everything inside
        except (OSError, TypeError):
            pass

    async def cleanup(self, restart: bool = False) -> None:
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        self._close_sockets()
        if isinstance(self.process, _PidfdProcess):
            self.process.kill()
            self.process.close()
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
