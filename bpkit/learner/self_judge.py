"""The hidden checks, run on the learner's machine by the judge grading uses.

A self-check must reach the verdict `bpkit grade` reaches for the same code,
so it asks the same judge (bpkit.judging.judge) over the same protocol
(bpkit.probe): the learner's objects are proxies, arguments are copies, the
check's budgets are the same.  The judge runs in a thread of this process
and the learner's code on the calling thread (``bpkit check`` runs the
learner's notebook in a kernel of its own instead and points its probe at
the judge).  Where Unix sockets do not exist (Windows), the check runs in
this process directly.

Hidden inputs are drawn from a seed of the learner's machine (a random
secret made on first use in ``~/.config/bpkit/.bpkit-secret``, or in
``$BPKIT_HOME``), never from a course's secret: a course's inputs stay the
course's, and the learner's are their own.
"""
from __future__ import annotations

import os
import secrets
import socket
import tempfile
from pathlib import Path

from bpkit.checks import registry
from bpkit.checks.core import CheckFailure, collecting_notes, quietly, seeded
from bpkit.judging.judge import Judge, Verdict
from bpkit.judging.secret import course_secret, student_salt
from bpkit.probe import ask_judge

__all__ = ["SEED_ENV", "seed_dir", "learner_salt", "judge_here", "socket_dir", "UNREACHED"]

#: A folder for the learner's seed other than ~/.config/bpkit (tests, shared machines).
SEED_ENV = "BPKIT_HOME"

UNREACHED = Verdict(False, "The check could not talk to your code (it stopped, or took too long).\n"
                           "チェックがあなたのコードと通信できませんでした（停止したか、時間がかかりすぎました）。\n[sandbox]")


def seed_dir() -> Path:
    """Where the learner's seed is kept."""
    if os.environ.get(SEED_ENV):
        return Path(os.environ[SEED_ENV])
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "bpkit"


def learner_salt() -> bytes:
    """The salt of this machine's self-check inputs (stable across runs).
    Where no seed can be kept (a read-only home), a fresh one per process."""
    try:
        folder = seed_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return student_salt(course_secret(folder), "self-check")
    except (OSError, ValueError):
        return secrets.token_bytes(32)


def socket_dir() -> Path:
    """A new private folder for a judge's socket (a Unix socket's path must
    stay under 108 bytes, so a long TMPDIR is passed over for /tmp)."""
    parent = tempfile.gettempdir()
    if len(parent) > 60 and os.path.isdir("/tmp"):
        parent = "/tmp"
    return Path(tempfile.mkdtemp(prefix="bpkit-self-", dir=parent))


def judge_here(check: str, obj, salt: bytes) -> Verdict:
    """The verdict of check `check` (e.g. "ch5.relu_backward") on the
    learner's `obj`, living in this process, with hidden inputs from `salt`."""
    if not hasattr(socket, "AF_UNIX"):
        return _in_process(check, obj, salt)
    folder = socket_dir()
    try:
        with Judge(folder, allowed={check}, salt=salt) as judge:
            try:
                ask_judge(judge.path, check, obj)
            except SystemExit:  # the learner's code called exit(): the judge saw the check stop, as in grading
                pass
        return (judge.verdicts.get(check) or [UNREACHED])[0]
    finally:
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
        folder.rmdir()


def _in_process(check: str, obj, salt: bytes) -> Verdict:
    notes: list[str] = []
    try:
        with collecting_notes(notes), seeded(salt), quietly():
            registry.get(check).function(obj)
    except CheckFailure as exc:
        return Verdict(False, str(exc), "\n".join(notes))
    return Verdict(True, "", "\n".join(notes))
