"""Take a submission in: a sanitised copy, made before anything else reads it.

Classes of problem this module stops (issue #10):

- **Links.**  A symbolic link anywhere in a submission (the student folder,
  the assignment folder, a file, a subfolder) would be followed by whoever
  reads it as the grading user: to ``reference/``, ``source/``, another
  student's notebook, the gradebook or ``/proc/self/environ`` (shown back in
  the student's feedback), to a helper module that imports the reference,
  or to ``/proc/self/mem``.  A hard link (``st_nlink > 1``) is another name
  for a file outside the submission.  Both are refused; nothing is followed.
- **Special files.**  A FIFO named like the notebook hangs a reader; a
  device (``/dev/zero``) never ends; a socket cannot be read.  Only regular
  files are read, opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with
  ``fstat`` before a byte is read.
- **Size.**  Caps on each file, the total, the number of entries and the
  folder depth (``Limits``), so no submission fills the disk.
- **Names used as nbgrader ids.**  nbgrader treats a student id as a glob
  (a student folder named ``*`` made other students' graded files
  disappear) and builds paths and regular expressions from it:
  ``id_problem`` refuses glob characters, path separators, leading dots,
  control and format characters, odd whitespace, and names that are not
  UTF-8.

- **A forged ``timestamp.txt``** (issue 20).  nbgrader takes the
  submission time from that file, which the student writes; a late student
  could claim an earlier time.  nbgrader's submit and collect copy files
  keeping their modification times, and submit writes ``timestamp.txt``
  itself, so in an honest submission no file, ``timestamp.txt`` included,
  was written after the time it claims.  The rule: the submission time is
  the later of ``timestamp.txt`` and the newest modification time among the
    submission's files, allowing ``Limits.timestamp_slack_seconds`` (300 s)
  of clock difference (``check_timestamp``, on the copy, whose files keep
  their times); when they disagree the later time is the one the
  gradebook records (so nbgrader's late penalty applies to it) and the
  disagreement is reported (the instructor's terminal and the class
  report).  ``timestamp.txt`` itself is left as submitted, so nbgrader's
  release_feedback and fetch_feedback still match it.
  ``c.BpkitIntake.enforce_file_times = 0`` only reports a disagreement.

A refusal is a ``Refused`` exception whose text (English, then Japanese)
tells the student what to fix; the caller records that submission as not
graded and goes on with the others.  Entries nbgrader ignores anyway
(``CourseDirectory.ignore``: ``.ipynb_checkpoints``, ``__pycache__``, …) are
skipped without being opened.  Everything else, ``timestamp.txt`` included,
is copied byte for byte, and ``tree_hash`` hashes the copy.
"""
from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bpkit.course import id_problem

__all__ = ["Limits", "Refused", "id_problem", "take_in", "tree_hash", "check_timestamp"]


class Refused(Exception):
    """A submission that is not graded; str() is the reason for the student."""


@dataclass(frozen=True)
class Limits:
    """Caps on one submission (one student's folder for one assignment).

    Configurable in nbgrader_config.py, e.g. ``c.BpkitIntake.max_file_bytes = 64 << 20``.
    """

    max_file_bytes: int = 32 << 20
    max_total_bytes: int = 128 << 20
    max_entries: int = 500
    max_depth: int = 8
    timestamp_slack_seconds: int = 300  # clock difference allowed between timestamp.txt and the files' times
    enforce_file_times: int = 1  # 1: a submission is as late as its newest file; 0: only report a disagreement

    @classmethod
    def from_config(cls, config) -> "Limits":
        section = config.get("BpkitIntake", {}) if config is not None else {}
        return cls(**{k: int(v) for k, v in dict(section).items() if k in cls.__dataclass_fields__})


def _refuse(en: str, ja: str) -> Refused:
    return Refused(f"{en}\n{ja}")


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a regular file"


_KIND_JA = {"a symbolic link": "シンボリックリンク", "a FIFO (named pipe)": "名前付きパイプ (FIFO)",
            "a socket": "ソケット", "a device file": "デバイスファイル", "not a regular file": "通常のファイル以外"}


def _not_plain(where: str, mode: int) -> Refused:
    kind = _kind(mode)
    return _refuse(f"{where} is {kind}, not a plain file or folder; links and special files are not accepted. "
                   "Submit the file itself (copy it, do not link it).",
                   f"{where} は{_KIND_JA[kind]}で、通常のファイルやフォルダではありません。リンクや特殊ファイルは"
                   "受け付けません。ファイルそのものを（リンクではなくコピーして）提出してください。")


def _open_dir(name: str, dir_fd: int | None, where: str) -> int:
    """Open a folder without following a link; Refused if it is anything else."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        raise _refuse(f"{where} does not exist.", f"{where} がありません。") from None
    if not stat.S_ISDIR(st.st_mode):
        raise _not_plain(where, st.st_mode)
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:  # replaced by a link meanwhile (ELOOP / ENOTDIR)
        raise _refuse(f"{where} could not be opened as a folder ({errno.errorcode.get(exc.errno, exc.errno)}).",
                      f"{where} をフォルダとして開けませんでした。") from None
    if not stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_plain(where, os.fstat(fd).st_mode)
    return fd


class _Copier:
    """One walk of a submission folder into dest, counting against Limits."""

    def __init__(self, limits: Limits, ignore: list[str]):
        self.limits, self.ignore = limits, ignore
        self.entries = self.total = 0

    def ignored(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.ignore)

    def copy_dir(self, fd: int, dest: Path, rel: str, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise _refuse(f"{rel} is nested more than {self.limits.max_depth} folders deep.",
                          f"{rel} のフォルダの階層が深すぎます（上限 {self.limits.max_depth}）。")
        dest.mkdir(parents=True, exist_ok=True)
        for name in sorted(os.listdir(fd)):
            where = f"{rel}/{name}" if rel else name
            problem = _name_problem(name)
            if problem:
                raise _refuse(f"The file name {where!r} cannot be graded: {problem}.",
                              f"ファイル名 {where!r} は採点できません（{problem}）。")
            if self.ignored(name):
                continue  # nbgrader ignores it too: never opened
            self.entries += 1
            if self.entries > self.limits.max_entries:
                raise _refuse(f"The submission holds more than {self.limits.max_entries} files and folders.",
                              f"提出物のファイルとフォルダが多すぎます（上限 {self.limits.max_entries}）。")
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                sub = _open_dir(name, fd, where)
                try:
                    self.copy_dir(sub, dest / name, where, depth + 1)
                finally:
                    os.close(sub)
            elif stat.S_ISREG(st.st_mode):
                self.copy_file(fd, name, dest / name, where)
            else:
                raise _not_plain(where, st.st_mode)

    def copy_file(self, dir_fd: int, name: str, dest: Path, where: str) -> None:
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
        except OSError:  # a link (ELOOP) or gone since it was listed
            raise _refuse(f"{where} could not be opened as a plain file.",
                          f"{where} を通常のファイルとして開けませんでした。") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _not_plain(where, st.st_mode)
            if st.st_nlink > 1:
                raise _refuse(f"{where} is a hard link (another name for a file elsewhere); submit a copy of the "
                              "file instead.",
                              f"{where} はハードリンク（別の場所にあるファイルの別名）です。ファイルのコピーを提出してください。")
            cap = min(self.limits.max_file_bytes, self.limits.max_total_bytes - self.total)
            data = _read_at_most(fd, cap + 1)
            if len(data) > self.limits.max_file_bytes:
                raise _refuse(f"{where} is larger than {self.limits.max_file_bytes >> 20} MB.",
                              f"{where} が大きすぎます（上限 {self.limits.max_file_bytes >> 20} MB）。")
            if len(data) > cap:
                raise _refuse(f"The submission is larger than {self.limits.max_total_bytes >> 20} MB in total.",
                              f"提出物の合計サイズが大きすぎます（上限 {self.limits.max_total_bytes >> 20} MB）。")
            self.total += len(data)
        finally:
            os.close(fd)
        dest.write_bytes(data)
        os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _name_problem(name: str) -> str | None:
    """A file or folder name inside a submission: it must be UTF-8 without
    control characters (notebook names, which nbgrader uses as ids, must
    also pass id_problem)."""
    if name.endswith(".ipynb"):
        return id_problem(name[:-len(".ipynb")])
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not valid UTF-8"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "the name contains a control character"
    return None


def take_in(submitted: Path, student: str, assignment: str, dest: Path, limits: Limits = Limits(),
            ignore: list[str] = ()) -> Path:
    """Copy submitted/<student>/<assignment>/ to dest (which must not exist),
    following no link and reading only regular files, each file keeping its
    modification time; return dest.

    Raises Refused (with the reason for the student) for a bad student or
    assignment name, a link or special file at any level, a hard link, or a
    submission over `limits`; dest is then removed.
    """
    for what, name in (("student folder", student), ("assignment folder", assignment)):
        problem = id_problem(name)
        if problem:
            raise _refuse(f"The {what} name {name!r} cannot be used as an nbgrader id: {problem}. "
                          "Ask your instructor to rename it.",
                          f"{what} の名前 {name!r} は nbgrader の ID として使えません（{problem}）。"
                          "教員に名前の変更を依頼してください。")
    import shutil

    root = os.open(submitted, os.O_RDONLY | os.O_DIRECTORY)  # the course's own folder
    opened = [root]
    try:
        opened.append(_open_dir(student, root, f"The student folder {student!r}"))
        opened.append(_open_dir(assignment, opened[-1], f"The assignment folder {student}/{assignment}"))
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            _Copier(limits, list(ignore)).copy_dir(opened[-1], dest, "", 0)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    finally:
        for fd in reversed(opened):
            os.close(fd)
    return dest


def check_timestamp(copy: Path, limits: Limits = Limits()) -> tuple[str | None, str | None]:
    """Cross-check a sanitised copy's timestamp.txt with the newest
    modification time among its files (take_in keeps them); returns (what
    the instructor should know, the submission time to record instead as a
    naive UTC ISO string), both None when they agree (within
    limits.timestamp_slack_seconds) or there is no readable timestamp.txt."""
    from datetime import datetime, timedelta, timezone

    from nbgrader.utils import parse_utc

    path = copy / "timestamp.txt"
    if not path.is_file():
        return None, None
    try:
        claimed = parse_utc(path.read_text(encoding="utf-8", errors="replace").strip()[:100])
    except (ValueError, OverflowError, TypeError):
        return None, None  # nbgrader reports an unreadable timestamp itself
    if claimed is None:
        return None, None
    claimed = claimed.replace(tzinfo=timezone.utc) if claimed.tzinfo is None else claimed.astimezone(timezone.utc)
    files = [Path(folder, name) for folder, _, names in os.walk(copy) for name in names]
    mtime, newest = max((f.stat().st_mtime_ns, str(f.relative_to(copy))) for f in files)
    written = datetime.fromtimestamp(mtime / 1e9, timezone.utc)
    if written <= claimed + timedelta(seconds=limits.timestamp_slack_seconds):
        return None, None
    note = (f"timestamp.txt says {claimed:%Y-%m-%d %H:%M:%S} UTC, but {newest!r} was written at "
            f"{written:%Y-%m-%d %H:%M:%S} UTC, after it")
    if limits.enforce_file_times:
        return (note + f"; graded as submitted at {written:%Y-%m-%d %H:%M:%S} UTC (late penalties follow that time)",
                written.replace(tzinfo=None).isoformat())
    return note + "; graded with timestamp.txt's time (c.BpkitIntake.enforce_file_times = 0)", None


def tree_hash(folder: Path) -> str:
    """sha256 over the relative paths and contents of the files of a
    sanitised copy (made by take_in: plain files and folders only)."""
    digest = hashlib.sha256()
    files = sorted(Path(dirpath, name) for dirpath, _, names in os.walk(folder) for name in names)
    for path in files:  # the order and format of bpkit's earlier submission_hash
        digest.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
