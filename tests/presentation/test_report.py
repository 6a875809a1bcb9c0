"""The class report and the students' feedback pages of the demo class:
numbers that match the gradebook, no hidden test code in feedback, and pages
that load in a real headless browser (Debian's Chromium)."""
import csv
import html
import json
import re
import statistics
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from browser import ARTIFACTS, chromium_driver

ASSIGNMENTS = ["ch4_gradients", "ch5_backprop"]


def gradebook_cells(course: Path, assignment: str):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        a = gb.find_assignment(assignment)
        return float(a.max_score), {s.student.id: (float(s.score), {g.name: (g.score, g.max_score)
                                                                  for n in s.notebooks for g in n.grades})
                                    for s in a.submissions}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_report_numbers_match_the_gradebook(demo_course, assignment):
    out = demo_course["path"] / "reports" / assignment
    numbers = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    max_score, subs = gradebook_cells(demo_course["path"], assignment)
    scores = [score for score, _ in subs.values()]
    assert numbers["max_score"] == max_score and numbers["graded"] == len(subs) == 8
    assert numbers["mean_score"] == pytest.approx(statistics.mean(scores))
    assert numbers["median_score"] == pytest.approx(statistics.median(scores))
    assert numbers["full_marks"] == sum(1 for s in scores if s == max_score)
    for grade_id, rate in numbers["pass_rates"].items():
        passed = sum(1 for _, cells in subs.values() if cells[grade_id][0] == cells[grade_id][1])
        assert rate == pytest.approx(passed / len(subs), abs=1e-4)
    lost = sum(1 for _, cells in subs.values() for s, m in cells.values() if s < m)
    assert sum(numbers["mistakes"].values()) == lost


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_report_writes_html_figures_and_both_csvs(demo_course, assignment):
    out = demo_course["path"] / "reports" / assignment
    page = (out / "index.html").read_text(encoding="utf-8")
    for name in ("score_distribution.png", "pass_rates.png", "mistakes.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.count("data:image/png;base64,") == 3
    assert all(student in page for student in ("aoki", "chiba", "fujita", "hayashi"))
    _, subs = gradebook_cells(demo_course["path"], assignment)
    with open(out / "behaviours.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(len(cells) for _, cells in subs.values())
    for row in rows:
        score, top = subs[row["student_id"]][1][row["grade_id"]]
        assert float(row["score"]) == score and float(row["max_score"]) == top
        assert row["passed"] == str(int(score >= top)) and bool(row["diagnosis"]) == (score < top)
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        grades = list(csv.DictReader(f))
    assert {r["assignment"] for r in grades} == {assignment}
    assert {r["student_id"]: float(r["score"]) for r in grades} == {s: v[0] for s, v in subs.items()}


def test_the_report_names_mistakes_with_their_students(demo_course):
    page = (demo_course["path"] / "reports" / "ch5_backprop" / "index.html").read_text(encoding="utf-8")
    assert "affine.dW_transposed" in page and "fujita" in page and "転置" in page


FORBIDDEN_IN_FEEDBACK = ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "bpkit.checks", "check_relu_backward",
                         "check_cross_entropy", "import reference", "from reference"]


def feedback_pages(course: Path):
    return sorted((course / "feedback").rglob("*.html"))


def test_feedback_never_shows_hidden_tests_or_the_reference(demo_course):
    pages = feedback_pages(demo_course["path"])
    assert len(pages) == 8 * 3  # every sample student, every assignment
    for page in pages:
        text = page.read_text(encoding="utf-8")
        plain = html.unescape(re.sub(r"<[^>]+>", "", text))  # highlighted code is split by tags
        leaked = [s for s in FORBIDDEN_IN_FEEDBACK if s in text or s in plain]
        assert not leaked, (page, leaked)
        assert "Your results / 採点結果" in text


def test_feedback_explains_a_failure_in_both_languages_with_a_heatmap(demo_course):
    text = (demo_course["path"] / "feedback" / "fujita" / "ch5_backprop" / "backprop_layers.html").read_text(
        encoding="utf-8")
    assert "dW is transposed" in text and "転置されています" in text
    assert "expected / 期待値" in text and "bpkit-heatmap" in text
    assert "[data]" not in text  # the machine-readable line is for the heatmap only
    # visible tests and the student's own code stay
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    assert "np.dot(dout.T, self.x)" in plain and "assert np.allclose(layer.dW, x.T @ dout)" in plain


# ------------------------------------------------------------ browser ---

@pytest.fixture(scope="module")
def browser():
    driver = chromium_driver()
    yield driver
    driver.quit()


IMAGES_LOADED = "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0);"


@pytest.mark.parametrize("page, shot", [
    ("reports/ch5_backprop/index.html", "report-ch5_backprop.png"),
    ("reports/ch4_gradients/index.html", "report-ch4_gradients.png"),
    ("feedback/fujita/ch5_backprop/backprop_layers.html", "feedback-fujita-ch5_backprop.png"),
])
def test_pages_load_in_chromium_without_errors_and_figures_render(demo_course, browser, page, shot):
    browser.get((demo_course["path"] / page).as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    loaded = browser.execute_script(IMAGES_LOADED)
    assert loaded and all(loaded), loaded
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and "favicon" not in e["message"] and "mathjax" not in e["message"].lower()]
    assert not severe, severe
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / shot))
    assert (ARTIFACTS / shot).stat().st_size > 10_000


# ------------------------------------------------------------- language ---

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

#: The page's own headings and labels (never the course's or the student's text): each must carry Japanese.
LABELS = {
    "report": "h1, h2, th, body > p, img[alt]",
    "feedback": (".bpkit-summary h3, th, td.center > span, .nbgrader-label, .bpkit-summary td > a, "
                 ".bpkit-fold-what, .panel-footer b, a[href='#top'], .bpkit-score"),
}
ENGLISH_ONLY = """return Array.from(document.querySelectorAll(arguments[0])).map(e =>
    e.tagName == 'IMG' ? e.alt : e.innerText.trim()).filter(t => t.length > 0);"""


@pytest.mark.parametrize("page, kind, at_least", [
    ("reports/ch5_backprop/index.html", "report", 20),
    ("reports/ch4_gradients/index.html", "report", 20),
    ("feedback/fujita/ch5_backprop/backprop_layers.html", "feedback", 30),
    ("feedback/chiba/ch4_gradients/losses_and_gradients.html", "feedback", 30),
])
def test_no_heading_or_label_of_a_page_is_english_only(demo_course, browser, page, kind, at_least):
    browser.get((demo_course["path"] / page).as_uri())
    labels = browser.execute_script(ENGLISH_ONLY, LABELS[kind])
    assert len(labels) >= at_least, labels
    assert all(JAPANESE.search(label) for label in labels), [t for t in labels if not JAPANESE.search(t)]
    lines = browser.execute_script("return document.body.innerText").splitlines()
    stock = ("Comments:", "No response", "Grade cell:", "(Top)", "Student's answer", "Test cell", "None found.",
             "Every submission was graded.", "Every student answered")
    english = [line for line in lines if any(s in line for s in stock) and not JAPANESE.search(line)]
    assert not english, english


#: Every element holding Japanese text, with its computed font-family.
JAPANESE_FONTS = """return Array.from(document.querySelectorAll('body *')).filter(e =>
    Array.from(e.childNodes).some(n => n.nodeType == 3 && /[\u3040-\u30ff\u4e00-\u9fff]/.test(n.textContent)))
    .map(e => [e.tagName, getComputedStyle(e).fontFamily]);"""
GENERIC = {"sans-serif", "serif", "monospace", "system-ui", "cursive", "fantasy", "inherit"}


def short_pages(folder) -> list:
    """The pages of a submission that could not be graded, stopped part-way, or lost its feedback page."""
    import string

    from bpkit.escaping import csp_meta
    from bpkit.fonts import CSS
    from bpkit.presentation.feedback import FALLBACK_PAGE
    from bpkit.presentation.pages import FAILURE_PAGE, PARTIAL_PAGE

    written = []
    for name, page in (("failure", FAILURE_PAGE), ("partial", PARTIAL_PAGE), ("fallback", FALLBACK_PAGE)):
        keys = {key for _, key, _, _ in string.Formatter().parse(page) if key}
        values = {key: 1.0 if "score" in key else "理由 reason" for key in keys} | {"csp": csp_meta(), "style": CSS,
                                                                                  "rows": ""}
        (folder / f"{name}.html").write_text(page.format(**values), encoding="utf-8")
        written.append(folder / f"{name}.html")
    return written


def test_japanese_text_is_drawn_with_a_japanese_font_before_any_fallback(demo_course, browser, tmp_path):
    """Pages marked lang="en" leave kanji to the system's fallback, often Chinese outside a Japanese
    system: every element with Japanese text names a Japanese font before its generic family."""
    from bpkit import fonts

    japanese = {name.strip("'") for name in fonts.JAPANESE}
    pages = [demo_course["path"] / page for page in ("reports/ch5_backprop/index.html",
                                                     "feedback/fujita/ch5_backprop/backprop_layers.html",
                                                     "feedback/chiba/ch4_gradients/losses_and_gradients.html")]
    for page in pages + short_pages(tmp_path):
        browser.get(page.as_uri())
        found = browser.execute_script(JAPANESE_FONTS)
        assert len(found) >= 2, (page, found)
        for tag, family in found:
            names = [name.strip().strip('"').strip("'") for name in family.split(",")]
            generic = next((i for i, name in enumerate(names) if name in GENERIC), len(names))
            assert japanese & set(names[:generic]), (page, tag, family)


def test_a_score_in_the_report_stays_on_one_line(demo_course, browser):
    browser.set_window_size(700, 1000)  # narrow: a wrapping "18 / 18" would take two lines
    try:
        browser.get((demo_course["path"] / "reports/ch5_backprop/index.html").as_uri())
        heights = browser.execute_script(
            "return Array.from(document.querySelectorAll('span.n')).map(s => s.getClientRects().length);")
    finally:
        browser.set_window_size(1200, 1800)
    assert len(heights) >= 8 and set(heights) == {1}, heights


# ------------------------------------------------------- report (unit) ---

def small_class():
    from bpkit.presentation.report import ClassResults

    return ClassResults("a1", max_score=18.0, scores={"s1": 18.0, "s2": 9.0, "s3": 18.0},
                        cells={"s1": {"c1": (2.0, 2.0)}, "s2": {"c1": (0.0, 2.0)}, "s3": {"c1": (2.0, 2.0)}},
                        reasons={"s2": {"c1": "relu.inverted_mask"}}, behaviours={"c1": "Relu masks."},
                        not_graded={"s4": "expected layers.ipynb; found layers (1).ipynb"})


def test_every_table_header_and_note_of_the_report_is_bilingual():
    from bpkit.presentation.report import _figures, _html, summary_numbers

    results = small_class()
    page = _html(results, summary_numbers(results), _figures(results))
    headers = re.findall(r"<th>(.*?)</th>", page)
    notes = re.findall(r"^<p>(.*?)</p>$", page, re.MULTILINE | re.DOTALL)
    assert len(headers) >= 18 and len(notes) >= 3, (headers, notes)
    assert all(JAPANESE.search(h) for h in headers + notes), [t for t in headers + notes if not JAPANESE.search(t)]
    assert "None found. / 該当なし。" in page  # no integrity findings in this class
    assert "found layers (1).ipynb" in page  # the reason grading recorded, whole
    assert "<span class='n'>18 / 18</span>" in page and ".n { white-space: nowrap; }" in page


def test_the_reports_figures_count_students_and_cells_in_whole_numbers():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from bpkit.presentation.report import _draw

    ticks = []

    def keep(fig):
        fig.canvas.draw()
        ticks.append([list(ax.get_yticks()) + list(ax.get_xticks()) for ax in fig.axes][0])
        plt.close(fig)
        return b""

    _draw(small_class(), {}, keep, plt, MaxNLocator, lambda en, ja: en)
    histogram, _, mistakes = ticks
    assert histogram and all(float(t).is_integer() for t in histogram), histogram
    assert all(float(t).is_integer() for t in mistakes), mistakes


INLINE_FRACTIONS = """return Array.from(document.querySelectorAll('math:not([display=block]) mfrac')).map(f =>
    [parseFloat(getComputedStyle(f.children[0]).fontSize),
     parseFloat(getComputedStyle(f.closest('p, li')).fontSize)]);"""
PAGE_HEIGHT = "return document.documentElement.scrollHeight;"


def test_a_feedback_page_draws_inline_fractions_at_the_size_of_its_text(demo_course, browser):
    browser.get((demo_course["path"] / "feedback/fujita/ch5_backprop/backprop_layers.html").as_uri())
    sizes = browser.execute_script(INLINE_FRACTIONS)  # e.g. ∂L/∂out in the instructions
    assert sizes and all(numerator >= 0.95 * text for numerator, text in sizes), sizes


def test_a_feedback_page_folds_what_the_student_does_not_need(demo_course, browser):
    browser.get((demo_course["path"] / "feedback/fujita/ch5_backprop/backprop_layers.html").as_uri())
    folded = browser.execute_script(PAGE_HEIGHT)
    opened = browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true);"
                                    + PAGE_HEIGHT)
    assert folded < 0.6 * opened, (folded, opened)
    failed = browser.execute_script("return Array.from(document.querySelectorAll('.nbgrader-label'))"
                                    ".filter(l => l.closest('details') === null).map(l => l.innerText);")
    in_table = browser.execute_script("return Array.from(document.querySelectorAll('.bpkit-summary td.center > span'))"
                                      ".filter(s => s.innerText.startsWith('fail')).length;")
    assert in_table > 0 and sum("Test / テスト" in label for label in failed) == in_table, failed  # all open
