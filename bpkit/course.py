"""An nbgrader course directory, opened once with its configuration loaded."""
from __future__ import annotations

import os
import sys
import tempfile
import unicodedata
import warnings
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

__all__ = ["Course", "CourseError", "behaviour", "ensure_tools_on_path", "id_problem"]


class CourseError(Exception):
    """The directory is not a usable course, or an assignment is unknown."""


def ensure_tools_on_path() -> None:
    """Put this interpreter's bin/ first on PATH.

    nbgrader shells out to ``alembic`` when it creates a gradebook, and the
    grading kernel is started as ``python`` from PATH: both must come from
    the same virtualenv as bpkit, even when bpkit is run by its full path
    without activating the virtualenv.
    """
    bin_dir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *[p for p in parts if p != bin_dir]])


_GLOB = set("*?[]")
_FORBIDDEN = _GLOB | set("/\\,") | {"\x00"}
_SPACES = {" ", "\u3000"}  # an ordinary or an ideographic space, inside a name


def behaviour(source: str, grade_id: str, sep: str = " / ") -> str:
    """What a grade cell grades, as students read it in the tables: its
    docstring, an English line then a Japanese one, joined by `sep` ("English
    / 日本語" on a page; a terminal passes a newline), a one-line docstring as
    it is, or its grade id when the cell starts with no such docstring."""
    text = source.strip()
    if not text.startswith('"""'):
        return grade_id
    end = text.find('"""', 3)
    lines = [line.strip() for line in text[3:end].splitlines()] if end > 3 else []
    if not 1 <= len(lines) <= 2 or not all(lines) or any(len(line) > 300 for line in lines):
        return grade_id
    return sep.join(lines)


def id_problem(name: str) -> str | None:
    """Why `name` cannot be an nbgrader id (student, assignment, notebook),
    or None if it can.  Spaces inside a name and non-ASCII letters are fine."""
    if not name or name in (".", ".."):
        return "the name is empty"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not valid UTF-8"
    if len(name) > 100:
        return "the name is longer than 100 characters"
    if name[0] in ".-":
        return f"the name starts with {name[0]!r}"
    if name != name.strip("".join(_SPACES)):
        return "the name starts or ends with a space"
    for char in name:
        if char in _FORBIDDEN:
            return f"the name contains {char!r} (glob characters, path separators and commas are not allowed)"
        category = unicodedata.category(char)
        if category[0] in "CZ" and char not in _SPACES:
            return f"the name contains the invisible or control character U+{ord(char):04X}"
    return None


class Course:
    """The course at ``root`` (the directory holding nbgrader_config.py)."""

    def __init__(self, root: str | os.PathLike = "."):
        self.root = Path(root).resolve()
        config_file = self.root / "nbgrader_config.py"
        if not config_file.is_file():
            raise CourseError(
                f"{self.root} is not a course directory: nbgrader_config.py is missing. "
                "Run bpkit from the course directory or pass --course DIR.")
        ensure_tools_on_path()
        # nbgrader 0.9's gradebook triggers SQLAlchemy autoflush warnings
        # ("... not in session") that are harmless and only alarm users.
        warnings.filterwarnings("ignore", message=".*not in session.*")
        self.config: Config = PyFileConfigLoader(config_file.name, path=str(self.root)).load_config()
        self.config.CourseDirectory.root = str(self.root)
        self._api = None

    @property
    def api(self):
        """nbgrader's own API object, created once and reused for every call."""
        if self._api is None:
            from nbgrader.apps import NbGraderAPI
            from nbgrader.coursedir import CourseDirectory

            coursedir = CourseDirectory(config=self.config)
            self._api = NbGraderAPI(coursedir=coursedir, config=self.config)
        return self._api

    def _path(self, step: str, student: str, assignment: str) -> Path:
        coursedir = self.api.coursedir
        return Path(coursedir.format_path(step, student, assignment))

    def submitted(self, student: str, assignment: str) -> Path:
        """submitted/<student>/<assignment> (nbgrader's directory names and
        structure, as configured)."""
        return self._path(self.api.coursedir.submitted_directory, student, assignment)

    def autograded(self, student: str, assignment: str) -> Path:
        """autograded/<student>/<assignment>: the graded notebooks and bpkit's files."""
        return self._path(self.api.coursedir.autograded_directory, student, assignment)

    def feedback(self, student: str, assignment: str) -> Path:
        """feedback/<student>/<assignment>: the pages a student gets back."""
        return self._path(self.api.coursedir.feedback_directory, student, assignment)

    @property
    def db_url(self) -> str:
        return self.api.coursedir.db_url

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.api.coursedir.course_id)

    def assignments(self) -> list[str]:
        """Assignment names: the directories of source/."""
        source = self.root / "source"
        return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))

    def check_assignment(self, assignment: str) -> None:
        if assignment not in self.assignments():
            raise CourseError(f"unknown assignment {assignment!r}; the course has: "
                              + ", ".join(self.assignments()))
        problem = id_problem(assignment)
        if problem:  # nbgrader would take it as a glob or a path
            raise CourseError(f"the assignment folder source/{assignment!r} cannot be an nbgrader id: {problem}; "
                              "rename it")

    def submitted_students(self, assignment: str) -> list[str]:
        """The folders of submitted/ that hold `assignment`, as found on disk:
        a student folder or assignment folder that is a link is listed too
        (bpkit.grading.intake refuses it with a reason), and nothing is opened or
        followed beyond a stat, so a FIFO or a device never blocks here."""
        submitted = Path(self.api.coursedir.root) / self.api.coursedir.submitted_directory
        if not submitted.is_dir():
            return []
        return sorted(p.name for p in submitted.iterdir()
                      if (p.is_symlink() or p.is_dir()) and os.path.lexists(p / assignment))

    def release(self, assignment: str, release_dir: str | None = None) -> None:
        """Run nbgrader generate_assignment (which also records the assignment,
        its notebooks and grade cells in the gradebook)."""
        coursedir = self.api.coursedir
        saved = coursedir.release_directory
        if release_dir is not None:
            coursedir.release_directory = release_dir
        try:
            result = self.api.generate_assignment(assignment, force=True, create=True)
        finally:
            coursedir.release_directory = saved
        if not result["success"]:
            raise CourseError(f"nbgrader generate_assignment {assignment} failed:\n"
                              + result.get("error", "") + result.get("log", ""))

    def ensure_in_gradebook(self, assignment: str) -> None:
        """Make sure the gradebook knows the assignment and its grade cells.

        A fresh copy of the course has no gradebook.db; generating the
        assignment into a scratch directory fills it in without touching
        release/.
        """
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                known = bool(gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                known = False
        if not known:
            with tempfile.TemporaryDirectory(prefix="bpkit-release-") as scratch:
                self.release(assignment, release_dir=scratch)
