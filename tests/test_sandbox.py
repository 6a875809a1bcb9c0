"""The bubblewrap sandbox (bpkit.sandbox) on its own, and the refusal to
grade without it."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bpkit.sandbox import SandboxUnavailable, _python, check_sandbox, run_sandboxed
from bpkit.seccomp import no_processes_filter
from conftest import ROOT, VENV_BIN, clean_env, copy_course

PROBE = r"""
import json, os, socket
seen = {}
for path in [os.environ["COURSE"], os.environ["COURSE"] + "/reference", "/work", "/etc/passwd", "/root/.ssh"]:
    seen[path] = os.path.exists(path)
for module in ("reference", "bpkit.checks", "nbgrader", "sqlalchemy", "pip"):
    try:
        __import__(module)
        seen["import " + module] = True
    except ImportError:
        seen["import " + module] = False
seen["read a shown file"] = open("/run/shown.txt").read() == "read me"
for name, target in [("write a shown file", "/run/shown.txt"), ("write /opt/site", "/opt/site/evil"), ("write /", "/evil"), ("write /usr", "/usr/evil"),
                     ("write home", "mine.txt"), ("write /tmp", "/tmp/mine.txt")]:
    try:
        with open(target, "w") as f:
            f.write("x")
        seen[name] = True
    except OSError:
        seen[name] = False
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    seen["network"] = True
except OSError:
    seen["network"] = False
try:
    bytearray(8 << 30)
    seen["8 GiB"] = True
except MemoryError:
    seen["8 GiB"] = False
try:
    with open("/tmp/big", "wb") as f:
        f.write(b"x" * (100 << 20))
    seen["100 MB file"] = True
except OSError:
    seen["100 MB file"] = False
import subprocess, threading
thread = threading.Thread(target=lambda: None)
thread.start()
thread.join()
seen["thread"] = True
for name, spawn in [("fork", os.fork), ("subprocess", lambda: subprocess.run(["true"]))]:
    try:
        spawn()
        seen[name] = True
    except OSError:
        seen[name] = False
seen["uid"] = os.getuid()
seen["cwd files"] = sorted(os.listdir("."))
print(json.dumps(seen))
"""


def probe_sandbox(tmp_path, submission=None):
    shown = tmp_path / "shown.txt"
    shown.write_text("read me")
    done = run_sandboxed([_python(), "-c", PROBE], submission, env={"COURSE": str(ROOT)},
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
    assert not (root / "gradebook.db").exists() and not list((root / "autograded").glob("*"))
    unsafe = subprocess.run(bpkit + ["--no-sandbox"], env=env, capture_output=True, text=True, timeout=300)
    assert unsafe.returncode == 0, unsafe.stdout + unsafe.stderr
    assert "warning: --no-sandbox" in unsafe.stderr and "14 / 14" in unsafe.stdout
