"""SelfCheckCells: an instructor switches the "Check my work" cells off for
one assignment in nbgrader_config.py and its released notebooks have none,
while the other assignments keep theirs; grading never counts them."""
import nbformat

from bpkit.course import Course
from bpkit.preprocessors.self_check_cells import SELF_CHECK_TAG, SelfCheckCells, is_self_check
from conftest import ROOT, copy_course


def check_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if is_self_check(c)]


def test_source_has_a_setup_cell_and_a_check_cell_after_each_exercise_and_release_keeps_them():
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        cells = check_cells(path)
        assert len(cells) >= 2 and "import check_my_work" in cells[0].source, path
        assert all("check_my_work(" in c.source and not c.metadata.get("nbgrader") for c in cells)
        released = ROOT / "release" / path.parent.name / path.name
        assert [c.source for c in check_cells(released)] == [c.source for c in cells]


def test_switched_off_for_one_assignment_its_release_has_none_and_the_others_keep_theirs(tmp_path):
    course = copy_course(tmp_path / "course")
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write('\nc.SelfCheckCells.per_assignment = {"ch4_gradients": False}\n')
    Course(course).release("ch4_gradients")
    Course(course).release("ch5_backprop")
    (ch4,) = (course / "release" / "ch4_gradients").glob("*.ipynb")
    (ch5,) = (course / "release" / "ch5_backprop").glob("*.ipynb")
    assert check_cells(ch4) == [] and SELF_CHECK_TAG not in ch4.read_text(encoding="utf-8")
    assert "check_my_work" not in ch4.read_text(encoding="utf-8")
    assert len(check_cells(ch5)) >= 2


def test_the_switch_defaults_to_on():
    step = SelfCheckCells()
    assert step.keeps("anything") and not SelfCheckCells(default=False).keeps("anything")
    assert not SelfCheckCells(per_assignment={"a": False}).keeps("a")
