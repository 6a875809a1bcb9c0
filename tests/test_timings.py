"""bpkit.timings: per-stage wall and CPU seconds, one JSON line per graded
submission, only when BPKIT_TIMINGS names a file."""
import json
import multiprocessing
import os
import threading
import time

import pytest

from bpkit import timings


@pytest.fixture
def timings_file(tmp_path, monkeypatch):
    path = tmp_path / "timings.jsonl"
    monkeypatch.setenv(timings.ENV, str(path))
    timings.reset()
    yield path
    timings.reset()


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def busy(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_stage_adds_its_wall_and_cpu_seconds_under_its_name(timings_file):
    # Bounds from what the test itself measures around the stages, never from a fixed speed: the
    # process's CPU time counts every thread, so 0.05 s of it may pass in less than 0.05 s of wall time.
    wall, cpu = time.perf_counter(), time.process_time()
    with timings.stage("execute"):
        busy(0.05)
    with timings.stage("execute"):
        time.sleep(0.05)  # wall time, next to no CPU
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    record = timings.flush("alice", role="worker")
    execute = record["stages"]["execute"]
    assert execute["n"] == 2
    assert 0.05 <= execute["wall"] <= wall  # the sleep alone is 0.05 s of wall time
    assert 0.05 <= execute["cpu"] <= cpu  # the busy loop alone is 0.05 s of CPU time
    assert record["student"] == "alice" and record["role"] == "worker" and record["pid"] == os.getpid()


def test_flush_appends_one_line_per_submission_and_starts_afresh(timings_file):
    with timings.stage("kernel_start"):
        pass
    timings.flush("alice")
    with timings.stage("checks"):
        pass
    timings.flush("bob", assignment="ch4")
    first, second = lines(timings_file)
    assert first["student"] == "alice" and set(first["stages"]) == {"kernel_start"}
    assert second["student"] == "bob" and set(second["stages"]) == {"checks"}
    assert second["assignment"] == "ch4"


def test_a_stage_that_raises_is_still_counted(timings_file):
    with pytest.raises(ValueError):
        with timings.stage("annotate"):
            raise ValueError("boom")
    assert timings.flush("alice")["stages"]["annotate"]["n"] == 1


def test_nothing_is_measured_or_written_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(timings.ENV, raising=False)
    timings.reset()
    assert not timings.enabled()
    with timings.stage("execute"):
        pass
    assert timings.flush("alice") is None
    assert list(tmp_path.iterdir()) == []
    # the stage was not kept either: once the variable is set, it is not reported
    monkeypatch.setenv(timings.ENV, str(tmp_path / "t.jsonl"))
    assert timings.flush("bob")["stages"] == {}


def test_a_disabled_stage_reads_no_clock_and_makes_no_object(monkeypatch):
    """Disabled, stage() is one environment lookup returning one shared
    do-nothing context: no clock is read, nothing is allocated or locked.
    (Decided by what it does, not by timing it: a timed test fails on a busy machine.)"""
    monkeypatch.delenv(timings.ENV, raising=False)

    def no_clock():
        raise AssertionError("a disabled stage read a clock")

    monkeypatch.setattr(timings.time, "perf_counter", no_clock)
    monkeypatch.setattr(timings.time, "process_time", no_clock)
    contexts = set()
    for name in ("execute", "checks", "execute"):
        with timings.stage(name) as entered:
            contexts.add(id(timings.stage(name)))
            assert entered is None
    assert len(contexts) == 1 and timings._state["totals"] == {}


def test_stages_timed_in_another_thread_are_kept(timings_file):
    def judge():
        with timings.stage("checks"):
            time.sleep(0.02)

    threads = [threading.Thread(target=judge) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert timings.flush("alice")["stages"]["checks"]["n"] == 4


def test_children_cpu_counts_the_child_processes_reaped_since_the_last_flush(timings_file):
    timings.flush("before")
    child = multiprocessing.get_context("fork").Process(target=busy, args=(0.2,))
    child.start()
    child.join()
    assert timings.flush("alice")["children_cpu"] >= 0.15
    assert timings.flush("bob")["children_cpu"] < 0.05


def _worker(n):
    with timings.stage("submission"):
        pass
    timings.flush(f"s{n}", role="worker", padding="x" * 2000)


def test_several_processes_append_whole_lines_to_one_file(timings_file):
    with timings.stage("gradebook"):  # the parent's own totals stay in the parent
        pass
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_worker, range(200))
    records = lines(timings_file)  # every line parses: none interleaved with another
    assert sorted(r["student"] for r in records) == sorted(f"s{n}" for n in range(200))
    assert all(set(r["stages"]) == {"submission"} for r in records)
    assert timings.flush("parent")["stages"]["gradebook"]["n"] == 1


def test_read_skips_a_line_cut_short(tmp_path):
    path = tmp_path / "t.jsonl"
    timings.flush("alice", path=path)
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"student": "bo')
    assert [r["student"] for r in timings.read(path)] == ["alice"]
    assert timings.read(tmp_path / "missing.jsonl") == []
