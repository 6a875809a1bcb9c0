"""`bpkit check NOTEBOOK`: recognised from its cells wherever it is and
whatever its name, graded as `bpkit grade` grades it (the same judge and
scoring), a cell that never ends or floods output stopped with a clear
message, a feedback page that needs no network, exit 0 only when every
behaviour passes."""
from __future__ import annotations

import json
import re
import subprocess

import nbformat
import pytest

import course_facts as facts
from bpkit.learner.notebook_check import NotChecked, check_notebook, page_path, write_page
from bpkit.learner.self_judge import SEED_ENV
from bpkit.preprocessors.sanitize_feedback import FEEDBACK_CSP
from bpkit.sample import student_cells, write_submission
from conftest import CATALOGUE, ROOT, VENV_BIN, clean_env


@pytest.fixture(autouse=True)
def own_seed(tmp_path, monkeypatch):
    monkeypatch.setenv(SEED_ENV, str(tmp_path / "seed"))


def notebook(tmp_path, entry="aoki", assignment="ch4_gradients", extra: str | None = None, after: str = "import numpy"):
    """The entry's notebook, renamed and moved (so no name can identify it), with an extra cell."""
    cells = student_cells(entry, CATALOGUE) if (CATALOGUE / f"{entry}.py").exists() else student_cells(entry)
    folder = tmp_path / "somewhere else"
    write_submission(ROOT / "release", assignment, cells, folder)
    (original,) = folder.glob("*.ipynb")
    path = folder / "私のノート.ipynb"
    original.rename(path)
    if extra:
        nb = nbformat.read(path, as_version=4)
        at = next(i for i, c in enumerate(nb.cells) if after in c.source) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(extra))
        nbformat.write(nb, path)
    return path


def keys(result):
    return {o.grade_id: o.key for o in result.outcomes if not o.passed}


def test_a_renamed_notebook_is_graded_and_its_mistake_named(tmp_path):
    result = check_notebook(notebook(tmp_path, "cee_log10"))
    assert result.exercise.assignment == "ch4_gradients"
    assert keys(result) == {"cross_entropy_one_hot_matches_book_examples": "cee.log10"}
    assert result.score == result.max_score - 2 and not result.passed


def test_a_cell_that_never_ends_is_stopped_and_the_others_still_count(tmp_path):
    result = check_notebook(notebook(tmp_path, extra="while True:\n    pass"), timeout=3)
    assert result.passed is True and result.score == result.max_score
    (problem,) = result.problems
    assert "Cell 3 ran longer than 3 s and was stopped" in problem and "停止しました" in problem
    import traitlets.log

    assert not traitlets.log.get_logger().disabled  # the shared logger is left as it was


def test_a_kernel_that_ignores_interrupts_ends_the_run_keeping_the_points_checked_before(tmp_path):
    stuck = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)"
    path = notebook(tmp_path, extra=stuck, after='check_my_work("softmax")')
    result = check_notebook(path, timeout=3)
    assert "did not stop when interrupted" in result.stopped and "中断に応じなかった" in result.stopped
    assert {o.grade_id for o in result.outcomes if o.passed} == {
        "softmax_1d_matches_book_example", "softmax_batch_normalises_each_row", "softmax_no_overflow_for_large_scores"}
    assert set(keys(result).values()) == {"not_run"}


def test_a_flood_of_output_is_cut_with_a_note_and_graded_anyway(tmp_path):
    result = check_notebook(notebook(tmp_path, extra="for _ in range(2500):\n    print('x' * 10_000)"))
    assert result.passed and len(result.problems) == 1 and "printed more output than is kept" in result.problems[0]
    assert max(len(o.get("text", "")) for c in result.notebook.cells for o in c.get("outputs", [])) < 200_000


def test_a_kernel_that_dies_is_explained(tmp_path):
    result = check_notebook(notebook(tmp_path, extra="import os\nos._exit(1)", after='check_my_work("softmax")'), timeout=10)
    assert "kernel died" in result.stopped and not result.passed and result.score == 3


def test_a_notebook_that_is_no_exercise_or_no_notebook_is_refused_with_the_reason(tmp_path):
    other = tmp_path / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")]), other)
    with pytest.raises(NotChecked, match="not one of the kit's exercises"):
        check_notebook(other)
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(NotChecked, match="cannot be read as a notebook"):
        check_notebook(tmp_path / "broken.ipynb")


def test_the_feedback_page_shows_the_diagnosis_and_heatmap_without_hidden_tests_or_script(tmp_path):
    result = check_notebook(notebook(tmp_path, "affine_dW_transposed", "ch5_backprop"))
    page = write_page(result, page_path(result.path)).read_text(encoding="utf-8")
    assert FEEDBACK_CSP in page and "<script" not in page.lower()
    assert "affine.dW_transposed" in page and "転置" in page and 'class="bpkit-heatmap"' in page
    assert "BEGIN HIDDEN TESTS" not in page and "bpkit.probe" not in page
    assert "not a course grade" in page and "成績ではありません" in page


def bpkit(*args, cwd, env):
    return subprocess.run([str(VENV_BIN / "bpkit"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_the_command_exits_0_only_when_every_behaviour_passes(tmp_path):
    env = {**clean_env(), SEED_ENV: str(tmp_path / "seed")}
    right, wrong = notebook(tmp_path / "a"), notebook(tmp_path / "b", "numgrad_forward_difference")
    proc = bpkit("check", "--plain", str(right), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    full = facts.score_text(facts.total("ch4_gradients"), "ch4_gradients")
    assert full in proc.stdout and page_path(right).is_file()
    proc = bpkit("check", "--plain", "--html", str(tmp_path / "page.html"), "--json", str(tmp_path / "r.json"),
                 str(wrong), cwd=tmp_path, env=env)
    assert proc.returncode == 1 and "[numgrad.forward_difference]" in proc.stdout and "中心差分" in proc.stdout
    assert (tmp_path / "page.html").is_file() and not page_path(wrong).exists()
    (report,) = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert {b["key"] for b in report["behaviours"] if not b["passed"]} == {"numgrad.forward_difference"}
    proc = bpkit("check", str(tmp_path / "nothing.ipynb"), cwd=tmp_path, env=env)
    assert proc.returncode == 2 and re.search(r"cannot be read as a notebook", proc.stderr)


def _children(parent: int, needle: str) -> list[int]:
    """Live processes whose parent is `parent` and whose command line has
    `needle`, run by this Python (a kernel bpkit check started), not by
    bubblewrap (a warm grading sandbox another test of this process left
    ready holds a kernel too, and is not the learner's)."""
    import os

    found = []
    for name in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{name}/stat").read()
            cmdline = open(f"/proc/{name}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if (name.isdigit() and int(fields[1]) == parent and fields[0] != "Z" and needle in cmdline
                and not cmdline.startswith("/usr/bin/bwrap\0")):
            found.append(int(name))
    return found


def test_no_kernel_outlives_its_check_cold_or_forked(tmp_path):
    import os

    from bpkit.isolation import zygote

    path = notebook(tmp_path)
    check_notebook(path)
    assert _children(os.getpid(), "ipykernel_launcher") == []
    check_notebook(path, forked=True)
    check_notebook(path, forked=True)
    warm = zygote._ZYGOTE.process.pid  # the warm process stays for the next check; its kernels must not
    assert _children(warm, "zygote") == []


def _zeromq_threads() -> int:
    """ZeroMQ's own threads in this process (one I/O thread and one reaper per live context)."""
    import glob

    names = []
    for comm in glob.glob("/proc/self/task/*/comm"):
        try:
            with open(comm, encoding="utf-8") as f:
                names.append(f.read().strip())
        except FileNotFoundError:  # a thread that just ended
            pass
    return sum(1 for n in names if n.startswith("ZMQbg"))


def test_checking_notebook_after_notebook_leaves_no_kernel_client_running(tmp_path):
    """A client left running keeps its sockets reconnecting to the dead kernel's ports, about 80 wake-ups a
    second each: a learner checking a folder of notebooks (and the learner walk in tests/test_packaging.py,
    ~150 notebooks) slowed down with every notebook, ten times over on a busy machine."""
    import time

    path = notebook(tmp_path)
    check_notebook(path, forked=True)  # the zygote and anything made once are in place
    before = _zeromq_threads()
    for _ in range(3):
        check_notebook(path, forked=True)
    deadline = time.monotonic() + 10  # a generous bound for the contexts' threads to end; they end at once
    while _zeromq_threads() > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _zeromq_threads() <= before, f"{_zeromq_threads() - before} ZeroMQ threads more after three checks"
