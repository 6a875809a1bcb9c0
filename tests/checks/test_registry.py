"""The registry of checks (bpkit.checks.registry) ties each graded
behaviour's three names together: the grade ids of the cells in source/, the
check name those cells ask the judge for, and the mistake keys the check can
name.  Each question below is asked of the course and, to show it can fail,
of a course or an expectation that is wrong on purpose."""
from __future__ import annotations

import pkgutil
import re
import shutil
from pathlib import Path

import nbformat

import bpkit.checks
from bpkit.checks import ch4, registry
from bpkit.grading.root_cause import KEY as EARLIER_CELL_FAILED
from conftest import ROOT

CATALOGUE = Path(__file__).parents[1] / "catalogue"
_EXPECT = re.compile(r"^# expect: (\S+) (\S+(?: \S+)*)\s*$", re.MULTILINE)  # as in test_catalogue.py
_ANY_CHECK = re.compile(r"""\bcheck\(\s*["']([^"']*)["']""")  # any name, registered module or not
SECTION = "### Grade cells, checks and mistake keys"


def checks_not_in_the_registry(root: Path) -> list[tuple[str, str]]:
    """(grade id, what is wrong) for each grade cell of root/source/ that
    calls no check, or a check the registry does not know."""
    wrong = []
    for path in sorted((root / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                names = _ANY_CHECK.findall(cell.source)
                wrong += [(meta["grade_id"], name) for name in names if name not in registry.checks()]
                if not names:
                    wrong.append((meta["grade_id"], "(calls no check)"))
    return wrong


def checks_no_cell_calls(root: Path) -> list[str]:
    return [name for name, ids in registry.grade_ids(root).items() if not ids]


def expected_keys() -> list[tuple[str, str, str]]:
    """(catalogue entry, grade id, key) for every `# expect:` line."""
    return [(path.stem, grade_id, key) for path in sorted(CATALOGUE.glob("*.py"))
            for grade_id, keys in _EXPECT.findall(path.read_text(encoding="utf-8")) for key in keys.split()]


def keys_unknown_to_the_registry(expected: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The expectations whose key none of the cell's checks can report
    (earlier_cell_failed is given by the grading side, bpkit.grading.root_cause)."""
    by_cell = {cell.grade_id: cell.checks for cell in registry.grade_cells(ROOT)}
    return [(entry, grade_id, key) for entry, grade_id, key in expected if key != EARLIER_CELL_FAILED
            and not any(key in registry.get(name).keys for name in by_cell.get(grade_id, ()))]


def course_with(tmp_path: Path, assignments: list[str], extra_call: str = "") -> Path:
    """A course holding only `assignments` of source/; extra_call: a check
    call appended to the first grade cell."""
    for assignment in assignments:
        shutil.copytree(ROOT / "source" / assignment, tmp_path / "source" / assignment)
    if extra_call:
        (path,) = (tmp_path / "source" / assignments[0]).glob("*.ipynb")
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
        cell.source += f"\n{extra_call}\n"
        nbformat.write(nb, path)
    return tmp_path


# ----------------------------------------------------------------------------

def test_is_every_grade_cells_check_in_the_registry(tmp_path):
    assert checks_not_in_the_registry(ROOT) == []
    assert registry.grade_cells(ROOT) and all(len(c.checks) == 1 for c in registry.grade_cells(ROOT))
    wrong = course_with(tmp_path, ["ch4_gradients"], 'check("ch4.softmax_2d", softmax)\ncheck("ch9.x", softmax)')
    assert [name for _, name in checks_not_in_the_registry(wrong)] == ["ch4.softmax_2d", "ch9.x"]


def test_does_every_registered_check_appear_in_some_grade_cell(tmp_path):
    assert checks_no_cell_calls(ROOT) == []
    ids = registry.grade_ids(ROOT)
    assert ids["ch4.softmax_batch"] == ("softmax_batch_normalises_each_row",)
    assert ids["twolayer.gradient"] == ("net_gradient_backprop",)
    only_ch4 = course_with(tmp_path, ["ch4_gradients"])
    assert set(checks_no_cell_calls(only_ch4)) == {n for n in registry.checks() if not n.startswith("ch4.")}


def test_is_a_mistake_key_reported_by_the_catalogue_unknown_to_the_registry():
    expected = expected_keys()
    assert len(expected) >= 60
    assert keys_unknown_to_the_registry(expected) == []
    # a key no check has, and a real key expected in a cell whose check cannot give it
    wrong = [("made_up", "softmax_batch_normalises_each_row", "softmax.made_up"),
             ("made_up", "softmax_batch_normalises_each_row", "cee.log10")]
    assert keys_unknown_to_the_registry(wrong) == wrong


def test_is_every_module_of_bpkit_checks_that_holds_checks_registered():
    holding = set()
    for info in pkgutil.iter_modules(bpkit.checks.__path__):
        module = __import__(f"bpkit.checks.{info.name}", fromlist=["__all__"])
        if any(name.startswith("check_") for name in getattr(module, "__all__", ())):
            holding.add(info.name)
    assert holding == set(registry.MODULES)
    assert {c.module for c in registry.checks().values()} == set(registry.MODULES)


def test_is_every_mistake_key_written_in_a_check_module_one_some_check_can_report():
    reportable = set().union(*(c.keys for c in registry.checks().values()))
    for name in registry.MODULES:
        written = registry.keys_in_source((Path(bpkit.checks.__path__[0]) / f"{name}.py").read_text("utf-8"))
        assert written and written <= reportable, (name, sorted(written - reportable))
    assert registry.keys_in_source('fail("en", "ja", key="x.y")\nm = Mistake("x.z", "", "", None)') == {"x.y", "x.z"}
    assert registry.keys_in_source('expect_close(w, g, e, excused=[Mistake("x.z", "", "", None)])') == set()


def test_are_excused_mistakes_left_out_of_a_checks_keys():
    # the large-inputs cell excuses the batch cell's softmax mistakes (they cost points there)
    assert {"softmax.wrong_axis", "softmax.whole_batch"} <= registry.get("ch4.softmax_batch").keys
    assert not {"softmax.wrong_axis", "softmax.whole_batch"} & registry.get("ch4.softmax_large_inputs").keys
    # the gradient cell excuses the predict cell's softmax-in-predict
    assert "net.predict_softmax" not in registry.get("twolayer.gradient").keys
    assert {"raised", "not_implemented", "wrong_values"} <= registry.generic_keys()


def test_does_the_judge_serve_exactly_the_registered_checks():
    from bpkit.judging import judge

    assert judge.registry is registry  # the judge's only list of checks
    assert registry.checks_in_cell('check("ch5.relu_backward", Relu)') == ["ch5.relu_backward"]
    assert registry.NAME.match("twolayer.init") and not registry.NAME.match("os.system")
    assert registry.functions()["ch4.softmax_1d"] is ch4.check_softmax_1d


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(SECTION) == 1
    section = text.split(SECTION, 1)[1]
    return re.split(r"^#{1,3} ", section, maxsplit=1, flags=re.MULTILINE)[0]


def test_does_the_readme_hold_exactly_the_generated_table():
    table = registry.markdown_table(ROOT)
    section = readme_section()
    assert table in section, "README out of date: paste `.venv/bin/python -m bpkit.checks.registry`"
    assert [l for l in section.splitlines() if l.startswith("|")] == [l for l in table.splitlines()
                                                                       if l.startswith("|")]
    # a stale table (one key missing) is not the generated one
    assert table.replace("`softmax.wrong_axis`", "", 1) not in section


# ---------------------------- issue 24: a new check module registers itself; computed keys are refused ---

def scratch_package(tmp_path: Path, module: str, text: str) -> Path:
    """A copy of bpkit and reference with bpkit/checks/<module>.py added."""
    for name in ("bpkit", "reference"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "bundle"))
    (tmp_path / "bpkit" / "checks" / f"{module}.py").write_text(text, encoding="utf-8")
    return tmp_path


def registry_of(package: Path) -> "subprocess.CompletedProcess":
    import subprocess
    import sys

    code = ("from bpkit.checks import registry\nimport bpkit\nassert bpkit.__file__.startswith(%r)\n"
            "print(registry.MODULES)\nprint(sorted(registry.get('ch9.tanh_forward').keys - registry.generic_keys()))"
            % str(package))
    return subprocess.run([sys.executable, "-c", code], cwd=package, capture_output=True, text=True, timeout=120)


CH9 = '''from bpkit.checks.core import Mistake, call, expect_close, over_all_cases

__all__ = ["check_tanh_forward"]


@over_all_cases
def check_tanh_forward(Tanh) -> None:
    expect_close("Tanh.forward(x)", call("Tanh.forward", Tanh, 1.0), 0.76, mistakes=[
        Mistake(KEY, "en", "ja", 0.5)])
'''


def test_does_a_new_check_module_register_itself_and_a_computed_key_stop_the_registry(tmp_path):
    spelled = scratch_package(tmp_path / "spelled", "ch9", CH9.replace("KEY", '"tanh.uses_input"'))
    proc = registry_of(spelled)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(tuple(sorted(registry.MODULES + ("ch9",)))), "['tanh.uses_input']"]
    computed = scratch_package(tmp_path / "computed", "ch9", CH9.replace("KEY", 'f"tanh.{name}"'))
    proc = registry_of(computed)
    assert proc.returncode != 0 and "RegistryError: bpkit/checks/ch9.py, line 9: the mistake key f'tanh.{name}' " \
                                   "is computed" in proc.stderr and "string literal" in proc.stderr, proc.stderr
    empty = scratch_package(tmp_path / "empty", "helpers", "__all__ = ['shared']\nshared = 1\n")
    proc = registry_of(empty)
    assert "bpkit/checks/helpers.py: a module of bpkit/checks/ must list its check_<behaviour>" in proc.stderr


def test_are_computed_mistake_keys_found_and_references_to_spelled_keys_allowed():
    source = ('Mistake(f"a.{x}", "", "", None)\nfail("en", "ja", key="a." + b)\nfail("en", "ja", key=M.key)\n'
              'Mistake("a.x" if y else "a.y", "", "", None)\nMistake(STRUCTURE_KEY, "", "", None)')
    assert registry.computed_keys(source) == [(1, "f'a.{x}'"), (2, "'a.' + b")]
    assert registry.keys_in_source(source) == {"a.x", "a.y"}
    for name in registry.MODULES:  # the course's own check modules spell every key
        assert registry.computed_keys((Path(bpkit.checks.__path__[0]) / f"{name}.py").read_text("utf-8")) == []


def test_does_the_table_writer_replace_exactly_the_generated_table(tmp_path):
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = text.replace("`softmax.wrong_axis`", "`softmax.old_key`")
    readme.write_text(stale, encoding="utf-8")
    assert registry.write_table(ROOT, readme) is True and readme.read_text(encoding="utf-8") == text
    assert registry.write_table(ROOT, readme) is False
