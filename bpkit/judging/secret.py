"""The course secret that makes hidden inputs unpredictable.

The kit's source is public, so inputs seeded by a check's name alone could be
computed (and their answers tabulated) by anyone.  Each course gets a random
secret the first time it is graded, kept in ``.bpkit-secret`` at the course
root: out of git (.gitignore), out of ``release/`` (nbgrader only copies
``source/<assignment>/``) and out of the sandbox (which sees no course file).
The judge draws each student's hidden inputs from HMAC(secret, student id),
so they differ per course and per student, and regrading with the same
secret reproduces every score.  Deleting the file gives the next grading
run new inputs.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

__all__ = ["SECRET_FILE", "course_secret", "student_salt"]

SECRET_FILE = ".bpkit-secret"


def course_secret(root: str | os.PathLike) -> bytes:
    """The course's secret, created (atomically, mode 0600) if it is missing;
    safe when several grading processes ask at once."""
    path = Path(root) / SECRET_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    temporary = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    try:
        os.link(temporary, path)  # fails if another process made it first: theirs wins
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise ValueError(f"{path} is not a bpkit course secret (delete it to make a new one)")
    return bytes.fromhex(text)


def student_salt(secret: bytes, student: str) -> bytes:
    """The salt of one student's hidden inputs."""
    return hmac.new(secret, student.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()
