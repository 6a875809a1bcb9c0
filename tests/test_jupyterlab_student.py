"""A student in a real JupyterLab (the pinned one, with nbgrader's Validate
button), driven in headless Chromium: open the released ch. 4 notebook, run
a stub with Shift+Enter and read the bilingual instruction in the error, fill
in the solutions, save, press Validate and get nbgrader's success message.

The student's environment has only the released folder: no course
configuration, no gradebook.  Screenshots go to artifacts/."""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bpkit.sample import student_cells
from conftest import ROOT, VENV_BIN

ARTIFACTS = ROOT / "artifacts"
ASSIGNMENT, NOTEBOOK = "ch4_gradients", "losses_and_gradients.ipynb"
STUB_MESSAGE = "Replace this line with your code / この行をあなたのコードに置き換えてください"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    home = tmp_path_factory.mktemp("student")
    shutil.copytree(ROOT / "release" / ASSIGNMENT, home / ASSIGNMENT)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]))
    log = open(home / "jupyterlab.log", "wb")
    server = subprocess.Popen(
        [str(VENV_BIN / "jupyter-lab"), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True", f"--ServerApp.root_dir={home}",
         "--LabApp.expose_app_in_browser=True"],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, \
                    (home / "jupyterlab.log").read_text(errors="replace")
                time.sleep(0.5)
        yield {"url": url, "token": token, "home": home}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from browser import chromium_driver

    driver = chromium_driver()
    yield driver
    driver.quit()


NOTEBOOK_READY = """
const app = window.jupyterapp;
const w = app && app.shell.currentWidget;
const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
return Boolean(w && w.content && w.content.widgets.length > 10 && kernel && kernel.status === 'idle');
"""

# The notebook model's cells (JupyterLab may not render cells outside the view).
CELL_SOURCE = "return window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]].model.sharedModel.getSource();"
CELL_OUTPUTS = "return window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]].model.outputs.toJSON();"
RENDERED_OUTPUTS = ("return Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'))"
                    ".map(e => e.textContent).join('\\n');")

FILL_IN = """
const w = window.jupyterapp.shell.currentWidget;
let filled = 0;
for (const cell of w.content.widgets) {
  const meta = cell.model.getMetadata('nbgrader') || {};
  if (meta.solution && arguments[0][meta.grade_id] !== undefined) {
    cell.model.sharedModel.setSource(arguments[0][meta.grade_id]);
    filled += 1;
  }
}
return filled;
"""


def _shot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def test_a_student_runs_a_stub_sees_the_instruction_fills_in_and_validate_succeeds(jupyterlab, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{jupyterlab['url']}/lab/tree/{ASSIGNMENT}/{NOTEBOOK}?reset&token={jupyterlab['token']}")
    WebDriverWait(browser, 120, 0.5).until(lambda d: d.execute_script(NOTEBOOK_READY))

    # The header, rendered, tells how to run one cell and how to hand in.
    header = browser.find_element(By.CSS_SELECTOR, ".jp-Notebook .jp-MarkdownCell").text
    assert "Shift+Enter" in header and "How to hand in" in header and "提出のしかた" in header, header

    # Select the imports cell, then Shift+Enter five times: the imports, the "Check my work" setup,
    # the section's markdown, the softmax stub and its first test cell.
    assert "import numpy" in browser.execute_script(CELL_SOURCE, 1)
    assert "check_my_work" in browser.execute_script(CELL_SOURCE, 2)
    assert "softmax_1d" not in browser.execute_script(CELL_SOURCE, 5)  # no hidden test reached the student
    browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell .jp-InputPrompt")[0].click()
    for _ in range(5):
        ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        time.sleep(0.5)
    WebDriverWait(browser, 60, 0.5).until(lambda d: d.execute_script(CELL_OUTPUTS, 5))
    (error,) = browser.execute_script(CELL_OUTPUTS, 5)
    assert (error["ename"], error["evalue"]) == ("NotImplementedError", STUB_MESSAGE), error
    WebDriverWait(browser, 30, 0.5).until(lambda d: STUB_MESSAGE in d.execute_script(RENDERED_OUTPUTS))
    _shot(browser, "jupyterlab-student-stub-message.png")

    # Fill in every solution cell (a correct solution of the sample class) and save.
    solutions = {k: v for k, v in student_cells("aoki").items() if v is not None}
    assert browser.execute_script(FILL_IN, solutions) == 3
    browser.execute_script("return window.jupyterapp.commands.execute('docmanager:save')")
    WebDriverWait(browser, 30, 0.5).until(lambda d: d.execute_script(
        "return !window.jupyterapp.shell.currentWidget.context.model.dirty"))

    (validate,) = browser.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar .validate-button")
    assert validate.text.strip() == "Validate"
    validate.click()
    WebDriverWait(browser, 240, 1).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Dialog"))
    WebDriverWait(browser, 240, 1).until(
        lambda d: "Success" in d.find_element(By.CSS_SELECTOR, ".jp-Dialog").text
        or "fail" in d.find_element(By.CSS_SELECTOR, ".jp-Dialog").text.lower())
    dialog = browser.find_element(By.CSS_SELECTOR, ".jp-Dialog").text
    _shot(browser, "jupyterlab-student-validate-success.png")
    assert "Success! Your notebook passes all the tests." in dialog, dialog


RUN_CELL = """
const w = window.jupyterapp.shell.currentWidget;
w.content.activeCellIndex = arguments[0];
window.jupyterapp.commands.execute('notebook:run-cell');
"""
CELL_INDEX = """
const cells = window.jupyterapp.shell.currentWidget.content.widgets;
return cells.findIndex(c => c.model.sharedModel.getSource().includes(arguments[0]));
"""
EXECUTION_COUNT = "return window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]].model.executionCount;"
RENDERED_IMAGES = """
const node = window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]].node;
return Array.from(node.querySelectorAll('.jp-OutputArea-output img')).map(i => [i.naturalWidth, i.naturalHeight]);
"""
RENDERED_TEXT = "return window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]].node.querySelector('.jp-OutputArea').textContent;"


def test_check_my_work_shows_the_named_mistake_and_its_heatmap_inline(jupyterlab, browser):
    """A learner with the kit installed writes softmax over the wrong axis, runs the exercise's
    "Check my work / 答え合わせ" cell and reads the diagnosis, with its heatmap drawn, under it."""
    from selenium.webdriver.support.ui import WebDriverWait

    from conftest import CATALOGUE

    shutil.copytree(ROOT / "release" / ASSIGNMENT, jupyterlab["home"] / "learner")
    browser.get(f"{jupyterlab['url']}/lab/tree/learner/{NOTEBOOK}?reset&token={jupyterlab['token']}")
    WebDriverWait(browser, 120, 0.5).until(lambda d: d.execute_script(NOTEBOOK_READY))
    wrong = {k: v for k, v in student_cells("softmax_wrong_axis", CATALOGUE).items() if v is not None}
    assert browser.execute_script(FILL_IN, wrong) == 3
    check = browser.execute_script(CELL_INDEX, 'check_my_work("softmax")')
    setup = browser.execute_script(CELL_INDEX, "import check_my_work")
    stub = browser.execute_script(CELL_INDEX, "def softmax(")
    assert 0 < setup < stub < check
    for index in (1, setup, stub, check):  # the imports, the setup, the learner's softmax, the check
        browser.execute_script(RUN_CELL, index)
        WebDriverWait(browser, 120, 0.5).until(lambda d: d.execute_script(EXECUTION_COUNT, index))
    WebDriverWait(browser, 120, 0.5).until(lambda d: d.execute_script(RENDERED_IMAGES, check))
    text = browser.execute_script(RENDERED_TEXT, check)
    assert "Check my work / 答え合わせ: softmax" in text and "2 / 3" in text, text
    assert "softmax.wrong_axis" in text and "FAIL / 不合格" in text and "pass / 合格" in text, text
    (size,) = browser.execute_script(RENDERED_IMAGES, check)  # one heatmap, decoded and drawn
    assert size[0] > 50 and size[1] > 50, size
    outputs = browser.execute_script(CELL_OUTPUTS, check)
    assert not [o for o in outputs if o["output_type"] == "error" or o.get("name") == "stderr"], outputs
    browser.execute_script("window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]].node"
                           ".scrollIntoView()", check)
    time.sleep(0.5)
    _shot(browser, "jupyterlab-check-my-work.png")


RUNNABLE = """
const cells = window.jupyterapp.shell.currentWidget.content.widgets;
return cells.map((c, i) => [i, c.model.type, c.model.getMetadata('nbgrader') || {}, c.model.sharedModel.getSource()])
  .filter(([i, type, meta, source]) => type === 'code' && !meta.grade && !source.includes('check_my_work('))
  .map(([i]) => i);
"""
TRY_IT = "# Try it (not graded)"


def test_try_it_cells_print_one_line_per_parameter_and_check_every_one(jupyterlab, browser):
    """A student whose Affine has dW transposed and db summed over everything runs the chapter-5
    notebook cell by cell (the visible tests fail, so not Run All): each "Try it" cell prints one
    line per gradient, "OK / 一致" for a right one, and goes on after a wrong one, naming its shape."""
    from selenium.webdriver.support.ui import WebDriverWait

    shutil.copytree(ROOT / "release" / "ch5_backprop", jupyterlab["home"] / "try_it")
    browser.get(f"{jupyterlab['url']}/lab/tree/try_it/backprop_layers.ipynb?reset&token={jupyterlab['token']}")
    WebDriverWait(browser, 120, 0.5).until(lambda d: d.execute_script(NOTEBOOK_READY))
    fujita = {k: v for k, v in student_cells("fujita").items() if v is not None}
    assert browser.execute_script(FILL_IN, fujita) >= 5
    runnable = browser.execute_script(RUNNABLE)  # imports, answers, examples and Try-it cells, in order
    for index in runnable:
        browser.execute_script(RUN_CELL, index)
        WebDriverWait(browser, 120, 0.5).until(lambda d: d.execute_script(EXECUTION_COUNT, index))
    tries = [i for i in runnable if browser.execute_script(CELL_SOURCE, i).startswith(TRY_IT)]
    assert len(tries) >= 4, tries
    shown = {}
    for index in tries:
        # the cell's outputs as JupyterLab holds them (it may not draw cells outside the view)
        WebDriverWait(browser, 30, 0.5).until(lambda d: d.execute_script(CELL_OUTPUTS, index))
        outputs = browser.execute_script(CELL_OUTPUTS, index)
        assert not [o for o in outputs if o["output_type"] == "error" or o.get("name") == "stderr"], outputs
        text = "".join("".join(o["text"]) if isinstance(o.get("text"), list) else o.get("text", "") for o in outputs)
        shown[index] = [line for line in text.splitlines() if line.strip()]
        assert shown[index], browser.execute_script(CELL_SOURCE, index)  # a Try-it cell that ran says so
    affine = next(i for i in tries if "Affine" in browser.execute_script(CELL_SOURCE, i))
    dx, dW, db = ([line for line in shown[affine] if line.startswith(f"Affine {name}")] for name in ("dx", "dW", "db"))
    assert len(dx) == len(dW) == len(db) == 1, shown[affine]
    assert "OK / 一致" in dx[0] and "OK / 一致" not in dW[0] + db[0], shown[affine]
    assert "(4, 2)" in dW[0] and "形状" in dW[0] and "(2,)" in db[0], shown[affine]
    assert any("OK / 一致" in line for line in shown[tries[0]]), shown[tries[0]]  # the apples: fujita's are right
    browser.execute_script("window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]].node"
                           ".scrollIntoView()", affine)
    WebDriverWait(browser, 30, 0.5).until(lambda d: "OK / 一致" in (d.execute_script(RENDERED_TEXT, affine) or ""))
    _shot(browser, "jupyterlab-try-it-affine.png")  # drawn as the student sees it
