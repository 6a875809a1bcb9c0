"""The course shipped with the kit, and `bpkit exercises`: the student
notebooks and their common/, no solution, no hidden test, and never over a
learner's own work."""
import filecmp

from bpkit.learner.bundle import assignments, course_root, write_exercises
from conftest import ROOT

FORBIDDEN = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "bpkit.probe", "import reference")


def test_in_a_checkout_the_shipped_course_is_the_repository():
    assert course_root() == ROOT
    assert assignments() == sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())


def test_exercises_are_release_exactly_and_hold_no_solution_or_hidden_test(tmp_path):
    written = write_exercises(tmp_path / "ex")
    released = sorted(p.relative_to(ROOT / "release") for p in (ROOT / "release").rglob("*") if p.is_file()
                      and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)
    copied = sorted(p.relative_to(tmp_path / "ex") for p in (tmp_path / "ex").rglob("*") if p.is_file())
    assert copied == released and len(written.notebooks) == len(list((ROOT / "release").glob("*/*.ipynb")))
    for name in copied:
        assert filecmp.cmp(ROOT / "release" / name, tmp_path / "ex" / name, shallow=False), name
        text = (tmp_path / "ex" / name).read_text(encoding="utf-8")
        assert not [f for f in FORBIDDEN if f in text], name


def test_writing_again_keeps_the_learner_s_work(tmp_path):
    write_exercises(tmp_path)
    notebook = next(tmp_path.glob("*/*.ipynb"))
    notebook.write_text("my work", encoding="utf-8")
    again = write_exercises(tmp_path)
    assert notebook in again.kept and not again.notebooks
    assert notebook.read_text(encoding="utf-8") == "my work"
