"""`bpkit new` (bpkit/authoring/scaffold.py): a Tanh layer in ch5_backprop and
a ch6_optimizers assignment (SGD, Momentum: update(params, grads) with dicts
of arrays) are added from the scaffolding alone, in a copy of the kit; the
author writes only what the scaffold marks TODO(author) (walkthrough.py).
Then `bpkit release` validates both through the judge, the files touched are
exactly the guide's touch points (docs/authoring.md), and the suite's
course-derived tests follow the new course, except the one naming what the
author must still write (an assignment needs at least 6 grade cells)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

import course_facts as facts
from bpkit.authoring.scaffold import ScaffoldError, new_check
from conftest import ROOT, copy_kit
from walkthrough import OPTIMIZER_IDS, TANH_ID, add_optimizers, add_tanh, bpkit

#: The course-derived tests run again in the authored copy (the ones that need no demo run).
FOLLOWING = ["tests/test_course.py", "tests/test_student_notebooks.py", "tests/test_source_solutions.py",
             "tests/checks", "tests/test_architecture.py", "tests/test_lazy.py::test_the_lazy_catalogue_covers_"
             "every_check_and_every_kind", "tests/test_rounding.py::test_every_registered_check_is_run_on_some_entry",
             "tests/test_catalogue.py::test_every_cells_visible_example_is_broken_by_some_entry_and_then_graded"]
#: What the author must still write after the walk-through, and the test that says so.
STILL_TO_WRITE = {"tests/test_course.py::test_every_grade_cell_has_a_behaviour_id_a_docstring_and_points":
                  "source/ch6_optimizers/optimizers.ipynb has 2 grade cells; an assignment has at least 6"}


def files(root) -> dict:
    """Every file of the course an author may edit (tests/ but its catalogue and nbgrader's gradebook.db
    excluded), by relative path."""
    found = {}
    for path in root.rglob("*"):
        name = path.relative_to(root).as_posix()
        if path.is_file() and "__pycache__" not in name and name != "gradebook.db" and (not name.startswith("tests/")
                                                              or name.startswith("tests/catalogue/")):
            found[name] = path.read_bytes()
    return found


@pytest.fixture(scope="module")
def authored(tmp_path_factory):
    course, env = copy_kit(tmp_path_factory.mktemp("authored") / "course")
    before = files(course)
    runs = add_tanh(course, env) + add_optimizers(course, env)
    released = bpkit("release", "ch5_backprop", "ch6_optimizers", "--workers", "1", cwd=course, env=env)
    return {"course": course, "env": env, "before": before, "runs": runs, "release": released}


def test_a_new_layer_and_a_new_assignment_from_the_scaffolding_validate_through_the_judge(authored):
    proc = authored["release"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    full = facts.total("ch5_backprop") + 1  # the scaffold's grade cell is worth 1 point
    assert f"validated ch5_backprop through the judge: the solution scores {full:g} / {full:g}, the stubs pass " \
           f"0 cells" in proc.stdout
    assert "validated ch6_optimizers through the judge: the solution scores 2 / 2, the stubs pass 0 cells" \
        in proc.stdout
    table = (authored["course"] / "README.md").read_text(encoding="utf-8")
    assert f"| `{TANH_ID}` | `ch5.{TANH_ID}` | `finite_differences`, `tanh.uses_input` |" in table  # backprop earned
    for grade_id in OPTIMIZER_IDS:
        assert f"| `{grade_id}` | `ch6.{grade_id}` |" in table


_TANH_BY_DIFFERENCES = """
import numpy as np
import reference as ref
from bpkit.checks import ch5
from bpkit.checks.core import CheckFailure


class Tanh:  # forward right; backward by finite differences of forward, not backprop
    def forward(self, x):
        self.x = x.copy()
        return np.tanh(x)

    def backward(self, dout):
        return ref.numerical_gradient(lambda x_: np.sum(np.tanh(x_) * dout), self.x.copy())


try:
    ch5.check_tanh_backward(Tanh)
    print("passed")
except CheckFailure as exc:
    print(str(exc))
"""


def test_the_guides_tanh_check_fails_a_backward_by_finite_differences(authored):
    proc = subprocess.run([sys.executable, "-c", _TANH_BY_DIFFERENCES], cwd=authored["course"], env=authored["env"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "[finite_differences]" in proc.stdout, proc.stdout[:3000]


def test_the_author_touched_only_the_guides_touch_points(authored):
    after = files(authored["course"])
    changed = sorted(name for name in after if authored["before"].get(name) != after[name])
    changed += sorted(f"(deleted) {name}" for name in authored["before"] if name not in after)
    assert changed == sorted([
        "README.md",  # the table, regenerated
        "bpkit/checks/ch5.py", "bpkit/checks/ch6.py",  # the checks (ch6.py new: registered by existing)
        "reference/__init__.py", "reference/layers.py", "reference/optimizers.py",  # the reference
        "source/ch5_backprop/backprop_layers.ipynb", "source/ch6_optimizers/optimizers.ipynb",  # the exercises
        "release/ch5_backprop/backprop_layers.ipynb", "release/ch6_optimizers/optimizers.ipynb",  # bpkit release
        "tests/catalogue/tanh_uses_input.py", "tests/catalogue/sgd_plus.py", "tests/catalogue/momentum_plus.py",
    ])


def test_the_course_derived_tests_follow_the_new_course_but_for_what_the_author_must_still_write(authored):
    course = authored["course"]
    shutil.copytree(ROOT / "tests", course / "tests", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "catalogue"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", *FOLLOWING],
                          cwd=course, env=authored["env"], capture_output=True, text=True, timeout=1800)
    failed = sorted(set(re.findall(r"^FAILED (\S+)", proc.stdout, re.MULTILINE)))
    assert failed == sorted(STILL_TO_WRITE), proc.stdout[-6000:]
    for test, says in STILL_TO_WRITE.items():
        assert says in proc.stdout, proc.stdout[-6000:]
    assert re.search(r"\b[1-9]\d{2,} passed", proc.stdout), proc.stdout[-2000:]


def test_the_stubs_alone_are_refused_at_release_naming_what_to_write(tmp_path):
    course, env = copy_kit(tmp_path / "course")
    assert bpkit("new", "check", "ch5.tanh_backward", cwd=course, env=env).returncode == 0
    notebook, checks = course / "source" / "ch5_backprop" / "backprop_layers.ipynb", course / "bpkit" / "checks" / "ch5.py"
    proc = bpkit("release", "ch5_backprop", "--workers", "1", cwd=course, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    todo = [line for line in proc.stderr.splitlines() if "left TODO(author) to write" in line or "still says" in line]
    assert any(f"grade cell `{TANH_ID}`" in line for line in todo), proc.stderr
    assert any("(`Tanh_try_it`)" in line for line in todo) and any("markdown cell" in line for line in todo)
    assert any("bpkit/checks/ch5.py, which its grade cells call" in line for line in todo), proc.stderr
    # With every marker gone but nothing written, the judge says what is still missing.
    for path in (notebook, checks):
        path.write_text(path.read_text(encoding="utf-8").replace("TODO(author)", "written"), encoding="utf-8")
    proc = bpkit("release", "ch5_backprop", "--workers", "1", cwd=course, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    where = f"source/ch5_backprop/backprop_layers.ipynb, grade cell `{TANH_ID}`: "
    (said,) = [line for line in proc.stderr.splitlines() if where in line]
    assert "the solution in source/ does not pass this cell ([not_implemented] Tanh.forward(x) is not implemented" \
           in said and "a grade cell must give the solution full marks" in said, said
    assert (course / "release" / "ch5_backprop" / "backprop_layers.ipynb").read_bytes() == \
        (ROOT / "release" / "ch5_backprop" / "backprop_layers.ipynb").read_bytes()  # nothing released


@pytest.mark.parametrize("name, says", [
    ("ch5.relu_backward", "already has check_relu_backward"),
    ("ch5.Tanh", "is not a check name"),
    ("core.tanh_backward", "is the checks' machinery"),
])
def test_new_refuses_a_taken_or_malformed_name_and_writes_nothing(tmp_path, name, says):
    course, _ = copy_kit(tmp_path / "course")
    before = files(course)
    with pytest.raises(ScaffoldError, match=re.escape(says)):
        new_check(course, name)
    assert files(course) == before
