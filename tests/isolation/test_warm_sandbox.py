"""The warm sandbox (bpkit.isolation.sandbox.WarmSandbox, bpkit.isolation.nursery): one sandbox
per worker forks every kernel into namespaces of its own.  Each kernel must
get everything a fresh bwrap sandbox gives it, and nothing of another."""
from __future__ import annotations

import json
import os

import pytest
from jupyter_client.manager import start_new_kernel

import bpkit.isolation.sandbox as sandbox
from bpkit.isolation.kernelspec import sandbox_kernelspec_dir
from conftest import ROOT
from sandbox_probe import probe_script

#: What a warm kernel sees of its namespaces and its folders as it starts ...
FIRST = ('seen.update({"pid": os.getpid(), "cwd files": sorted(os.listdir(".")), "proc": os.listdir("/proc"), '
         '"kernels folder": sorted(os.listdir("/run/kernels"))})')
#: ... and of its capabilities.
WARM = r"""
import ctypes, struct
libc = ctypes.CDLL(None, use_errno=True)
seen["unshare"] = libc.unshare(0x10000000) == 0
header, data = struct.pack("=Ii", 0x20080522, 0), ctypes.create_string_buffer(24)
libc.capget(ctypes.c_char_p(header), data)
seen["capabilities"] = sum(struct.unpack("6I", data.raw))
seen["bounding set"] = [c for c in range(41) if libc.prctl(23, c, 0, 0, 0) == 1]
"""


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """Start kernels through the sandbox's kernelspec (warm if it can be);
    yields start(cwd) -> (km, run(code) -> printed text)."""
    monkeypatch.setenv("JUPYTER_PATH", str(sandbox_kernelspec_dir(tmp_path)))
    started = []

    def start(cwd):
        km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60, cwd=str(cwd))
        started.append((km, kc))

        def run(code):
            printed = []
            reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: printed.append(
                m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
            assert reply["content"]["status"] == "ok", reply["content"]
            return "".join(printed)
        return km, run

    yield start
    for km, kc in started:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _work(tmp_path, name="work"):
    work = tmp_path / name
    work.mkdir()
    (work / "data.txt").write_text("42")
    return work


def test_a_warm_kernel_gets_every_limit_of_a_fresh_sandbox(kernel, tmp_path):
    km, run = kernel(_work(tmp_path))
    assert isinstance(km.provisioner.process, sandbox._PidfdProcess)  # forked by the nursery
    seen = json.loads(run(probe_script(str(ROOT), [("write /run/kernels", "/run/kernels/evil")], FIRST, WARM)))
    assert seen["pid"] == 2 and seen["uid"] == 1000 and seen["proc"] == []  # PID 1 is its namespace's init
    assert seen["cwd files"] == ["data.txt"]
    assert seen["kernels folder"] == ["kernel-inside.json", "kernel.json", "submission"]  # its own only
    assert not any(seen[p] for p in (str(ROOT), str(ROOT) + "/reference", "/work", "/root/.ssh", "/etc/passwd"))
    assert not any(seen[f"import {m}"] for m in ("reference", "bpkit.checks", "nbgrader", "sqlalchemy"))
    assert seen["write home"] and seen["write /tmp"]
    assert not any(seen[w] for w in ("write /", "write /usr", "write /opt/site", "write /run/kernels"))
    assert not seen["network"] and not seen["8 GiB"] and not seen["100 MB file"] and not seen["fork"]
    assert not seen["unshare"] and seen["capabilities"] == 0 and seen["bounding set"] == []


def test_two_live_kernels_of_one_nursery_cannot_reach_each_other(kernel, tmp_path):
    _, first = kernel(_work(tmp_path, "first"))
    first("import os, socket, threading\nopen('/tmp/left', 'w').write('x'); open(os.path.expanduser('~/left'), 'w')"
          ".write('x')\ns = socket.socket(socket.AF_UNIX); s.bind('\\0bpkit-left'); s.listen(1)\n"
          "import numpy; numpy.left = True\nos.environ['LEFT'] = '1'")
    _, second = kernel(_work(tmp_path, "second"))  # while the first is still running
    found = json.loads(second(
        "import os, socket, json, numpy\nfound = [p for p in ('/tmp/left', os.path.expanduser('~/left'), "
        "'../first') if os.path.exists(p)]\ntry:\n    socket.socket(socket.AF_UNIX).connect('\\0bpkit-left')\n"
        "    found.append('socket')\nexcept OSError:\n    pass\n"
        "found += [n for n in ('numpy', 'environ') if getattr(numpy, 'left', False) and n == 'numpy' "
        "or os.environ.get('LEFT') and n == 'environ']\nprint(json.dumps(found))"))
    assert found == []
    # the first kills every process it can name (a thread id would be itself): only its init
    assert first("import os, signal\nseen = []\nfor p in set(range(1, 4096)) - {os.getpid()}:\n    try:\n"
                 "        os.close(os.pidfd_open(p))\n        os.kill(p, signal.SIGKILL)\n        seen.append(p)\n"
                 "    except OSError:\n        pass\nprint(seen)").strip() == "[1]"
    assert second("print('still here')").strip() == "still here"


def test_a_nursery_that_died_is_replaced_for_the_next_kernel(kernel, tmp_path):
    kernel(_work(tmp_path, "one"))
    old = sandbox._WARM
    os.killpg(old.process.pid, 9)
    old.process.wait()
    km, run = kernel(_work(tmp_path, "two"))
    assert sandbox._WARM is not old and sandbox._WARM.alive()
    assert run("import os; print(os.path.isdir('/run/kernels'))").strip() == "True"


def test_kernels_start_cold_where_warm_sandboxes_cannot_work(kernel, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_WARM", None)
    monkeypatch.setattr(sandbox, "_WARM_FAILED", "nested user namespaces are not allowed here")
    km, run = kernel(_work(tmp_path))
    assert not isinstance(km.provisioner.process, sandbox._PidfdProcess)
    assert run("print(open('data.txt').read())").strip() == "42"


def test_the_nursery_refuses_a_request_outside_the_kernels_folder(tmp_path):
    warm = sandbox.warm_sandbox(tmp_path)
    assert warm is not None, sandbox._WARM_FAILED
    for folder, workdir in (("../etc", "work"), ("k-x/../..", "work"), ("k-ok", ".."), ("k-ok", "a/b")):
        with pytest.raises(sandbox.WarmUnavailable, match="malformed"):
            warm.kernel(folder, workdir, ["-f", "/dev/null"], {})
        assert warm.alive()


def test_a_kernel_that_overstays_is_killed_with_its_namespace(kernel, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_WALL_SECONDS", 3.0)
    km, run = kernel(_work(tmp_path))
    process = km.provisioner.process
    # an idle kernel never ends by itself: that it ends at all is the wall limit at work (the
    # generous wait only keeps a broken limit from hanging the suite)
    assert process.wait(timeout=300) is not None
    assert sandbox._WARM.alive()


def test_a_nursery_that_cannot_make_namespaces_sends_every_kernel_cold(kernel, tmp_path, monkeypatch):
    """Where nested user namespaces are refused (here: bwrap's own
    --disable-userns), the nursery says so before its first kernel; that
    kernel and every later one start in a cold sandbox of their own."""
    original = sandbox.bwrap_argv

    def no_nested_namespaces(*args, **kwargs):
        argv = original(*args, **kwargs)
        return argv[:2] + ["--disable-userns"] + argv[2:] if kwargs.get("nursery") else argv

    monkeypatch.setattr(sandbox, "bwrap_argv", no_nested_namespaces)
    monkeypatch.setattr(sandbox, "_WARM", None)
    monkeypatch.setattr(sandbox, "_WARM_FAILED", None)
    for name in ("one", "two"):
        km, run = kernel(_work(tmp_path, name))
        assert not isinstance(km.provisioner.process, sandbox._PidfdProcess)
        assert run("print(open('data.txt').read())").strip() == "42"
    assert "unshare" in sandbox._WARM_FAILED and sandbox._WARM is None
