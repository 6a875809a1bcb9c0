"""What a process may do inside a sandbox, tried from inside it: one script
that the cold sandbox (tests/isolation/test_sandbox.py) and a warm kernel
(tests/isolation/test_warm_sandbox.py) both run, each with attempts of its
own, so both are held to the same limits."""
from __future__ import annotations

START = r"""
import json, os, socket, subprocess, threading
seen = {"uid": os.getuid()}
"""
ATTEMPTS = r"""
for path in [COURSE, COURSE + "/reference", "/work", "/etc/passwd", "/root/.ssh"]:
    seen[path] = os.path.exists(path)
for module in ("reference", "bpkit.checks", "nbgrader", "sqlalchemy", "pip"):
    try:
        __import__(module)
        seen["import " + module] = True
    except ImportError:
        seen["import " + module] = False
for name, target in WRITES + [("write /opt/site", "/opt/site/evil"), ("write /", "/evil"), ("write /usr", "/usr/evil"),
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
"""


def probe_script(course: str, writes: list[tuple[str, str]] = (), first: str = "", then: str = "") -> str:
    """The script: `course` is the host path that must be invisible, `writes`
    more (name, path) write attempts; `first` and `then` code adding entries
    to `seen` before and after the attempts; it prints `seen` as JSON."""
    return f"COURSE = {course!r}\nWRITES = {list(writes)!r}\n{START}{first}\n{ATTEMPTS}{then}\nprint(json.dumps(seen))\n"
