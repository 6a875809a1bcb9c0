"""The mistake catalogue, graded through the real notebook pipeline.

Each file in tests/catalogue/ is one submission: the book's code (sample
student aoki) with one cell replaced by a common mistake or by a correct
alternative.  `# expect: <grade cell> <key> [<key> ...]` lines list the cells
that must lose their points and the diagnosis each must name (two mistakes in
one cell: both keys, in the order named); a file without them must get full
marks.  Every other cell must keep its points.  Entries reproducing learners'
code (`real_*`, and `fresh_*` of issue 23) say which pattern and where it was
studied (`# pattern:`, `# source:`)."""
import functools
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.api import Gradebook

from bpkit.grading.records import failure_reason
from bpkit.sample import SOLUTION, solution_source, student_cells
import course_facts as facts
from conftest import ROOT

CATALOGUE = Path(__file__).with_name("catalogue")
ENTRIES = sorted(p.stem for p in CATALOGUE.glob("*.py"))
_EXPECT = re.compile(r"^# expect: (\S+) (\S+(?: \S+)*)\s*$", re.MULTILINE)
_OWN_CELLS = re.compile(r"^# %% (\S+)", re.MULTILINE)
_KEY_LINE = re.compile(r"^\[([\w.]+)\]$", re.MULTILINE)


def all_expectations(entry: str) -> dict[str, tuple[str, ...]]:
    """grade id -> every key that cell must name, in order."""
    return {cell: tuple(keys.split())
            for cell, keys in _EXPECT.findall((CATALOGUE / f"{entry}.py").read_text(encoding="utf-8"))}


def expectations(entry: str) -> dict[str, str]:
    """grade id -> the first key (the one reports count)."""
    return {cell: keys[0] for cell, keys in all_expectations(entry).items()}


def solution_ids(assignment: str) -> set[str]:
    (path,) = (ROOT / "release" / assignment).glob("*.ipynb")
    return {c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("solution")}


ASSIGNMENTS = {a: solution_ids(a) for a in facts.ASSIGNMENTS}


def assignment_of(entry: str) -> str:
    own = set(_OWN_CELLS.findall((CATALOGUE / f"{entry}.py").read_text(encoding="utf-8")))
    (assignment,) = [a for a, ids in ASSIGNMENTS.items() if own & ids]
    return assignment


def test_the_catalogue_covers_every_listed_mistake_and_some_correct_alternatives():
    keys = {key for entry in ENTRIES for key in expectations(entry).values()}
    assert len([e for e in ENTRIES if expectations(e)]) >= 60
    assert len([e for e in ENTRIES if not expectations(e)]) >= 10
    # entries reproducing real learners' code say which pattern and where it was studied
    real = [e for e in ENTRIES if e.startswith("real_")]
    assert len(real) >= 25
    fresh = [e for e in ENTRIES if e.startswith("fresh_")]  # issue 23: code nobody here had seen
    assert len(fresh) >= 30
    for entry in real + fresh:
        text = (CATALOGUE / f"{entry}.py").read_text(encoding="utf-8")
        assert "# pattern:" in text and "# source:" in text, entry
    # issue 23's classes: two mistakes at once, the network's structure, code shapes, numerical_gradient
    fresh_keys = [all_expectations(e) for e in fresh]
    assert len([k for e in fresh_keys for k in e.values() if len(k) >= 2]) >= 4
    assert {"net.extra_layer", "net.predict_returns_early", "net.loss_weight_decay", "net.layer_names",
            "net.constructor_keywords", "net.loss_bypasses_last_layer", "net.grads_before_backward",
            "net.layer_structure", "return_in_branch", "builtin_on_array", "attribute_typo",
            "affine.grads_in_list", "swl.loss_of_own_prediction", "numgrad.f_of_flat_copy",
            "numgrad.wrong_step", "numgrad.returns_in_loop", "numgrad.copies_x",
            "numgrad.vectors_only"} <= {k for e in fresh_keys for keys in e.values() for k in keys}
    assert len([e for e in fresh if not all_expectations(e)]) >= 2  # correct but different (h = 1e-3, slow)
    assert {"cee.no_batch_mean", "cee.mean_over_classes", "cee.no_delta", "cee.labels_only",
            "cee.one_hot_only", "cee.no_reshape_1d", "cee.log10", "cee.wrong_sign", "modified_input",
            "hard_coded", "softmax.overflow", "softmax.wrong_axis", "numgrad.forward_difference",
            "numgrad.not_restored", "numgrad.copies_x", "numgrad.first_axis_only", "numgrad.zero",
            "mul.swapped", "not_a_pair", "relu.no_mask", "relu.inverted_mask", "relu.mask_from_dout",
            "relu.returns_forward_output", "sigmoid.uses_input", "affine.dW_transposed",
            "affine.db_sum_all", "affine.db_not_summed", "affine.db_mean", "affine.dW_divided_by_N",
            "affine.dx_not_reshaped", "affine.dx_uses_W", "returned_none", "affine.not_stored",
            "swl.no_batch_mean", "swl.one_hot_only"} <= keys
    # the two-layer network's mistakes (issue 15)
    assert {"net.backward_in_forward_order", "net.gradient_from_wrong_layer", "net.dout_not_propagated",
            "net.last_layer_dout_unused", "net.accuracy_one_hot_without_argmax", "net.loss_stale_prediction",
            "net.weight_init_std_ignored", "net.layers_copy_params", "net.predict_softmax"} <= keys


@pytest.fixture(scope="module")
def graded(catalogue_graded):
    """Every entry submitted for the assignment it touches and graded once
    (conftest.catalogue_graded, shared with tests/test_packaging.py)."""
    return catalogue_graded


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_entry_loses_points_in_exactly_the_expected_cells_and_is_named_in_both_languages(graded, entry):
    root, results = graded
    result = results[entry]
    assert result.ok, result.error
    expected = expectations(entry)
    assert {cell: result.reasons.get(cell) for cell in result.failed} == expected
    assert result.score == result.max_score - sum(result.cells[c][1] for c in expected)
    assignment = assignment_of(entry)
    (path,) = (root / "autograded" / entry / assignment).glob("*.ipynb")
    for cell in nbformat.read(path, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and not expected and cell.metadata["nbgrader"].get("grade"):
            # correct-but-different code gets no mistake message at all
            assert not [o for o in cell.get("outputs", []) if o.get("output_type") == "error"], grade_id
        if grade_id in expected:
            (error,) = [o for o in cell.outputs if o.output_type == "error"]
            english, japanese = error.evalue.splitlines()[:2]
            assert english.isascii() and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", japanese), error.evalue
            assert failure_reason(cell) == expected[grade_id]
            # two mistakes at once: every one named, each with its English and Japanese line
            keys = all_expectations(entry)[grade_id]
            assert tuple(_KEY_LINE.findall(error.evalue)) == keys, error.evalue
            lines = error.evalue.splitlines()
            for i in range(len(keys)):
                assert lines[2 * i].isascii() and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", lines[2 * i + 1])
            # short: one line per mistake in each language, then the keys, before any detail
            assert lines[2 * len(keys)] == f"[{keys[0]}]", error.evalue


def test_the_gradebook_holds_every_catalogue_submission(graded):
    root, results = graded
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for assignment in ASSIGNMENTS:
            graded_ids = {s.student.id for s in gb.find_assignment(assignment).submissions}
            assert graded_ids == {e for e in ENTRIES if assignment_of(e) == assignment}


# ------------------------------------------------ the judge covers each cell's whole promise ---
# Everything a grade cell's visible example asserts is checked by its hidden check, or graded by
# another cell, which the note then names (issue 21).

def test_a_visible_example_that_failed_in_a_cell_the_judge_passed_is_explained_by_a_failed_cell(graded):
    from bpkit.grading.verdicts import VISIBLE_ONLY_UNEXPLAINED

    root, results = graded
    unexplained = []
    for entry in ENTRIES:
        expected = expectations(entry)
        (path,) = (root / "autograded" / entry / assignment_of(entry)).glob("*.ipynb")
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade") or meta["grade_id"] in expected:
                continue
            if not [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]:
                continue
            note = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            named = re.findall(r"`(\w+)`", note.split("\n")[0])
            if VISIBLE_ONLY_UNEXPLAINED in note or not named or not set(named) <= set(expected):
                unexplained.append((entry, meta["grade_id"], named))
    assert not unexplained


def _only_definitions(source: str) -> bool:
    import ast

    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)) or (
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


def visible_failures(entry: str) -> set[str]:
    """The grade cells of the entry's notebook whose visible example (the
    cell without its hidden tests) fails with the entry's code, run in
    order in-process with the notebook's definitions and common/."""
    import contextlib
    import io
    import sys

    from bpkit.checks.core import quietly

    assignment = assignment_of(entry)
    (path,) = (ROOT / "source" / assignment).glob("*.ipynb")
    cells = student_cells(entry, CATALOGUE)
    names: dict = {}
    failed = set()
    sys.path.insert(0, str(path.parent))
    try:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            if meta.get("solution"):
                source = cells.get(meta["grade_id"])
                if meta["grade_id"] not in cells and getattr(cells, "fallback", None) == SOLUTION:
                    source = solution_source(cell.source)  # based on the solution: not written, the solution's
                elif source is None:  # left as the stub
                    source = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError",
                                    cell.source, flags=re.S)
            elif meta.get("grade"):
                source = cell.source.split("### END HIDDEN TESTS")[-1]
            elif _only_definitions(cell.source):
                source = cell.source
            else:
                continue  # "try it" cells and the training run
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), quietly():
                    exec(compile(source, f"<{entry}:{meta.get('grade_id')}>", "exec"), names)
            except Exception:  # noqa: BLE001 -- a failing example (or cell) is what we look for
                if meta.get("grade"):
                    failed.add(meta["grade_id"])
    finally:
        sys.path.remove(str(path.parent))
        for name in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
            sys.modules.pop(name)
    return failed


def test_every_cells_visible_example_is_broken_by_some_entry_and_then_graded():
    """For every grade cell, some entry breaks what its visible example
    asserts; each such entry either loses that cell or (the judge passed it)
    loses a cell that grades the same code, which the note names (see the
    test above)."""
    from bpkit.checks import registry
    from bpkit.grading.verdicts import graded_with

    by_notebook: dict = {}
    for cell in registry.grade_cells(ROOT):
        by_notebook.setdefault(cell.notebook, {})[cell.grade_id] = cell
    related = {g: r for cells in graded_with(by_notebook).values() for g, r in cells.items()}
    broken: dict[str, list[str]] = {g: [] for g in related}
    unexplained = []
    for entry in ENTRIES:
        expected = expectations(entry)
        for grade_id in visible_failures(entry):
            broken[grade_id].append(entry)
            if grade_id not in expected and not set(related[grade_id]) & set(expected):
                unexplained.append((entry, grade_id))
    assert not unexplained
    unbroken = [g for g, entries in broken.items() if not entries]
    assert not unbroken, (f"no catalogue entry breaks the visible example of {unbroken}: assert the book's values "
                          f"there and add an entry with a mistake it catches (tests/catalogue/, docs/authoring.md)")


# ------------------------------------------------------- no false "right for" (issue 23) ---
# A message may say which inputs the answer is right for.  Each such claim is evaluated: the
# student's function is called again on the very input of that claim, and its answer must be the
# expected one there (bpkit.checks.core.replaying_answers).

_CLAIM = re.compile(r" It is right for (.*?), and wrong for ")


def claims(message: str) -> list[str]:
    """The inputs a message says the answer is right for."""
    found = _CLAIM.search(message.splitlines()[0])
    return found.group(1).split("; ") if found else []


@functools.lru_cache(maxsize=None)
def messages(entry: str) -> tuple:
    """(check, message, answers) for every check of the entry that fails,
    in-process (as tests/test_invariance.py runs them), each answer it
    compared evaluated again on the student's code (replaying_answers)."""
    from bpkit.checks import registry
    from bpkit.checks.core import CheckFailure, collecting_notes, replaying_answers, seeded
    from test_invariance import student_object

    written = {k for k, v in student_cells(entry, CATALOGUE).items() if v is not None}
    found = []
    for cell in registry.grade_cells(ROOT):
        if not set(cell.objects) & written:
            continue
        for check in cell.checks:
            obj = student_object([f"{CATALOGUE.name}/{entry}"], check, cell.objects[0])
            answers: list = []
            try:
                with seeded(b""), collecting_notes([]), replaying_answers(answers):
                    registry.get(check).function(obj)
            except CheckFailure as exc:
                found.append((check, str(exc), tuple(answers)))
    return tuple(found)


_FLATTENED = "It is right for the same input flattened to a vector"


def right_for_vectors(entry: str) -> bool:
    """Is the entry's numerical_gradient right for inputs flattened to
    vectors (what numgrad.vectors_only says)?  Evaluated on fresh inputs."""
    import reference as ref
    from test_invariance import student_object

    numerical_gradient = student_object([f"{CATALOGUE.name}/{entry}"], "ch4.numerical_gradient_nd",
                                        "numerical_gradient")
    rng = np.random.default_rng(23)
    for shape in ((2, 3), (3, 2)):
        x, c = rng.normal(size=shape), rng.normal(size=shape)

        def flat_f(v):
            return float(np.sum(c * np.reshape(v, shape) ** 3))
        got = numerical_gradient(flat_f, x.ravel().copy())
        if not np.allclose(got, ref.numerical_gradient(flat_f, x.ravel().copy()), rtol=1e-4, atol=1e-6):
            return False
    return True


def right_for_claims(entry: str) -> list[tuple[str, str, bool | None]]:
    """(check, claimed input, is it right there) for every claim of every
    message the entry's checks give."""
    found = []
    for check, message, answers in messages(entry):
        for claim in claims(message):
            verdicts = [right for what, right in answers if what == claim]
            found.append((check, claim, bool(verdicts) and all(verdicts) if None not in verdicts else None))
        if _FLATTENED in message.splitlines()[0]:
            found.append((check, "the same input flattened to a vector", right_for_vectors(entry)))
    return found


def test_a_right_for_claim_is_evaluated_on_the_students_own_code():
    """The claims test can fail: an input accepted only because its mistake
    is graded in another cell is not "right" (it once was said to be)."""
    from bpkit.checks.core import CheckFailure, Mistake, all_cases, expect_close, replaying_answers

    answers: list = []
    with pytest.raises(CheckFailure) as failure, replaying_answers(answers), all_cases():
        expect_close("f(a)", np.array([1.0, 2.0]), np.array([1.0, 2.0]))
        expect_close("f(b)", np.array([3.0, 9.0]), np.array([3.0, 4.0]),
                     excused=[Mistake("elsewhere", "", "", np.array([3.0, 9.0]))])
        expect_close("f(c)", np.array([5.0, 1.0]), np.array([5.0, 6.0]))
    assert claims(str(failure.value)) == ["f(a)"]
    assert answers == [("f(a)", None), ("f(b)", None), ("f(c)", None)]  # no call to replay here

    # ... and a claim is evaluated on the student's code: right once, wrong when called again
    from bpkit.checks.core import call

    count = []

    def flaky(x):
        count.append(x)
        return x * 2 if len(count) % 2 else x * 3

    answers = []
    with pytest.raises(CheckFailure) as failure, replaying_answers(answers), all_cases():
        expect_close("flaky(a)", call("flaky", flaky, np.ones(2)), np.full(2, 2.0))
        expect_close("flaky(b)", np.zeros(2), np.ones(2))
    assert claims(str(failure.value)) == ["flaky(a)"]
    assert answers == [("flaky(a)", False), ("flaky(b)", None)]


def test_no_message_claims_an_answer_is_right_where_the_students_code_is_wrong():
    evaluated, false, unverified = 0, [], []
    for entry in [e for e in ENTRIES if expectations(e)]:  # a correct entry's cells pass: no message
        for check, claim, right in right_for_claims(entry):
            evaluated += 1
            if right is None:
                unverified.append((entry, check, claim))
            elif not right:
                false.append((entry, check, claim))
    assert evaluated >= 3, "the catalogue's messages make claims: the test must see some"
    assert not false
    assert not unverified


_ENGLISH = re.compile(r"\b(for|of shape|around|and|the|with)\b")
_KEYS = re.compile(r"^\[[\w.]+\]$")


def japanese_lines(message: str) -> list[str]:
    """The Japanese line of each mistake a message names (the lines before
    its [key] lines alternate English, Japanese), without what is code or
    quoted (backticks, quotes) or Python's own exception text."""
    lines = message.splitlines()
    named = next((i for i, line in enumerate(lines) if _KEYS.match(line)), len(lines))
    found = []
    for line in lines[1:named:2]:
        line = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", "", line)
        found.append(re.sub(r"(が発生しました[^:]*): .*$", r"\1", line))
    return found


def test_every_japanese_line_is_whole_japanese_and_hidden_inputs_say_so():
    """No English case description inside a Japanese line ("... for y of
    shape (10,) and one-hot t の値が"); values shown from a check's input
    say it is a hidden input, not the cell's example, and give its shape."""
    mixed, unlabelled = [], []
    for entry in [e for e in ENTRIES if expectations(e)]:
        for check, message, _ in messages(entry):
            mixed += [(entry, check, line) for line in japanese_lines(message) if _ENGLISH.search(line)]
            if "expected / 期待値:" in message and "On a hidden test input, not the example in the cell" not in message:
                unlabelled.append((entry, check))
    assert not mixed
    assert not unlabelled
    assert japanese_lines("a for b\nx for y of shape (2,) の値\n[k]") == ["x for y of shape (2,) の値"]
