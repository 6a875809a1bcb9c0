"""The sanitised copy of a submission (bpkit.grading.intake): links, hard links,
special files, oversize and overfull submissions and bad names are refused
with a reason, nothing they point to is read, and nothing hangs."""
from __future__ import annotations

import os
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from bpkit.course import id_problem
from bpkit.grading.intake import Limits, Refused, check_timestamp, take_in, tree_hash

NB = "losses_and_gradients.ipynb"
SECRET = "TOP-SECRET-REFERENCE-CONTENT"


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging (a FIFO that nobody writes blocks a reader)."""
    def expired(*_):
        raise TimeoutError(f"took longer than {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def course(tmp_path):
    """submitted/<student>/a1/ with a notebook and a helper; a secret outside."""
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "secret.py").write_text(f"X = '{SECRET}'\n")
    folder = tmp_path / "submitted" / "eve" / "a1"
    folder.mkdir(parents=True)
    (folder / NB).write_text('{"cells": []}')
    (folder / "timestamp.txt").write_text("2026-01-01 10:00:00.000000 UTC")
    return tmp_path


def take(course, student="eve", limits=Limits(), ignore=()):
    with deadline(120):  # a hang, not slowness: a FIFO read would block for ever
        return take_in(course / "submitted", student, "a1", course / "intake" / student / "a1", limits, ignore)


def refused(course, student="eve", **kwargs) -> str:
    with pytest.raises(Refused) as info:
        take(course, student, **kwargs)
    assert not (course / "intake" / student / "a1").exists()
    text = str(info.value)
    assert SECRET not in text
    return text


def folder(course, student="eve") -> Path:
    return course / "submitted" / student / "a1"


STAMPED = 1767261600  # 2026-01-01 10:00:00 UTC, the fixture's timestamp.txt


def submitted_at(path: Path, seconds: float) -> None:
    """Every file's modification time set to `seconds` (epoch), as nbgrader's
    submit and collect leave them: copied with their times kept."""
    for file in path.rglob("*"):
        if file.is_file():
            os.utime(file, (seconds, seconds))


def test_is_an_honest_submission_copied_byte_for_byte_with_its_timestamp(course):
    (folder(course) / "common").mkdir()
    (folder(course) / "common" / "util.py").write_text("y = 1\n")
    submitted_at(folder(course), STAMPED - 60)
    copy = take(course)
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*")) == [
        "common", "common/util.py", NB, "timestamp.txt"]
    assert (copy / "timestamp.txt").read_text() == "2026-01-01 10:00:00.000000 UTC"
    assert tree_hash(copy) == tree_hash(folder(course))


def test_are_entries_nbgrader_ignores_skipped_without_being_opened(course):
    (folder(course) / ".ipynb_checkpoints").symlink_to(course / "reference")
    copy = take(course, ignore=[".ipynb_checkpoints", "__pycache__"])
    assert not (copy / ".ipynb_checkpoints").exists()


def test_is_a_student_refused_when_a_file_is_a_symlink_to_the_reference(course):
    (folder(course) / "helper.py").symlink_to(course / "reference" / "secret.py")
    assert "helper.py is a symbolic link" in refused(course)


def test_is_a_student_refused_when_a_subfolder_is_a_symlink(course):
    (folder(course) / "common").symlink_to(course / "reference")
    assert "common is a symbolic link" in refused(course)


def test_is_a_student_refused_when_the_notebook_is_a_symlink_to_another_students(course):
    other = folder(course, "aoki")
    other.mkdir(parents=True)
    (other / NB).write_text(SECRET)
    (folder(course) / NB).unlink()
    (folder(course) / NB).symlink_to(other / NB)
    assert "symbolic link" in refused(course)


@pytest.mark.parametrize("target", ["/proc/self/mem", "/proc/self/environ", "/dev/zero"])
def test_is_a_student_refused_without_reading_a_link_to_proc_or_dev(course, target):
    (folder(course) / "data.npy").symlink_to(target)
    assert "data.npy is a symbolic link" in refused(course)


def test_is_a_student_refused_and_nothing_hangs_when_the_notebook_is_a_fifo(course):
    (folder(course) / NB).unlink()
    os.mkfifo(folder(course) / NB)
    assert "FIFO" in refused(course)


def test_is_a_student_refused_when_a_file_is_a_hard_link(course):
    os.link(course / "reference" / "secret.py", folder(course) / "helper.py")
    assert "hard link" in refused(course)


def test_is_a_student_refused_when_a_file_is_a_device(course, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(folder(course) / "zero", 0o600 | 0o020000, os.makedev(1, 5))  # like /dev/zero
    assert "device file" in refused(course)


def test_is_a_student_refused_when_a_file_is_a_socket(course):
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder(course) / "s.sock"))
    try:
        assert "socket" in refused(course)
    finally:
        sock.close()


def test_is_a_student_refused_when_a_file_is_too_large(course):
    (folder(course) / "big.bin").write_bytes(b"0" * 2048)
    assert "big.bin is larger than" in refused(course, limits=Limits(max_file_bytes=1024))


def test_is_a_student_refused_when_the_submission_is_too_large_in_total(course):
    for i in range(3):
        (folder(course) / f"part{i}.bin").write_bytes(b"0" * 800)
    assert "in total" in refused(course, limits=Limits(max_file_bytes=1024, max_total_bytes=2000))


def test_is_a_student_refused_when_there_are_too_many_files(course):
    for i in range(20):
        (folder(course) / f"f{i}.txt").write_text("x")
    assert "more than 10 files" in refused(course, limits=Limits(max_entries=10))


def test_is_a_student_refused_when_folders_are_nested_too_deep(course):
    deep = folder(course).joinpath(*"abcdefghij")
    deep.mkdir(parents=True)
    assert "nested more than" in refused(course, limits=Limits(max_depth=4))


def test_is_a_student_refused_when_the_student_folder_is_a_symlink(course):
    (course / "submitted" / "mallory").symlink_to(course / "submitted" / "eve")
    assert "The student folder 'mallory' is a symbolic link" in refused(course, "mallory")


def test_is_a_student_refused_when_the_assignment_folder_is_a_symlink(course):
    (course / "submitted" / "mallory").mkdir()
    (course / "submitted" / "mallory" / "a1").symlink_to(folder(course))
    assert "symbolic link" in refused(course, "mallory")


@pytest.mark.parametrize("student", ["*", "a?", "[ab]", ".hidden", "-rf", "tab\tname", " lead", "trail ",
                                     "new\nline", "zero\u200bwidth", "nb\u00a0sp", "a,b", "back\\slash"])
def test_is_a_student_refused_when_the_folder_name_cannot_be_an_nbgrader_id(course, student):
    (course / "submitted" / student).mkdir()
    (course / "submitted" / student / "a1").mkdir()
    assert "cannot be used as an nbgrader id" in refused(course, student)


@pytest.mark.parametrize("student", ["aoki", "yamada taro", "山田花子", "山田\u3000花子", "o'brien", "a.b-c_d"])
def test_are_ordinary_student_names_accepted(student):
    assert id_problem(student) is None


def test_is_a_student_refused_when_a_notebook_name_holds_glob_characters(course):
    (folder(course) / "*.ipynb").write_text("{}")
    assert "cannot be graded" in refused(course)


# ---------------------------------------- issue 20: a forged timestamp.txt ---

def take_noting(course, limits=Limits()):
    copy = take(course)
    return copy, check_timestamp(copy, limits)


def test_does_a_timestamp_earlier_than_the_files_give_the_files_time_and_a_note(course):
    submitted_at(folder(course), STAMPED + 3 * 86400)  # written three days after the time it claims
    copy, (note, when) = take_noting(course)
    assert when == "2026-01-04T10:00:00"
    assert "timestamp.txt says 2026-01-01 10:00:00 UTC" in note and "graded as submitted at 2026-01-04 10:00:00" in note
    for path in (copy, folder(course)):  # left as submitted: release_feedback matches it
        assert (path / "timestamp.txt").read_text() == "2026-01-01 10:00:00.000000 UTC"


def test_is_a_forged_timestamp_only_reported_when_file_times_are_not_enforced(course):
    submitted_at(folder(course), STAMPED + 86400)
    _, (note, when) = take_noting(course, Limits(enforce_file_times=0))
    assert when is None and "enforce_file_times = 0" in note


def test_does_a_timestamp_txt_rewritten_later_count_even_if_the_notebook_looks_older(course):
    submitted_at(folder(course), STAMPED - 3600)
    os.utime(folder(course) / "timestamp.txt", (STAMPED + 86400, STAMPED + 86400))
    _, (note, when) = take_noting(course)
    assert when == "2026-01-02T10:00:00" and "'timestamp.txt' was written at" in note


def test_are_files_written_within_the_slack_or_before_the_timestamp_no_disagreement(course):
    submitted_at(folder(course), STAMPED + 299)
    assert take_noting(course)[1] == (None, None)
    shutil.rmtree(course / "intake")
    submitted_at(folder(course), STAMPED - 86400)
    assert take_noting(course)[1] == (None, None)


def test_is_a_submission_without_a_readable_timestamp_left_to_nbgrader(course):
    (folder(course) / "timestamp.txt").write_text("not a time")
    assert take_noting(course)[1] == (None, None)
