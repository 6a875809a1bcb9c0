"""Inside a worker's sandbox: fork each notebook's kernel from a warm process.

This file runs *inside* bubblewrap (bpkit.isolation.sandbox.WarmSandbox binds it in
next to bpkit/probe.py); it needs the standard library only, and imports
ipykernel and NumPy once so that no kernel pays for them again.

The nursery never runs notebook code.  For each request from the grading
worker it forks a child that, before any student code exists in it, gives
itself everything a fresh bwrap sandbox would give a kernel:

1. new user, mount, PID, network, IPC and UTS namespaces (``unshare``), its
   uid mapped to itself, so it holds capabilities only over what it makes;
2. a fork, PID 1 of a PID namespace of its own, which forks the kernel as
   PID 2 and waits for it (itself confined below and not traceable): the
   kernel cannot name, signal or trace the nursery, the worker or an
   earlier kernel;
3. a private size-capped tmpfs on /tmp and on the home directory (the
   nursery's own /tmp is hidden, nothing written survives the kernel), an
   empty read-only tmpfs over /proc (the sandbox's /proc shows the
   nursery's processes), and its own kernel directory bound over
   /run/kernels (other kernels' directories are hidden);
4. a copy of its submission in the home; the requested environment;
5. rlimits, every capability dropped (bounding and ambient sets too),
   no_new_privs, and the seccomp filter of bpkit.isolation.seccomp (no processes, no
   namespaces, no memfd or System V memory);
6. one message to the worker over the control socket (the kernel tells the
   worker its own PID through SCM_CREDENTIALS, translated by Linux, so the
   worker needs no /proc scan and cannot be lied to), every inherited file
   descriptor closed, and only then ipykernel.

Protocol: one JSON datagram each way on a SOCK_SEQPACKET socket pair.
Worker -> nursery: {"dir": "k-abc", "workdir": "ch4_gradients",
"argv": [...kernel arguments...], "env": {...}}.  Kernel (or nursery, for a
request it cannot serve) -> worker: {"ok": true} or {"error": "..."}.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import shutil
import signal
import socket
import struct
import sys

__all__ = ["serve", "import_kernel_runtime", "reap"]

_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
#: What each kernel gets new (and what the nursery's self-test tries).
_NAMESPACES = _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_BIND, _MS_REC, _MS_PRIVATE = 0x1000, 0x4000, 0x40000
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _PR_CAP_AMBIENT = 24, 38, 22, 47
_PR_SET_DUMPABLE = 4
_PR_CAP_AMBIENT_CLEAR_ALL, _SECCOMP_MODE_FILTER = 4, 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)
_DIR_NAME = re.compile(r"k-[A-Za-z0-9_]{1,64}")
_WORKDIR = re.compile(r"[^/\0]{1,255}")


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def _drop_capabilities() -> None:
    """Empty the bounding, ambient, effective, permitted and inheritable
    capability sets of this process."""
    cap = 0
    while _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = struct.pack("=Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = bytes(24)  # two zeroed {effective, permitted, inheritable} blocks
    _check(_libc.capset(ctypes.c_char_p(header), ctypes.c_char_p(data)), "capset")


def _install_seccomp(program: bytes) -> None:
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    filters = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HxxxxxxQ", len(program) // 8, ctypes.addressof(filters))
    fprog_buffer = ctypes.create_string_buffer(fprog, len(fprog))
    _check(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.c_ulong(ctypes.addressof(fprog_buffer)),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)), "seccomp")


def _reply(control: socket.socket, message: dict) -> None:
    try:
        control.send(json.dumps(message).encode())
    except OSError:
        pass


def _namespace_init(request: dict, config: dict, control: socket.socket) -> None:
    """PID 1 of the new namespaces: private mounts, then the kernel as PID 2,
    then wait for it (and end with it).  PID 1 ignores every signal it has no
    handler for, so the kernel is not PID 1 itself: it can end itself, as in
    any sandbox."""
    home, workdir = config["home"], request["workdir"]
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={config['tmp_bytes']},mode=1777")
    _mount("tmpfs", home, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={config['home_bytes']},mode=755")
    _mount(f"/run/kernels/{request['dir']}", "/run/kernels", None, _MS_BIND | _MS_REC)
    _mount("tmpfs", "/proc", "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "size=4k,mode=555")
    cwd = os.path.join(home, workdir)
    shutil.copytree("/run/kernels/submission", cwd, symlinks=True)
    kernel = os.fork()
    if kernel == 0:
        try:
            _confine(request, config, cwd)
        except Exception as exc:  # noqa: BLE001
            _reply(control, {"error": f"{type(exc).__name__}: {exc}"})
            os._exit(1)
        _reply(control, {"ok": True})  # SCM_CREDENTIALS: the worker learns the kernel's pid
        _become_ipykernel(request)
    # this process: nothing but wait, confined too, and not traceable by the kernel
    control.close()
    os.closerange(3, 65536)
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    _drop_capabilities()
    _install_seccomp(bytes.fromhex(config["seccomp"]))
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        if pid == kernel:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _confine(request: dict, config: dict, cwd: str) -> None:
    """In the kernel, before any of its code: its folder and environment,
    rlimits, no capabilities, the seccomp filter."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(config["env"])
    os.environ.update(request["env"])
    for limit, value in ((resource.RLIMIT_AS, config["memory_bytes"]), (resource.RLIMIT_CPU, config["cpu_seconds"]),
                         (resource.RLIMIT_FSIZE, config["file_bytes"]),
                         (resource.RLIMIT_NOFILE, config["open_files"]), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(limit, (value, value))
    _drop_capabilities()
    _install_seccomp(bytes.fromhex(config["seccomp"]))


def _first_child(request: dict, config: dict, control: socket.socket) -> None:
    """New namespaces, then fork their PID 1 and leave."""
    uid, gid = os.getuid(), os.getgid()
    try:
        if not (_DIR_NAME.fullmatch(str(request.get("dir"))) and _WORKDIR.fullmatch(str(request.get("workdir")))
                and request["workdir"] not in (".", "..")):
            raise ValueError("malformed request")
        _check(_libc.unshare(_NAMESPACES), "unshare")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)
        pid = os.fork()
    except Exception as exc:  # noqa: BLE001 - reported to the worker, which falls back or retries
        _reply(control, {"error": f"{type(exc).__name__}: {exc}"})
        return
    if pid:
        return  # PID 1 is reparented to the sandbox's init, which reaps it
    try:
        _namespace_init(request, config, control)
    except Exception as exc:  # noqa: BLE001
        _reply(control, {"error": f"{type(exc).__name__}: {exc}"})
    os._exit(1)


def _become_ipykernel(request: dict) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # start-up chatter; cell output goes over ZeroMQ
        os.dup2(devnull, fd)
    os.closerange(3, 65536)  # the control socket above all
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sys.argv = ["ipykernel_launcher", *request["argv"]]  # as a kernel started by its command line sees it
    try:
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=request["argv"])
    finally:
        os._exit(0)


def reap(*_) -> None:
    """Collect every ended child (a SIGCHLD handler)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def import_kernel_runtime() -> None:
    """What every kernel needs, imported once by a warm process (the
    debugger and the IPython shell are what ipykernel imports as it starts)."""
    import IPython.core.interactiveshell  # noqa: F401

    quiet = "PYDEVD_DISABLE_FILE_VALIDATION" not in os.environ
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's import-time note on stderr
    import ipykernel.debugger  # noqa: F401

    if quiet:
        del os.environ["PYDEVD_DISABLE_FILE_VALIDATION"]
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.zmqshell  # noqa: F401
    import numpy  # noqa: F401


def _self_test() -> str:
    """Whether a child can make the namespaces every kernel gets ("" if so,
    else why not), so that a worker knows before its first kernel."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            _check(_libc.unshare(_NAMESPACES), "unshare")
            message = b""
        except OSError as exc:
            message = str(exc).encode()
        os.write(write, message)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    return message.decode(errors="replace")


def serve(control_fd: int, config_json: str) -> None:
    """The nursery's loop: one forked kernel per request, until the worker
    closes its end of the control socket."""
    config = json.loads(config_json)
    import_kernel_runtime()

    control = socket.socket(fileno=control_fd)
    problem = _self_test()
    _reply(control, {"error": problem} if problem else {"ready": True})
    if problem:
        sys.exit(1)
    signal.signal(signal.SIGCHLD, reap)
    while True:
        try:
            data = control.recv(1 << 20)
        except InterruptedError:
            continue
        if not data:
            sys.exit(0)
        try:
            request = json.loads(data)
        except ValueError:
            _reply(control, {"error": "malformed request"})
            continue
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _first_child(request, config, control)
            finally:
                os._exit(0)
