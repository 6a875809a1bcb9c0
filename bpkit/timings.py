"""Where grading time goes: per-stage wall and CPU seconds, one JSON line per
graded submission.

Grading code marks its stages::

    with timings.stage("kernel_start"):
        ...

and, once a submission is done, ``timings.flush(student, role="worker")``
appends what this process accumulated since its last flush as one JSON line
to the file named by the environment variable BPKIT_TIMINGS, then starts
afresh.  With the variable unset (the normal case) ``stage`` returns a shared
do-nothing context and ``flush`` returns at once: nothing is measured or
written.  benchmarks/grading_speed.py sets it and reads the lines back.

A line is ``{"student", "pid", "stages": {name: {"wall", "cpu", "n"}},
"children_cpu", ...extra fields}``: ``wall`` is elapsed seconds, ``cpu`` this
process's CPU seconds (all its threads: a stage timed in one thread while
another works counts that work too), ``n`` how many times the stage ran, and
``children_cpu`` the CPU seconds of child processes this process reaped since
its last flush (e.g. kernels it shut down).  Stages may nest (their seconds
then overlap); one name must not nest inside itself.

Several processes (the grading workers and the main process) may append to
the same file: it is opened with O_APPEND and each line goes out in one
write, so lines never interleave.  Totals are per process: a forked child
starts with none of its parent's.
"""
from __future__ import annotations

import json
import os
import resource
import threading
import time
from contextlib import nullcontext

__all__ = ["ENV", "enabled", "stage", "flush", "reset", "read"]

#: The environment variable naming the file the lines are appended to.
ENV = "BPKIT_TIMINGS"

_NULL = nullcontext()
_lock = threading.Lock()
_state: dict = {"pid": None, "totals": {}, "children": 0.0}


def enabled() -> bool:
    """Whether timings are being recorded (BPKIT_TIMINGS is set)."""
    return bool(os.environ.get(ENV))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _totals() -> dict:
    """This process's totals (call with _lock held); empty after a fork."""
    if _state["pid"] != os.getpid():
        _state.update(pid=os.getpid(), totals={}, children=_children_cpu())
    return _state["totals"]


class _Stage:
    __slots__ = ("name", "wall", "cpu")

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> "_Stage":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        with _lock:
            entry = _totals().setdefault(self.name, {"wall": 0.0, "cpu": 0.0, "n": 0})
            entry["wall"] += wall
            entry["cpu"] += cpu
            entry["n"] += 1


def stage(name: str):
    """A context manager adding its wall and CPU seconds to stage `name`
    (also when the block raises); does nothing unless BPKIT_TIMINGS is set."""
    return _Stage(name) if os.environ.get(ENV) else _NULL


def reset() -> None:
    """Forget what this process accumulated since its last flush."""
    with _lock:
        _state.update(pid=os.getpid(), totals={}, children=_children_cpu())


def flush(student: str, path: str | os.PathLike | None = None, **extra) -> dict | None:
    """Append this process's stages since its last flush as one JSON line
    (student, pid, stages, children_cpu and the `extra` fields) to `path`,
    by default the file named by BPKIT_TIMINGS, and start afresh.  Returns
    the record written, or None (and does nothing) when there is no file."""
    path = path or os.environ.get(ENV)
    if not path:
        return None
    with _lock:
        totals = _totals()
        children = _children_cpu()
        record = {"student": student, "pid": os.getpid(), "stages": totals,
                  "children_cpu": round(children - _state["children"], 6), **extra}
        _state.update(totals={}, children=children)
    line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one write: a line of a few hundred bytes is never split by O_APPEND
    finally:
        os.close(fd)
    return record


def read(path: str | os.PathLike) -> list[dict]:
    """The records of a timings file (a line cut short, e.g. by a process
    killed mid-write, is skipped)."""
    records = []
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
    except FileNotFoundError:
        pass
    return records
