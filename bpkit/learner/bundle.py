"""The course that ships inside the kit.

A plain ``pip install`` of bpkit carries the course as package data
(``bpkit/bundle/``: ``nbgrader_config.py``, ``source/`` and ``release/``, see
pyproject.toml), so a learner needs no clone: ``bpkit exercises DIR`` copies
the student notebooks out of it, ``bpkit check`` recognises a notebook by
the instructor's notebooks in it, and ``bpkit demo`` grades its sample class
in a scratch copy of it.  In a checkout (an editable install) the course is
the repository itself.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import bpkit

__all__ = ["BundleMissing", "course_root", "assignments", "Written", "write_exercises"]

#: What a course directory must hold to be used from the bundle.
_NEEDED = ("nbgrader_config.py", "source", "release")
#: Never copied out of release/ (editor debris, caches).
_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


class BundleMissing(Exception):
    """The installed kit has no course (a broken or partial install)."""


def course_root() -> Path:
    """The course directory shipped with the kit: ``bpkit/bundle`` in an
    installed wheel, the repository in a checkout."""
    package = Path(bpkit.__file__).resolve().parent
    for candidate in (package / "bundle", package.parent):
        if all((candidate / name).exists() for name in _NEEDED):
            return candidate
    raise BundleMissing(f"the kit installed at {package} has no course in it (bpkit/bundle/ is missing): "
                        "reinstall it with `pip install --force-reinstall bpkit`")


def assignments(root: Path | None = None) -> list[str]:
    """The assignments of the shipped course: the folders of its release/."""
    release = (root or course_root()) / "release"
    return sorted(p.name for p in release.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


@dataclass
class Written:
    """What write_exercises did: notebooks written, files left as they were."""

    notebooks: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # already there: never overwritten (the learner's work)


def write_exercises(dest: Path, root: Path | None = None) -> Written:
    """Copy every assignment's student notebooks and their ``common/`` from
    the shipped release/ into ``dest/<assignment>/``.

    Only release/ is copied: no solution and no hidden test is in it (the
    tests of tests/test_student_notebooks.py and tests/test_packaging.py).
    A file that already exists in dest is kept as it is, so running the
    command again never destroys a learner's work.
    """
    root = root or course_root()
    written = Written()
    for assignment in assignments(root):
        src = root / "release" / assignment
        for path in sorted(src.rglob("*")):
            relative = path.relative_to(src)
            if path.is_dir() or _IGNORE(str(path.parent), [path.name]):
                continue
            if any(part in ("__pycache__", ".ipynb_checkpoints") for part in relative.parts):
                continue
            target = dest / assignment / relative
            if target.exists():
                written.kept.append(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            if target.suffix == ".ipynb":
                written.notebooks.append(target)
    return written
