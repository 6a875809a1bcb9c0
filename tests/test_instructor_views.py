"""What instructors and students see (issue 14): formgrader's submission view
(the real Jupyter server with nbgrader's formgrader, in headless Chromium)
shows the judge's diagnosis without the heatmap's ``[data]`` line or the
kit's traceback frames; feedback pages and the class report render math as
MathML with the network off; test cells are named by behaviour; a scalar answer gets no heatmap; feedback folders hold only the
feedback pages; the report shows unanswered stubs apart from mistakes."""
from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest

from bpkit.checks.core import DATA_PREFIX, encode_arrays
from bpkit.preprocessors.feedback_summary import HEATMAP_METADATA, FeedbackSummary
from conftest import VENV_BIN
from browser import ARTIFACTS

# ------------------------------------------------ the graded notebook ---


def grade_cell(grade_id: str, outputs: list, points: float = 2.0, score: float = 0.0):
    cell = nbformat.v4.new_code_cell(f'"""{grade_id} does its job."""\n### BEGIN HIDDEN TESTS\n'
                                     f'from bpkit.probe import check\n### END HIDDEN TESTS\n', outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": points,
                                 "score": score, "locked": True}
    return cell


DATA = encode_arrays(np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3).T.reshape(2, 3))
KIT_FRAME = ("File \x1b[0;32m/work/main/bpkit/probe.py:318\x1b[0m, in \x1b[0;36mcheck\x1b[0;34m(name, obj)"
             "\x1b[0m\n\x1b[1;32m    318\x1b[0m raise CheckFailure(NOT_PASSED) from None")
CELL_FRAME = "Cell \x1b[0;32mIn[7], line 4\x1b[0m\n\x1b[1;32m      4\x1b[0m check(\"ch5.affine_backward_dW\", Affine)"


def graded_notebook(folder: Path) -> Path:
    """A graded notebook as nbgrader writes it: a cell the judge failed (the
    probe's placeholder), and an old-style error with a [data] line and a
    kit frame in its traceback (as --no-sandbox grading leaves it)."""
    from bpkit.probe import NOT_PASSED

    placeholder = nbformat.v4.new_output("error", ename="CheckFailure", evalue=NOT_PASSED,
                                         traceback=[CELL_FRAME, KIT_FRAME, f"CheckFailure: {NOT_PASSED}"])
    old_style = nbformat.v4.new_output("error", ename="CheckFailure", evalue=f"dW is wrong.\ndW が違います。\n{DATA}",
                                       traceback=[CELL_FRAME, KIT_FRAME, f"CheckFailure: dW is wrong.\n{DATA}"])
    nb = nbformat.v4.new_notebook(cells=[grade_cell("judged", [placeholder]), grade_cell("old_style", [old_style])])
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "layers.ipynb")
    return folder / "layers.ipynb"


def test_the_graded_notebook_keeps_heatmap_data_in_metadata_and_no_kit_frames(tmp_path):
    from bpkit.grading.records import CellVerdict
    from bpkit.grading.verdicts import annotate

    path = graded_notebook(tmp_path / "graded")
    message = f"Affine.backward's dW is transposed.\ndW が転置されています。\nexpected / 期待値: ...\n{DATA}\n" \
              "[affine.dW_transposed]"
    annotate(tmp_path / "graded", {"layers": {"judged": CellVerdict(False, message=message)}})
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        (error,) = [o for o in cell.outputs if o.output_type == "error"]
        shown = error.evalue + "\n".join(error.traceback)
        assert DATA_PREFIX not in shown and "probe.py" not in shown and "bpkit/" not in shown, shown
        assert cell.metadata[HEATMAP_METADATA] == DATA
    judged, old_style = nb.cells
    # formgrader shows an error by its traceback: the diagnosis is there, the placeholder is gone
    assert "dW is transposed" in "\n".join(judged.outputs[-1].traceback)
    assert "[judged]" not in judged.outputs[-1].evalue
    assert any("In[7], line 4" in entry for entry in old_style.outputs[0].traceback)  # the cell's own frame stays


def summary_of(nb) -> str:
    nb, _ = FeedbackSummary().preprocess(nb, {})
    return nb.cells[0].outputs[0]["data"]["text/html"]


def test_the_feedback_heatmap_comes_from_metadata_and_still_from_old_style_lines(tmp_path):
    from bpkit.grading.verdicts import annotate

    old = nbformat.read(graded_notebook(tmp_path / "old"), as_version=4)  # graded before issue 14
    text = summary_of(old)
    assert text.count("bpkit-heatmap") == 1 and "[data]" not in text
    annotate(tmp_path / "old", {"layers": {}})
    new = nbformat.read(tmp_path / "old" / "layers.ipynb", as_version=4)
    assert DATA_PREFIX not in new.cells[1].outputs[0].evalue  # the line is in the cell's metadata now
    text = summary_of(new)
    assert text.count("bpkit-heatmap") == 1 and "[data]" not in text


# ------------------------------------------------------------- MathML ---

def test_tex_becomes_mathml_and_hostile_tex_stays_inert():
    from bpkit.mathml import math_in_html

    page = math_in_html("<p>softmax $y_k = \\frac{\\exp(a_k)}{\\sum_i \\exp(a_i)}$ and $$x &gt; 0$$</p>"
                        "<pre>$not math$</pre><code>$x$</code> costs 5$")
    assert page.count("<math") == 2 and "<mfrac>" in page and 'display="block"' in page
    assert "<pre>$not math$</pre>" in page and "<code>$x$</code>" in page and "costs 5$" in page
    # as a cleaned markdown cell carries it: markup in the TeX is escaped text
    hostile = math_in_html(html.escape("$\\text{<script>window.PWNED=1</script>}$ $\\href{javascript:alert(1)}{x}$ "
                                       "$\\text{</mtext></math><img src=x onerror=alert(1)>}$", quote=False))
    assert "<script" not in hostile and "javascript:" not in hostile and "<img" not in hostile
    assert "onerror" not in hostile and hostile.count("<math") == 3
    assert math_in_html("$\\unknowncommand{$") == "$\\unknowncommand{$"  # left as text


# ---------------------------------------------------------- the demo ---

def feedback_page(course: Path, student: str, assignment: str) -> Path:
    return next((course / "feedback" / student / assignment).glob("*.html"))


def test_feedback_folders_hold_only_the_feedback_pages(demo_course):
    folders = sorted((demo_course["path"] / "feedback").glob("*/*"))
    assert len(folders) >= 16  # 8 students, every assignment
    for folder in folders:
        names = [p.name for p in folder.iterdir()]
        pages = [n for n in names if n.endswith(".html") and not n.startswith(".")]
        # besides the pages, only nbgrader's own bookkeeping, which release_feedback reads
        assert pages and set(names) - set(pages) <= {"timestamp.txt", "submission_secret.txt"}, (folder, names)


def test_feedback_names_each_test_cell_by_the_behaviour_it_grades(demo_course):
    text = feedback_page(demo_course["path"], "fujita", "ch5_backprop").read_text(encoding="utf-8")
    names = re.findall(r'Test / テスト: <span class="bpkit-behaviour">([^<]*)</span>', text)
    assert len(names) >= 10, names
    assert "Test cell" not in text and "Grade cell:" not in text
    assert all(names) and any(name.startswith("Affine.backward") for name in names), names


def test_feedback_pages_load_no_script_and_keep_a_strict_policy(demo_course):
    for page in sorted((demo_course["path"] / "feedback").rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page
        policy = re.search(r'content="([^"]*)" http-equiv="Content-Security-Policy"|'
                           r'http-equiv="Content-Security-Policy" content="([^"]*)"', text)
        assert policy, page
        value = policy.group(1) or policy.group(2)
        assert "default-src 'none'" in value and "script-src" not in value and "http" not in value, value


def test_the_report_shows_unanswered_stubs_apart_from_mistakes(demo_course):
    text = (demo_course["path"] / "reports" / "ch4_gradients" / "index.html").read_text(encoding="utf-8")
    mistakes, rest = text.split("<h2>Not attempted / 未解答</h2>", 1)
    mistakes = mistakes.split("<h2>Most common mistakes", 1)[1]
    attempted, _ = rest.split("<h2>Items to review / 要確認の項目</h2>", 1)
    assert "<code>not_implemented</code>" not in mistakes and "<code>numgrad.forward_difference</code>" in mistakes
    assert "<code>not_implemented</code>" in attempted and "chiba" in attempted
    assert "不正" not in text


def test_the_mistakes_figure_leaves_out_unanswered_stubs():
    from bpkit.presentation.report import ClassResults

    results = ClassResults("a", reasons={"s1": {"c1": "not_implemented", "c2": "not_implemented"},
                                         "s2": {"c1": "affine.dW_transposed"}})
    assert results.real_mistakes() == {"affine.dW_transposed": 1}
    assert results.mistakes()["not_implemented"] == 2


# ------------------------------------------------------------ browser ---

OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://0.0.0.0:9",
           "--proxy-bypass-list=127.0.0.1")


def chromium(offline: bool):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1200,1800", *(OFFLINE if offline else ())):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@pytest.fixture(scope="module")
def offline_browser():
    driver = chromium(offline=True)
    yield driver
    driver.quit()


RESOURCES = "return performance.getEntriesByType('resource').map(e => e.name);"
MATH_BOXES = ("return Array.from(document.querySelectorAll('math')).map(m => "
              "[m.getBoundingClientRect().height, m.querySelectorAll('mfrac, msub, msup, msubsup').length]);")
MFRAC_STACKED = ("return Array.from(document.querySelectorAll('mfrac')).map(f => f.children.length == 2 && "
                 "f.children[0].getBoundingClientRect().bottom <= f.children[1].getBoundingClientRect().top + 1);")
RAW_TEX = re.compile(r"\$[^$\n]*\\(frac|partial|sum|exp|times|mathbf|top)[^$\n]*\$")


def assert_math_rendered_offline(driver, page: Path, shot: str) -> None:
    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    fetched = [u for u in driver.execute_script(RESOURCES) if not u.startswith(("file:", "data:"))]
    assert not fetched, fetched  # nothing from the network (there is none)
    boxes = driver.execute_script(MATH_BOXES)
    assert boxes and all(height > 0 for height, _ in boxes), boxes
    stacked = driver.execute_script(MFRAC_STACKED)
    assert stacked and all(stacked), stacked  # MathML laid out by the browser: numerator above denominator
    visible = driver.execute_script("return document.body.innerText")
    assert not RAW_TEX.search(visible), RAW_TEX.search(visible).group(0)
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not severe, severe
    driver.execute_script("document.querySelector('mfrac').scrollIntoView({block: 'center'})")
    ARTIFACTS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / shot))


def test_a_feedback_page_renders_math_with_the_network_off(demo_course, offline_browser):
    page = feedback_page(demo_course["path"], "fujita", "ch5_backprop")
    assert_math_rendered_offline(offline_browser, page, "feedback-offline-fujita-ch5_backprop.png")
    text = page.read_text(encoding="utf-8")
    assert "<mfrac>" in text and "cdnjs" not in text and "<script" not in text


def test_the_class_report_renders_math_with_the_network_off(demo_course, offline_browser, tmp_path):
    from bpkit.presentation.report import ClassResults, _figures, _html, summary_numbers

    results = ClassResults("ch4_gradients", max_score=2.0, scores={"aoki": 2.0, "baba": 0.0},
                           cells={"aoki": {"softmax": (2.0, 2.0)}, "baba": {"softmax": (0.0, 2.0)}},
                           reasons={"baba": {"softmax": "softmax.no_max"}},
                           behaviours={"softmax": "softmax gives $y_k = \\frac{\\exp(a_k)}{\\sum_i \\exp(a_i)}$ "
                                                  "for $\\mathbf{a}$ of shape $(N, C)$."})
    page = tmp_path / "index.html"
    page.write_text(_html(results, summary_numbers(results), _figures(results)), encoding="utf-8")
    assert_math_rendered_offline(offline_browser, page, "report-math-offline.png")
    assert "<script" not in page.read_text(encoding="utf-8")


SCROLL_TO_TEXT = ("const pre = Array.from(document.querySelectorAll('pre')).find(p => p.innerText.includes(arguments[0]));"
                  "pre.scrollIntoView({block: 'center'});")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(demo_course):
    """nbgrader's formgrader, the Jupyter server extension instructors use,
    serving the demo course."""
    course, port, token = demo_course["path"], free_port(), "bpkit-test-token"
    env = dict(os.environ, PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
               JUPYTER_CONFIG_DIR=str(course / ".jupyter-test"), JUPYTER_RUNTIME_DIR=str(course / ".jupyter-run"))
    server = subprocess.Popen(
        [str(VENV_BIN / "jupyter"), "server", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={course}",
         "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}"],
        cwd=course, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/formgrader/gradebook?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("formgrader did not start")
        yield {"base": base, "token": token, "course": course}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("student, assignment, notebook, diagnosis", [
    ("fujita", "ch5_backprop", "backprop_layers", "dW is transposed"),
    ("endo", "ch4_gradients", "losses_and_gradients", "forward difference"),
])
def test_formgraders_submission_view_shows_the_diagnosis_without_data_or_kit_frames(
        formgrader, offline_browser, student, assignment, notebook, diagnosis):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{formgrader['course'] / 'gradebook.db'}") as gb:
        submission_id = gb.find_submission_notebook(notebook, assignment, student).id
    url = f"{formgrader['base']}/formgrader/submissions/{submission_id}/?token={formgrader['token']}"
    offline_browser.get(url)
    assert offline_browser.execute_script("return document.readyState") == "complete"
    shown = offline_browser.execute_script("return document.body.innerText")
    assert diagnosis in shown and "Submission #" in shown, shown[:2000]
    assert DATA_PREFIX.strip() not in shown and "UEsDB" not in shown and "probe.py" not in shown
    assert "bpkit/checks" not in shown and "[judged]" not in shown
    offline_browser.execute_script(SCROLL_TO_TEXT, diagnosis)
    ARTIFACTS.mkdir(exist_ok=True)
    assert offline_browser.save_screenshot(str(ARTIFACTS / f"formgrader-{student}-{assignment}.png"))
