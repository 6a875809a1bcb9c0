"""A grading worker that dies (killed from outside with SIGKILL, as the OOM
killer would, or ending itself when it runs out of memory under its cap)
never costs a student points: the pool is rebuilt, the queue is graded, the
submissions that were in flight are retried alone, and only one whose retry
kills its worker again is recorded as not graded, with that reason."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from bpkit.grading.batch import WORKER_DIED_TWICE
from bpkit.course import Course
from bpkit.pipeline import grade_assignment
from bpkit.sample import student_cells, write_submission
from conftest import copy_course
from test_sample_class import EXPECTED

CH4 = "ch4_gradients"
HONEST = ["aoki", "fujita", "goto"]
VICTIM = "victim"


MARKER = "/tmp/bpkit-victim-kernel"  # the victim's kernel makes it in its own /tmp


class WorkerKiller(threading.Thread):
    """SIGKILLs (up to `times` times) the grading worker whose sandboxed
    kernel made MARKER (seen through /proc/<pid>/root, whether the kernel
    was forked by a warm sandbox or started in a cold one): the worker is
    the ancestor of that kernel that is a direct child of this (the test's)
    process."""

    def __init__(self, times: int):
        super().__init__(daemon=True)
        self.times, self.killed, self.stop = times, [], threading.Event()

    def worker_of(self, pid: int) -> int | None:
        me = os.getpid()
        while pid > 1:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                return None
            parent = int(next(l for l in status.splitlines() if l.startswith("PPid:")).split()[1])
            if parent == me:
                return pid
            pid = parent
        return None

    def run(self):
        while not self.stop.is_set() and len(self.killed) < self.times:
            for name in os.listdir("/proc"):
                try:
                    if name.isdigit() and os.path.exists(f"/proc/{name}/root{MARKER}"):
                        worker = self.worker_of(int(name))
                        if worker and worker not in self.killed:
                            os.kill(worker, signal.SIGKILL)
                            self.killed.append(worker)
                            break
                except OSError:
                    continue
            time.sleep(0.02)


def batch(tmp_path, times: int, extra_config: str = "", monkeypatch=None):
    """aoki, fujita, goto and a victim (aoki's answers, 3 s slower), graded
    with two workers while the victim's worker is killed `times` times; the
    batch's scratch folder (named in every sandbox's command line) is in a
    short folder of its own (sockets live there: at most 107 bytes of path),
    named by a link tmp_path/scratch."""
    scratch = tempfile.mkdtemp(prefix="bpr-")
    (tmp_path / "scratch").symlink_to(scratch)
    monkeypatch.setattr(tempfile, "tempdir", scratch)
    root = copy_course(tmp_path / "course")
    if extra_config:
        with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
            f.write("\n" + extra_config + "\n")
    for student in HONEST:
        write_submission(root / "release", CH4, student_cells(student), root / "submitted" / student / CH4)
    cells = student_cells("aoki")
    cells["softmax"] = f"import time\nopen({MARKER!r}, 'w').close()\ntime.sleep(3)\n" + cells["softmax"]
    write_submission(root / "release", CH4, cells, root / "submitted" / VICTIM / CH4)
    killer = WorkerKiller(times)
    killer.start()
    try:
        results = grade_assignment(Course(root), CH4, workers=2, log=lambda m: None)
    finally:
        killer.stop.set()
        shutil.rmtree(scratch, ignore_errors=True)
    return root, {r.student: r for r in results}, killer


def sandboxes_left(tmp_path: Path) -> list[int]:
    """Processes still running with the batch's scratch folder in their
    command line (orphaned sandboxes of killed workers: a warm sandbox names
    its kernels folder there; a cold one its kernel's folder)."""
    needle = str((tmp_path / "scratch").resolve()).encode()
    found = []
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and needle in Path(f"/proc/{name}/cmdline").read_bytes():
                found.append(int(name))
        except OSError:
            continue
    return found


def assert_honest_unharmed(results):
    for student in HONEST:
        assert results[student].ok, results[student].error
        assert {c: results[student].reasons.get(c) for c in results[student].failed} == EXPECTED[student][CH4]


def test_is_every_student_graded_when_a_worker_is_killed_once(tmp_path, monkeypatch):
    root, results, killer = batch(tmp_path, times=1, monkeypatch=monkeypatch)
    assert len(killer.killed) == 1
    assert_honest_unharmed(results)
    assert sandboxes_left(tmp_path) == []
    victim = results[VICTIM]
    assert victim.ok, victim.error
    assert (victim.score, victim.max_score, victim.failed) == (14, 14, [])
    with Gradebook(Course(root).db_url) as gb:
        assert {s: gb.find_submission(CH4, s).score for s in [*HONEST, VICTIM]} == {
            s: results[s].score for s in [*HONEST, VICTIM]}


def test_is_only_a_submission_whose_retry_kills_its_worker_again_recorded_as_not_graded(tmp_path, monkeypatch):
    root, results, killer = batch(tmp_path, times=2, monkeypatch=monkeypatch)
    assert len(killer.killed) == 2
    assert_honest_unharmed(results)
    assert sandboxes_left(tmp_path) == []
    assert not results[VICTIM].ok and results[VICTIM].error == WORKER_DIED_TWICE
    page = (root / "feedback" / VICTIM / CH4 / "losses_and_gradients.html").read_text(encoding="utf-8")
    assert "died twice" in page and "採点プロセス" in page
    with Gradebook(Course(root).db_url) as gb:
        assert gb.find_submission(CH4, VICTIM).score == 0


def test_does_a_worker_that_runs_out_of_memory_under_its_cap_die_and_cost_no_one_else(tmp_path, monkeypatch):
    """A cap far below what a worker needs: every worker runs out of memory,
    ends itself, and each submission is recorded (not graded) with the
    reason; the batch finishes."""
    root, results, _ = batch(tmp_path, times=0, extra_config="c.BpkitWorker.memory_bytes = 64 << 20",
                            monkeypatch=monkeypatch)
    assert {s: r.error for s, r in results.items()} == {s: WORKER_DIED_TWICE for s in [*HONEST, VICTIM]}


def test_is_the_worker_memory_cap_a_soft_limit_that_stops_a_runaway_allocation():
    code = ("import resource; from bpkit.grading.batch import _cap_memory; _cap_memory(512 << 20)\n"
            "soft, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
            "assert soft == 512 << 20 and hard == resource.RLIM_INFINITY, (soft, hard)\n"
            "try:\n    bytearray(1 << 30)\nexcept MemoryError:\n    print('stopped')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "stopped", out.stderr


@pytest.mark.parametrize("value, expected", [(None, 4 << 30), (0, 0), (1 << 30, 1 << 30)])
def test_is_the_worker_memory_cap_configurable(value, expected):
    from traitlets.config import Config

    from bpkit.grading.batch import worker_memory_bytes

    config = Config()
    if value is not None:
        config.BpkitWorker.memory_bytes = value
    assert worker_memory_bytes(config) == expected
