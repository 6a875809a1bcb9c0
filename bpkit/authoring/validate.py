"""``bpkit release`` validates the course through the real judge before it
writes ``release/`` (as ``otter assign`` runs the tests against the solution).

In a scratch copy of the course, every assignment asked for is generated
with nbgrader and graded by the grading pipeline itself (intake, the
bubblewrap sandbox, the judge, the verdicts: bpkit.pipeline.grade_assignment)
for two synthetic students:

- ``solution``: every solution cell as the instructor wrote it in source/
  (bpkit.sample, ``# based on: solution``) -- every grade cell must give
  full marks;
- ``stubs``: the notebook as released -- no grade cell may pass (a check
  that passes the stub does not require the work it grades).

Before that, without running anything (also with ``--no-validate``): the
check modules must load (bpkit.checks.registry: a computed mistake key is
refused), every grade cell must call a check the registry knows, and no
``TODO(author)`` that ``bpkit new`` wrote may be left in the notebook or in
the check modules its grade cells call (students would read it in the
notebook or in their feedback).

Each problem is a :class:`Problem` addressed to the author: the notebook, the
grade cell, what is wrong and the fix.  The command refuses to release while
there is one.
"""
from __future__ import annotations

import inspect
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bpkit.authoring.scaffold import TODO
from bpkit.course import Course

__all__ = ["Problem", "Validation", "static_problems", "todo_problems", "validate", "SOLUTION_STUDENT", "STUBS_STUDENT",
           "NO_VALIDATE_SKIPS"]

SOLUTION_STUDENT = "solution"
STUBS_STUDENT = "stubs"
#: What `bpkit release --no-validate` does not do (its help and its warning say so).
NO_VALIDATE_SKIPS = ("grades neither the solution nor the stubs through the judge, so a check that fails the "
                     "solution or passes the stub, an argument the judge cannot send and a check that raises reach "
                     "students (the registry and the check names of the grade cells are still checked)")


@dataclass
class Problem:
    """One thing the author must fix before the assignment is released."""

    assignment: str
    cell: str  # the grade id ("" for the course as a whole)
    message: str  # what is wrong, and the fix
    notebook: str = ""

    def __str__(self) -> str:
        where = f"source/{self.assignment}/{self.notebook}.ipynb" if self.notebook else f"source/{self.assignment}/"
        cell = f", grade cell `{self.cell}`" if self.cell else ""
        return f"{where}{cell}: {self.message}"


@dataclass
class Validation:
    """What validating one assignment found."""

    assignment: str
    problems: list[Problem]
    solution_score: tuple[float, float] = (0.0, 0.0)  # (score, max) of the solution
    stub_cells_passed: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def static_problems(root: Path, assignment: str) -> list[Problem]:
    """What can be told without running anything: the registry loads, every
    grade cell calls a check, and every check it calls is registered."""
    from bpkit.checks import registry
    from bpkit.judging.judge import unknown_check

    try:
        registry.checks()
        cells = registry.grade_cells(root, assignment)
    except registry.RegistryError as exc:
        return [Problem(assignment, "", f"the check modules do not load: {exc}")]
    problems = [Problem(assignment, cell.grade_id, unknown_check(name).course_error, cell.notebook)
                for cell, name in registry.unknown_checks(root, assignment)]
    problems += [Problem(assignment, cell.grade_id, "the grade cell calls no check, so the judge would never decide it "
                         "(nbgrader's in-notebook score would stand): add `from bpkit.probe import check` and "
                         "`check(\"<module>.<behaviour>\", <the student's object>)` to its hidden tests",
                         cell.notebook) for cell in cells if not cell.checks]
    if not cells:
        problems.append(Problem(assignment, "", "the assignment has no grade cell (nbgrader `grade: true` with "
                                                "points); `bpkit new assignment` writes a notebook that has them"))
    return problems + todo_problems(root, assignment, cells)


_SHOWN = 5  # TODO lines quoted per file; the rest are counted


_REGION = re.compile(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)")


def _todo_lines(text: str) -> list[tuple[int, str, bool]]:
    """(line number, line, whether students see it: outside the solution and hidden tests)."""
    found, hidden = [], False
    for n, line in enumerate(text.splitlines(), 1):
        region = _REGION.search(line)
        if region:
            hidden = region.group(1) == "BEGIN"
        elif TODO in line:
            found.append((n, line.strip()[:160], not hidden))
    return found


def _quoted(found) -> str:
    more = f" (and {len(found) - _SHOWN} more)" if len(found) > _SHOWN else ""
    return "; ".join(f"line {n}: {line}" for n, line, _ in found[:_SHOWN]) + more


def todo_problems(root: Path, assignment: str, cells=()) -> list[Problem]:
    """Every ``TODO(author)`` still in the assignment's notebooks (one
    problem per cell) and in the check modules its grade cells call (one per
    module), quoted with its line."""
    import nbformat
    from bpkit.checks import registry

    problems = []
    for path in sorted((Path(root) / "source" / assignment).glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells, 1):
            found = _todo_lines(cell.source)
            if not found:
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            what = "" if cell.metadata.get("nbgrader", {}).get("grade") else \
                f"{cell.cell_type} cell {index}" + (f" (`{grade_id}`)" if grade_id else "") + ": "
            seen = " (students would read it in the released notebook)" if any(s for *_, s in found) else ""
            problems.append(Problem(assignment, grade_id if not what else "",
                                    f"{what}`bpkit new` left {TODO} to write{seen}: {_quoted(found)}", path.stem))
    modules = set()
    for cell in cells:
        for name in cell.checks:
            try:
                modules.add(inspect.getsourcefile(inspect.unwrap(registry.get(name).function)))
            except (KeyError, TypeError):
                continue  # an unknown check is its own problem
    for module in sorted(m for m in modules if m):
        found = _todo_lines(Path(module).read_text(encoding="utf-8"))
        if found:
            shown = Path(module).relative_to(root).as_posix() if Path(module).is_relative_to(root) else module
            problems.append(Problem(assignment, "", f"{shown}, which its grade cells call, still says {TODO} "
                                                    f"(its mistakes' sentences reach the students' feedback): "
                                                    f"{_quoted(found)}"))
    return problems


def _scratch_course(root: Path, dest: Path) -> Course:
    dest.mkdir(parents=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(root / "source", dest / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints",
                                                                                   "__pycache__"))
    return Course(dest)


def validate(course: Course, assignments: list[str], workers: int = 2, log=print) -> list[Validation]:
    """Validate each assignment (see the module's docstring) in a scratch copy
    of `course`; the course itself is not touched.  Raises
    bpkit.isolation.sandbox.SandboxUnavailable when the sandbox cannot start."""
    from bpkit.pipeline import grade_assignment
    from bpkit.sample import SOLUTION, Cells, write_submission

    found = [Validation(a, static_problems(course.root, a)) for a in assignments]
    if any(v.problems for v in found):  # nothing to run yet: the author fixes these first
        return found
    with tempfile.TemporaryDirectory(prefix="bpkit-validate-") as name:
        scratch = _scratch_course(course.root, Path(name) / "course")
        for validation in found:
            started = time.monotonic()
            assignment = validation.assignment
            scratch.release(assignment)  # nbgrader generate_assignment: the notebooks students get
            solution = Cells()
            solution.fallback = SOLUTION
            for student, cells in ((SOLUTION_STUDENT, solution), (STUBS_STUDENT, Cells())):
                write_submission(scratch.root / "release", assignment, cells,
                                 scratch.root / "submitted" / student / assignment, scratch.root / "source")
            results = {r.student: r for r in grade_assignment(scratch, assignment, feedback=False, workers=workers,
                                                               log=lambda m: None)}
            validation.problems = _judged_problems(scratch, assignment, results)
            validation.seconds = time.monotonic() - started
            solved = results.get(SOLUTION_STUDENT)
            if solved is not None and solved.ok:
                validation.solution_score = (solved.score, solved.max_score)
            stubs = results.get(STUBS_STUDENT)
            if stubs is not None and stubs.ok:
                validation.stub_cells_passed = len(stubs.cells) - len(stubs.failed)
    return found


def _notebooks(root: Path, assignment: str) -> dict[str, str]:
    """grade id -> notebook (file name without .ipynb)."""
    from bpkit.checks import registry

    return {cell.grade_id: cell.notebook for cell in registry.grade_cells(root, assignment)}


def _judged_problems(course: Course, assignment: str, results: dict) -> list[Problem]:
    notebook_of = _notebooks(course.root, assignment)
    problems: list[Problem] = []

    def add(cell: str, message: str) -> None:
        problem = Problem(assignment, cell, message, notebook_of.get(cell, ""))
        if all(str(p) != str(problem) for p in problems):
            problems.append(problem)

    for student in (SOLUTION_STUDENT, STUBS_STUDENT):
        result = results.get(student)
        if result is None or not result.ok:
            add("", f"the {student} could not be graded: {result.error if result else 'no result'}; run the "
                    f"notebook of source/{assignment}/ from the top in Jupyter to see why")
            continue
        for cell, message in result.course_errors:
            add(cell, message)
        if student == SOLUTION_STUDENT:
            for cell in result.failed:
                reason = result.reasons.get(cell, "failed")
                said = " / ".join(result.messages.get(reason, "").splitlines()[:1])
                add(cell, f"the solution in source/ does not pass this cell ([{reason}] {said}): the check, the "
                          f"reference it compares with, or the solution is wrong; a grade cell must give the "
                          f"solution full marks")
            for cell, evidence in result.findings:
                if "worth a look" not in evidence:
                    add(cell if cell in notebook_of else "", f"grading the solution raised an integrity finding: "
                                                             f"{evidence}")
        else:
            stub_passed = [cell for cell in result.cells if cell not in result.failed]
            for cell in stub_passed:
                if any(c == cell for c, _ in result.course_errors):
                    continue  # said above
                add(cell, "this cell passes with the stub as released (`raise NotImplementedError`): its check "
                          "does not require the work it grades; make it call the student's code and compare the "
                          "answer (see docs/authoring.md, \"Writing a check\")")
    return problems
