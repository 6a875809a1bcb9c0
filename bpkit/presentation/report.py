"""The class report: how the class did on an assignment and what to re-teach.

Built only from the gradebook and what grading recorded in autograded/ (the
graded notebooks, the judge's files, and why a submission could not be
graded): never from submitted/, which only bpkit.grading.intake reads.  So
it can be regenerated at any time.
Writes index.html (self-contained: figures embedded), the same figures as
PNG, grades.csv (nbgrader export format), behaviours.csv (one row per
student and graded behaviour) and summary.json (the numbers on the page).
"""
from __future__ import annotations

import base64
import csv
import html
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade, is_solution

from bpkit.course import Course
from bpkit import fonts
from bpkit.escaping import csp_meta, csv_row, mathtext_safe
from bpkit.mathml import math_in_html
from bpkit.grading.records import read_results
from bpkit.presentation.export import export_csv
from bpkit.preprocessors.feedback_summary import behaviour_of

__all__ = ["ClassResults", "collect", "write_report", "NOT_ATTEMPTED"]

#: Reasons that mean "no answer yet", shown apart from the mistakes.
NOT_ATTEMPTED = ("not_implemented",)

@dataclass
class ClassResults:
    assignment: str
    max_score: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)            # graded student -> score
    cells: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)  # student -> id -> (s, max)
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)   # student -> failed id -> reason
    messages: dict[str, str] = field(default_factory=dict)             # reason -> one example message
    behaviours: dict[str, str] = field(default_factory=dict)           # grade id -> docstring
    notebook_of: dict[str, str] = field(default_factory=dict)          # grade id -> notebook
    not_graded: dict[str, str] = field(default_factory=dict)           # student -> why
    integrity: list[tuple[str, str, str]] = field(default_factory=list)  # (student, cell, evidence)
    course_errors: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (cell, fix) -> students

    def pass_rate(self, grade_id: str) -> float:
        graded = [c[grade_id] for c in self.cells.values() if grade_id in c]
        return sum(1 for s, m in graded if s >= m) / len(graded) if graded else 0.0

    def mistakes(self) -> Counter:
        return Counter(reason for per in self.reasons.values() for reason in per.values())

    def real_mistakes(self) -> Counter:
        """The diagnoses of answers given, without NOT_ATTEMPTED (a stub
        left as it was is not a mistake to re-teach, and would dwarf them)."""
        return Counter({k: n for k, n in self.mistakes().items() if k not in NOT_ATTEMPTED})

    def students_with(self, reason: str) -> list[str]:
        return sorted(s for s, per in self.reasons.items() if reason in per.values())


def collect(course: Course, assignment: str) -> ClassResults:
    """The class's results (bpkit.grading.records.read_results), with each
    grade cell's behaviour read from source/."""
    course.check_assignment(assignment)
    results = ClassResults(assignment)
    with course.gradebook() as gb:
        results.max_score = float(gb.find_assignment(assignment).max_score)
    for path in sorted((course.root / "source" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if is_grade(cell) and not is_solution(cell):
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                results.behaviours[grade_id], results.notebook_of[grade_id] = behaviour_of(cell), path.stem
    for result in read_results(course, assignment):
        if not result.ok:
            results.not_graded[result.student] = result.error
            continue
        results.scores[result.student], results.cells[result.student] = result.score, result.cells
        results.reasons[result.student] = dict(result.reasons)
        for reason, message in result.messages.items():
            results.messages.setdefault(reason, message)
        results.integrity += [(result.student, cell, why) for cell, why in result.findings]
        for error in result.course_errors:
            results.course_errors.setdefault(error, []).append(result.student)
    return results


# ----------------------------------------------------------------- figures ---

def _japanese_font() -> str | None:
    """A font family matplotlib can draw Japanese with (`bash setup.sh`
    installs Noto CJK), or None: the figures' labels are then English only
    rather than missing glyphs."""
    from matplotlib import font_manager

    names = sorted({f.name for f in font_manager.fontManager.ttflist if "CJK JP" in f.name})
    return next((n for n in names if "Sans" in n), names[0] if names else None)


def _figures(results: ClassResults) -> dict[str, bytes]:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    japanese = _japanese_font()

    def label(en: str, ja: str) -> str:
        return f"{en} / {ja}" if japanese else en

    def png(fig) -> bytes:
        buffer = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buffer, format="png", dpi=100)
        plt.close(fig)
        return buffer.getvalue()

    figures = {}
    style = {"font.family": ["DejaVu Sans", japanese]} if japanese else {}
    with plt.rc_context(style):
        _draw(results, figures, png, plt, MaxNLocator, label)
    return figures


def _draw(results: ClassResults, figures: dict, png, plt, MaxNLocator, label) -> None:
    """The three figures, into figures (name -> PNG); students and cells are
    counted in whole numbers on their axes."""
    fig, ax = plt.subplots(figsize=(6, 3))
    pct = [100 * s / results.max_score for s in results.scores.values()] if results.max_score else []
    ax.hist(pct, bins=[i * 10 for i in range(11)], color="#4c72b0", edgecolor="white")
    ax.set_xlabel(label("score (%)", "得点 (%)"))
    ax.set_ylabel(label("students", "学生数"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(mathtext_safe(f"{results.assignment}: ") + label("score distribution", "得点分布"))
    figures["score_distribution.png"] = png(fig)

    ids = list(results.behaviours)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(ids) + 1))
    rates = [100 * results.pass_rate(i) for i in ids]
    ax.barh([mathtext_safe(i) for i in ids[::-1]], rates[::-1], color="#55a868")
    ax.set_xlim(0, 100)
    ax.set_xlabel(label("students passing (%)", "合格した学生 (%)"))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(label("pass rate per behaviour", "確認項目ごとの合格率"))
    figures["pass_rates.png"] = png(fig)

    common = results.real_mistakes().most_common(10)
    fig, ax = plt.subplots(figsize=(7, 0.35 * max(len(common), 1) + 1))
    if common:
        ax.barh([mathtext_safe(k) for k, _ in common][::-1], [v for _, v in common][::-1], color="#c44e52")
    ax.set_xlabel(label("grade cells lost", "失点したセル数"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(label("most common diagnoses", "よくある誤り"))
    figures["mistakes.png"] = png(fig)


# -------------------------------------------------------------------- HTML ---

def _score(score, max_score) -> str:
    """`18 / 18`, never broken over two lines."""
    return f"<span class='n'>{score} / {max_score:g}</span>"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_numbers(results: ClassResults) -> dict:
    scores = list(results.scores.values())
    return {
        "assignment": results.assignment,
        "max_score": results.max_score,
        "submissions": len(results.scores) + len(results.not_graded),
        "graded": len(results.scores),
        "not_graded": len(results.not_graded),
        "mean_score": round(statistics.mean(scores), 4) if scores else None,
        "median_score": statistics.median(scores) if scores else None,
        "full_marks": sum(1 for s in scores if s >= results.max_score),
        "pass_rates": {i: round(results.pass_rate(i), 4) for i in results.behaviours},
        "mistakes": dict(results.mistakes().most_common()),
        "integrity_findings": len(results.integrity),
        "course_errors": [{"cell": c, "message": m, "students": len(s)} for (c, m), s in results.course_errors.items()],
    }


def _html(results: ClassResults, numbers: dict, figures: dict[str, bytes]) -> str:
    esc = html.escape

    def img(name: str, alt: str) -> str:
        data = base64.b64encode(figures[name]).decode("ascii")
        return f"<img src='data:image/png;base64,{data}' alt='{esc(alt)}'>"

    mean = "-" if numbers["mean_score"] is None else f"{numbers['mean_score']:.2f}"
    median = "-" if numbers["median_score"] is None else f"{numbers['median_score']:g}"
    overview = _table(["submissions / 提出数", "graded / 採点済み", "not graded / 未採点", "mean / 平均",
                       "median / 中央値", "full marks / 満点"], [[
        str(numbers["submissions"]), str(numbers["graded"]), str(numbers["not_graded"]),
        _score(mean, results.max_score), _score(median, results.max_score), str(numbers["full_marks"])]])
    behaviours = _table(["behaviour / 確認項目", "grade cell / 採点セル", "notebook / ノートブック",
                         "passing / 合格率"], [
        [math_in_html(esc(text)), f"<code>{esc(i)}</code>", esc(results.notebook_of.get(i, "")),
         f"{100 * results.pass_rate(i):.0f}%"] for i, text in results.behaviours.items()])
    mistakes = _table(["diagnosis / 診断", "cells lost / 失点セル数", "students / 学生",
                       "what they were told / 表示されたメッセージ"], [
        [f"<code>{esc(k)}</code>", str(n), esc(", ".join(results.students_with(k))),
         "<pre>" + esc(results.messages.get(k, "")) + "</pre>"] for k, n in results.real_mistakes().most_common()])
    missing = {k: n for k, n in results.mistakes().items() if k in NOT_ATTEMPTED}
    not_attempted = (_table(["reason / 理由", "cells / セル数", "students / 学生"], [
        [f"<code>{esc(k)}</code>", str(n), esc(", ".join(results.students_with(k)))] for k, n in missing.items()])
                     if missing else "<p>Every student answered every graded cell. / "
                                     "すべての学生が採点対象のセルすべてに解答しました。</p>")
    integrity = (_table(["student / 学生", "cell / セル", "evidence / 根拠"], [[esc(s), esc(c or ""), esc(e)] for s, c, e in
                                                          results.integrity])
                 if results.integrity else "<p>None found. / 該当なし。</p>")
    course_errors = ("<h2>Course configuration errors / 講座の設定の誤り</h2>\n<p>The course's mistakes, not the "
                     "students': these cells kept their points. Fix each, check with <code>bpkit release</code>, then "
                     "regrade with <code>bpkit grade --force</code>.<br>学生ではなく講座の誤りです（このセルは減点して"
                     "いません）。修正して <code>bpkit release</code> で確かめ、<code>bpkit grade --force</code> で"
                     "採点し直してください。</p>\n" + _table(
                         ["cell / セル", "what is wrong and the fix / 誤りと直し方", "students / 学生"], [
                             [f"<code>{esc(c)}</code>", esc(m), esc(", ".join(s))]
                             for (c, m), s in results.course_errors.items()])) if results.course_errors else ""
    failed = (_table(["student / 学生", "why / 理由"], [[esc(s), esc(w)] for s, w in results.not_graded.items()])
              if results.not_graded else "<p>Every submission was graded. / すべての提出物を採点しました。</p>")
    students = _table(["student / 学生", "score / 得点", "lost points in / 失点した項目"], [
        [esc(s), _score(f"{score:g}", results.max_score),
         esc(", ".join(f"{c} ({r})" for c, r in results.reasons.get(s, {}).items())) or "full marks / 満点"]
        for s, score in sorted(results.scores.items())])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
{csp_meta()}
<title>{esc(results.assignment)} — class report / クラスの結果</title>
<style>
{fonts.CSS}body {{ margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
pre {{ white-space: pre-wrap; margin: 0; font-size: 12px; }}
img {{ max-width: 100%; margin: 0.5em 0; }}
.n {{ white-space: nowrap; }}
</style></head><body>
<h1>{esc(results.assignment)}: class report / クラスの結果</h1>
{course_errors}
{overview}
<h2>Score distribution / 得点分布</h2>
{img("score_distribution.png", "score distribution / 得点分布")}
<h2>Pass rate per behaviour / 確認項目ごとの合格率</h2>
{img("pass_rates.png", "pass rates / 合格率")}
{behaviours}
<h2>Most common mistakes / よくある誤り</h2>
{img("mistakes.png", "most common diagnoses / よくある誤り")}
{mistakes}
<h2>Not attempted / 未解答</h2>
<p>Cells whose stub was left as handed out (<code>raise NotImplementedError</code>): no answer yet, so not counted
among the mistakes above.<br>
配布時のまま（<code>raise NotImplementedError</code>）で未解答のセル。上の誤りには数えていません。</p>
{not_attempted}
<h2>Items to review / 要確認の項目</h2>
<p>Cells that passed in the notebook but not with the judge (the judge decided the score), and solution cells
with code patterns worth a look (a hint, not proof; they cost no points).<br>
ノートブック内では合格したが採点プログラム（judge）では不合格だったセル（得点は judge が決定）と、確認したほうがよい
コードパターンを含む解答セル（証拠ではなく手がかりで、減点はありません）。</p>
{integrity}
<h2>Submissions that could not be graded / 採点できなかった提出物</h2>
{failed}
<h2>Students / 学生ごとの結果</h2>
{students}
</body></html>
"""


def write_report(course: Course, assignment: str, out_dir: Path | None = None) -> Path:
    """Write the report files into out_dir (default reports/<assignment>/); returns index.html."""
    out_dir = Path(out_dir) if out_dir else course.root / "reports" / assignment
    out_dir.mkdir(parents=True, exist_ok=True)
    results = collect(course, assignment)
    numbers = summary_numbers(results)
    figures = _figures(results)
    for name, data in figures.items():
        (out_dir / name).write_bytes(data)
    export_csv(course, out_dir / "grades.csv", assignment=assignment)
    with open(out_dir / "behaviours.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)  # every cell through csv_row: no spreadsheet formulas
        writer.writerow(["student_id", "assignment", "notebook", "grade_id", "behaviour", "score", "max_score",
                         "passed", "diagnosis"])
        for student, cells in sorted(results.cells.items()):
            for grade_id, (score, top) in cells.items():
                writer.writerow(csv_row([student, assignment, results.notebook_of.get(grade_id, ""), grade_id,
                                         results.behaviours.get(grade_id, ""), score, top, int(score >= top),
                                         results.reasons.get(student, {}).get(grade_id, "")]))
    (out_dir / "summary.json").write_text(json.dumps(numbers, indent=2, ensure_ascii=False), encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(_html(results, numbers, figures), encoding="utf-8")
    return index
