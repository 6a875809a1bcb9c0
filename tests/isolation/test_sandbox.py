"""The bubblewrap sandbox (bpkit.isolation.sandbox) on its own, and the refusal to
grade without it."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import course_facts as facts
from bpkit.isolation.sandbox import SandboxUnavailable, _python, check_sandbox, run_sandboxed
from bpkit.isolation.seccomp import no_processes_filter
from conftest import ROOT, VENV_BIN, clean_env, copy_course
from sandbox_probe import probe_script

def probe_sandbox(tmp_path, submission=None):
    shown = tmp_path / "shown.txt"
    shown.write_text("read me")
    script = probe_script(str(ROOT), [("write a shown file", "/run/shown.txt")],
                          then='seen["read a shown file"] = open("/run/shown.txt").read() == "read me"\n'
                               'seen["cwd files"] = sorted(os.listdir("."))')
    done = run_sandboxed([_python(), "-c", script], submission,
                         files=((str(shown), "/run/shown.txt"),), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    import json
    return json.loads(done.stdout)


def test_the_sandbox_starts_on_this_machine():
    check_sandbox()


def test_a_sandboxed_process_sees_neither_the_course_nor_the_reference(tmp_path):
    seen = probe_sandbox(tmp_path)
    assert not any(seen[p] for p in (str(ROOT), str(ROOT / "reference"), "/work", "/etc/passwd", "/root/.ssh"))
    assert not any(seen[f"import {m}"] for m in ("reference", "bpkit.checks", "nbgrader", "sqlalchemy", "pip"))


def test_a_sandboxed_process_writes_only_its_private_home_and_tmp(tmp_path):
    seen = probe_sandbox(tmp_path, submission=str(ROOT / "release" / "ch5_backprop"))
    assert (seen["write /opt/site"], seen["write /"], seen["write /usr"]) == (False, False, False)
    assert seen["read a shown file"] and not seen["write a shown file"]
    assert seen["write home"] and seen["write /tmp"]
    assert seen["cwd files"] == ["backprop_layers.ipynb", "common", "mine.txt"]
    assert not (ROOT / "release" / "ch5_backprop" / "mine.txt").exists()  # a private copy
    assert seen["uid"] != 0


def test_a_sandboxed_process_has_no_network_and_capped_memory_and_files(tmp_path):
    seen = probe_sandbox(tmp_path)
    assert seen["network"] is False
    assert seen["8 GiB"] is False
    assert seen["100 MB file"] is False


def test_a_sandboxed_process_can_start_threads_but_no_other_process(tmp_path):
    seen = probe_sandbox(tmp_path)
    assert seen["thread"] and not seen["fork"] and not seen["subprocess"]


def test_the_seccomp_filter_is_well_formed_for_both_architectures():
    for machine in ("x86_64", "aarch64"):
        program = no_processes_filter(machine)
        assert len(program) % 8 == 0 and 8 <= len(program) // 8 <= 32
        # every jump lands inside the program, and it ends with a return
        size = len(program) // 8
        for i in range(size):
            code, jt, jf, _ = struct.unpack("=HBBI", program[8 * i: 8 * i + 8])
            if code & 0x07 == 0x05:  # BPF_JMP
                assert i + 1 + max(jt, jf) < size
        assert struct.unpack("=H", program[-8:-6])[0] == 0x06


def test_a_missing_bubblewrap_is_a_clear_refusal(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        check_sandbox()


def _without_bwrap_env(tmp_path) -> dict:
    """PATH with the tools grading needs but no bwrap."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "cp", "git"):
        path = Path("/usr/bin") / tool
        if path.exists():
            os.symlink(path, bin_dir / tool)
    env = clean_env()
    env["PATH"] = str(bin_dir)
    return env


def test_grade_refuses_without_the_sandbox_and_touches_nothing_unless_told_to_run_unsafely(tmp_path):
    from bpkit.sample import student_cells, write_submission

    root = copy_course(tmp_path / "course")
    write_submission(root / "release", "ch4_gradients", student_cells("aoki"),
                     root / "submitted" / "aoki" / "ch4_gradients")
    env = _without_bwrap_env(tmp_path)
    bpkit = [str(VENV_BIN / "bpkit"), "--course", str(root), "grade", "ch4_gradients", "--no-feedback"]
    refused = subprocess.run(bpkit, env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert "cannot grade safely" in refused.stderr and "--no-sandbox" in refused.stderr
    assert "bubblewrap" in refused.stderr
    # the reason first: no progress bar (0/1) and no line saying student code runs in a sandbox
    assert "grading ch4_gradients" not in refused.stdout and "sandbox" not in refused.stdout, refused.stdout
    assert not (root / "gradebook.db").exists() and not list((root / "autograded").glob("*"))
    unsafe = subprocess.run(bpkit + ["--no-sandbox"], env=env, capture_output=True, text=True, timeout=300)
    assert unsafe.returncode == 0, unsafe.stdout + unsafe.stderr
    full = facts.score_text(facts.total("ch4_gradients"), "ch4_gradients")
    assert "warning: --no-sandbox" in unsafe.stderr and full in unsafe.stdout
    assert (unsafe.stdout + unsafe.stderr).count("--no-sandbox") == 1  # warned once
    # the notebook's "Check my work" cells ran in the grading kernel and did nothing (never graded)
    import nbformat

    from bpkit.learner.check_cell import SKIPPED
    from bpkit.preprocessors.self_check_cells import is_self_check

    (graded,) = (root / "autograded" / "aoki" / "ch4_gradients").glob("*.ipynb")
    shown = [o for c in nbformat.read(graded, as_version=4).cells if is_self_check(c) for o in c.outputs]
    assert shown and all(o.get("text", "").strip() == SKIPPED for o in shown), shown


# ------------------------------------------- resources outside the caps ---

DEV_PROBE = r"""
import errno, json, os, time
seen = {"dev": sorted(os.listdir("/dev"))}
def fill(path, total=128 << 20):
    written, start = 0, time.monotonic()
    try:
        with open(path, "wb") as f:
            while written < total:
                f.write(b"x" * (1 << 20))
                f.flush()
                written += 1 << 20
        outcome = "WRITTEN"
    except OSError as exc:
        outcome = errno.errorcode.get(exc.errno, str(exc))
    try:
        os.unlink(path)
    except OSError:
        pass
    return [written, outcome, time.monotonic() - start]
for path in ("/dev/fill", "/dev/shm/fill", "/dev/pts/fill", "/dev/mqueue/fill"):
    seen[path] = fill(path)
seen["many files"] = sum(fill(f"/dev/fill{i}", 8 << 20)[0] for i in range(16))
mounts = []
for line in open("/proc/self/mountinfo"):
    left, right = line.split(" - ")
    fields, (fstype, source, options) = left.split(), right.split()
    mounts.append([fields[4], fstype, fields[5], options])
seen["mounts"] = mounts
devices = {}
for name, action in [("null", lambda: open("/dev/null", "wb").write(b"x") and open("/dev/null", "rb").read()),
                     ("zero", lambda: open("/dev/zero", "rb").read(16)),
                     ("random", lambda: open("/dev/random", "rb").read(16)),
                     ("urandom", lambda: open("/dev/urandom", "rb").read(16)),
                     ("os.urandom", lambda: os.urandom(16)),
                     ("fd", lambda: os.listdir("/dev/fd")),
                     ("stdout", lambda: open("/dev/stdout", "w").close() or "")]:
    try:
        devices[name] = len(action())
    except OSError as exc:
        devices[name] = "error " + errno.errorcode.get(exc.errno, str(exc))
try:
    with open("/dev/full", "wb", buffering=0) as f:
        f.write(b"x")
    devices["full"] = "written"
except OSError as exc:
    devices["full"] = errno.errorcode.get(exc.errno)
seen["devices"] = devices
import numpy, tempfile
numpy.random.default_rng().random(10)
seen["numpy"] = True
print(json.dumps(seen))
"""


def _run_probe(code: str) -> dict:
    import json
    done = run_sandboxed([_python(), "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_dev_is_read_only_with_only_the_device_nodes_a_kernel_needs():
    seen = _run_probe(DEV_PROBE)
    assert set(seen["dev"]) <= {"null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr"}
    for path in ("/dev/fill", "/dev/shm/fill", "/dev/pts/fill", "/dev/mqueue/fill"):
        written, outcome, _ = seen[path]
        # refused at the first write (nothing written), not when memory runs out
        assert written == 0 and outcome in ("EROFS", "EACCES", "ENOENT"), (path, seen[path])
    assert seen["many files"] == 0
    assert seen["devices"] == {"null": 0, "zero": 16, "random": 16, "urandom": 16, "os.urandom": 16,
                               "fd": seen["devices"]["fd"], "stdout": 0, "full": "ENOSPC"}
    assert seen["devices"]["fd"] >= 3 and seen["numpy"]


def test_every_writable_memory_file_system_in_the_sandbox_has_a_size_cap():
    seen = _run_probe(DEV_PROBE)
    for target, fstype, options, super_options in seen["mounts"]:
        writable = "rw" in options.split(",")
        if fstype == "devtmpfs":  # a single device node bound from the host: only the ones listed
            assert target in {f"/dev/{n}" for n in ("null", "zero", "full", "random", "urandom")}, target
        elif fstype in ("tmpfs", "ramfs", "mqueue", "devpts", "hugetlbfs") and writable:
            assert fstype == "tmpfs" and "size=" in super_options, (target, fstype, super_options)
    writable = {t for t, fs, o, _ in seen["mounts"] if fs == "tmpfs" and "rw" in o.split(",")}
    assert writable == {"/tmp", "/home/student"}, writable


SYSCALL_PROBE = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
seen = {}
def errname():
    return errno.errorcode.get(ctypes.get_errno(), "?")
try:
    fd = os.memfd_create("fill")
    seen["memfd_create"] = "created"
except OSError as exc:
    seen["memfd_create"] = errno.errorcode.get(exc.errno)
shm = libc.shmget(0, ctypes.c_size_t(64 << 20), 0o1600)
seen["shmget"] = "created" if shm >= 0 else errname()
msg = libc.msgget(0, 0o1600)
seen["msgget"] = "created" if msg >= 0 else errname()
# a user namespace of its own would let it mount a tmpfs without a size cap
seen["unshare user+mount"] = "done" if libc.unshare(0x10000000 | 0x00020000) == 0 else errname()
seen["unshare ipc"] = "done" if libc.unshare(0x08000000) == 0 else errname()
print(json.dumps(seen))
"""


def test_a_sandbox_cannot_make_memory_outside_its_caps_by_other_means():
    """memfd files, System V shared memory and message queues, and a user
    namespace of its own (with a fresh tmpfs) are all host memory that no
    rlimit of the sandbox counts."""
    seen = _run_probe(SYSCALL_PROBE)
    assert seen == {"memfd_create": "EPERM", "shmget": "EPERM", "msgget": "EPERM",
                    "unshare user+mount": "EPERM", "unshare ipc": "EPERM"}, seen


# ------------------------------------------ paths the sandbox can change ---

class _Bait:
    """A Unix socket on the host, listening: the grading side must never
    connect to it, whatever the sandbox plants."""

    def __init__(self, path):
        import socket
        import threading
        self.path, self.hits = str(path), 0
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(self.path)
        self.server.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.hits += 1
            conn.close()

    def close(self):
        import socket
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()


PLANTS = r"""
import os, socket, sys
bait = sys.argv[1]
os.symlink(bait, "/tmp/link")
open("/tmp/file", "w").close()
os.mkdir("/tmp/dir")
os.symlink("/tmp", "/tmp/dirlink")
os.mkdir("/tmp/sub")
server = socket.socket(socket.AF_UNIX)
server.bind("/tmp/sub/sock")
server.listen(4)
os.symlink("/tmp/sub/sock", "/tmp/sub/inner")  # a symlink inside the sandbox, to its own socket
for reply in (b"inside", b"still inside"):
    conn, _ = server.accept()
    conn.sendall(reply)
    conn.close()
    if reply == b"inside":  # swap the socket for a symlink to the host's socket
        os.unlink("/tmp/sub/sock")
        os.symlink(bait, "/tmp/sub/sock")
        os.symlink(bait, "/tmp/sub/swapped")
"""


def _connect(path: str) -> bytes:
    import socket
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(10)
        client.connect(path)
        return client.recv(64)


def test_the_grading_side_opens_a_sandbox_socket_without_following_any_link(tmp_path):
    import errno
    import time

    from bpkit.isolation.sandbox import open_sandbox_socket, start_sandboxed

    bait = _Bait(tmp_path / "bait.sock")
    process, pid = start_sandboxed([_python(), "-c", PLANTS, bait.path])
    try:
        deadline, fd = time.monotonic() + 60, None
        while fd is None and time.monotonic() < deadline:
            try:
                fd = open_sandbox_socket(pid, "/tmp/sub/sock")
            except FileNotFoundError:
                time.sleep(0.02)
        assert fd is not None
        for refused in ("/tmp/link", "/tmp/file", "/tmp/dir", "/tmp/dirlink/sub/sock", "/tmp/sub/inner",
                        "/tmp/../tmp/sub/sock", "/home/student", "/dev/null", "/usr/bin/python3"):
            with pytest.raises(OSError) as caught:
                os.close(open_sandbox_socket(pid, refused))
            assert caught.value.errno != errno.ENOENT, refused
        assert _connect(f"/proc/self/fd/{fd}") == b"inside"
        deadline = time.monotonic() + 60
        while not os.path.islink(f"/proc/{pid}/root/tmp/sub/swapped") and time.monotonic() < deadline:
            time.sleep(0.02)
        # the socket's path is now a symlink to the host's socket: the fd still names the socket made inside
        assert _connect(f"/proc/self/fd/{fd}") == b"still inside"
        with pytest.raises(OSError):
            open_sandbox_socket(pid, "/tmp/sub/sock")
        os.close(fd)
        assert bait.hits == 0
    finally:
        process.kill()
        process.wait()
        bait.close()


ATTACK = r"""
import glob, json, os, socket, stat, sys
bait = {bait!r}
ports = json.load(open(sys.argv[sys.argv.index("-f") + 1]))
swapped = []
for path in sorted(glob.glob("/tmp/kernel-zmq-*")):
    os.unlink(path)
    os.symlink(bait, path)
    swapped.append(path)
# drop the grading side's connections (heartbeat, control, stdin) so that ZeroMQ reconnects by path
drop = {{"/tmp/kernel-zmq-%d" % ports[k] for k in ("hb_port", "control_port", "stdin_port")}}
dropped = 0
for fd in range(3, 1024):
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            continue
        s = socket.socket(fileno=os.dup(fd))
    except OSError:
        continue
    try:
        if s.family == socket.AF_UNIX and s.getsockname() in drop:
            s.getpeername()  # an accepted connection, not the listening socket
            s.shutdown(socket.SHUT_RDWR)
            dropped += 1
    except OSError:
        pass
    finally:
        s.close()
print("SWAPPED", len(swapped), "DROPPED", dropped)
"""


def test_a_kernel_that_swaps_its_sockets_for_symlinks_never_gets_the_grader_to_a_host_socket(tmp_path, monkeypatch):
    """The kernel's ZeroMQ sockets are files in the sandbox's /tmp; student
    code runs as their owner.  Replaced by symlinks to a host socket (and
    the connections dropped so that ZeroMQ reconnects), they must not lead
    the grading side anywhere but to the sockets the kernel made."""
    import time

    from jupyter_client.manager import start_new_kernel

    from bpkit.isolation.kernelspec import sandbox_kernelspec_dir

    monkeypatch.setenv("JUPYTER_PATH", str(sandbox_kernelspec_dir()))
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.txt").write_text("42")
    bait = _Bait(tmp_path / "bait.sock")
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60, cwd=str(work))
    printed = []

    def run(code):
        reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: printed.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed[-5:])

    try:
        assert "/proc/" not in km.ip  # the grading side's paths are not in the sandbox
        out = run("import matplotlib.pyplot as plt, numpy as np\nplt.plot(np.arange(3)); plt.savefig('/tmp/p.png')\n"
                  "print(open('data.txt').read(), np.random.default_rng(0).integers(10))")
        assert out.startswith("42 ")
        swapped, dropped = run(ATTACK.format(bait=bait.path)).split("SWAPPED ")[-1].split(" DROPPED ")
        assert int(swapped) == 5 and int(dropped) >= 3  # heartbeat, stdin, control (the manager's and the client's)
        time.sleep(2)  # ZeroMQ reconnects within 0.1 s
        assert "still here" in run("print('still here')")
        assert kc.is_alive() and km.is_alive()
        assert bait.hits == 0
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        bait.close()
    assert not os.path.exists(os.path.dirname(km.ip))  # the links to the descriptors, and those, are gone
