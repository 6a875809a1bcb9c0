"""The judge's verdicts become the score and the graded notebook's story.

apply_verdicts scores each judged grade cell by the judge alone (a cell the
notebook passed but the judge failed is an integrity finding), judged_only
scores a submission whose kernel stopped part-way from the verdicts the
judge had by then, and annotate writes the judge's diagnosis into the
graded notebook (formgrader and the feedback show it), tidies every graded
cell's errors and names an earlier failed cell behind a NameError.  All of
it returns or writes a JudgeRecord (bpkit.grading.records)."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.utils import is_grade

from bpkit.grading.records import CellVerdict, Finding, JudgeRecord
from bpkit.grading.root_cause import explain_name_errors
from bpkit.preprocessors.feedback_summary import keep_heatmap_data, tidy_error
from bpkit.probe import NOT_PASSED

__all__ = ["apply_verdicts", "judged_only", "annotate", "judged_message", "NOT_RUN", "NOT_CHECKED", "VISIBLE_ONLY"]


def cell_verdict(judge, names, unreached: str) -> CellVerdict:
    """The judge's verdict on one grade cell calling the checks `names`: it
    passes only if every check reached the judge and passed every time;
    unreached: the message when no check failed but one never arrived."""
    verdicts = [v for name in names for v in judge.verdicts.get(name, [])]
    passed = bool(names) and all(name in judge.verdicts for name in names) and all(v.passed for v in verdicts)
    message = next((v.message for v in verdicts if not v.passed), "" if passed else unreached)
    return CellVerdict(passed, bool(verdicts), message, "\n".join(v.notes for v in verdicts if v.notes))


def refusals(judge) -> list[Finding]:
    """Integrity findings for requests the judge refused (another
    assignment's check, a check asked twice, an unknown name)."""
    found = [Finding("", "(grader)", f"asked the grader for {r['name']!r}: {r['why']}, refused")
             for r in judge.refused]
    if judge.refused_count > len(judge.refused):
        found.append(Finding("", "(grader)", f"{judge.refused_count - len(judge.refused)} more requests refused; "
                                             "the grader stopped answering this notebook"))
    return found


NOT_RUN = ("This cell never ran: the notebook's kernel stopped before it (killed, out of memory or time).\n"
           "このセルは実行されませんでした。その前にカーネルが停止しました（強制終了、メモリ不足または時間切れ）。\n"
           "[not_run]")


def judged_only(judge, grade_cells: dict, stopped: str) -> tuple[dict[str, dict[str, float]], JudgeRecord]:
    """The kernel stopped part-way, so nbgrader saved no scores: each grade
    cell (grade_cells: notebook -> grade id -> the registry's GradeCell)
    scored by the judge's verdicts alone (a cell it never checked scores
    zero, NOT_RUN), points from source/; returns (scores, record)."""
    scores, record = {}, JudgeRecord(findings=refusals(judge), stopped=stopped)
    for notebook, cells in grade_cells.items():
        for grade_id, cell in cells.items():
            verdict = cell_verdict(judge, cell.checks, NOT_RUN)
            scores.setdefault(notebook, {})[grade_id] = cell.points if verdict.passed else 0.0
            record.cells.setdefault(notebook, {})[grade_id] = verdict
    return scores, record


NOT_CHECKED = ("This cell's hidden check never reached the grader: the cell did not run it (was it changed or "
               "deleted?), so it cannot be scored.\n"
               "このセルの隠しテストが採点プログラムに届きませんでした（セルが変更または削除されていませんか？）。"
               "そのため得点にできません。\n[not_checked]")


def judged_message(message: str) -> str:
    """The judge's bilingual message, introduced as the grader's own verdict
    (for a cell whose notebook output shows no failure)."""
    en, ja, *rest = message.splitlines() + ["", ""]
    return "\n".join([f"The grader checked this cell outside your notebook, and it did not pass: {en}",
                      f"ノートブックの外で採点した結果、このセルは不合格でした：{ja}", *rest]).rstrip("\n")


def apply_verdicts(grades: dict[str, dict[str, float | None]], judge, grade_cells: dict) -> JudgeRecord:
    """Score each judged grade cell of `grades` (notebook -> grade id ->
    nbgrader's in-notebook score, changed in place) by the judge's verdict;
    returns the record (verdicts and findings).

    A cell the judge failed scores zero, whatever the notebook showed (a
    pass there is an integrity finding).  A cell the judge passed keeps its
    points even if the cell's visible example failed in the notebook: the
    hidden check is the grade, and a visible example that fails while the
    behaviour it illustrates passes is failing because of a mistake graded
    in another cell (e.g. an Affine.backward whose dx raises, in the dW
    cell), which must not cost points twice."""
    record = JudgeRecord(findings=refusals(judge))
    for notebook, scores in grades.items():
        for grade_id, score in scores.items():
            cell = grade_cells.get(notebook, {}).get(grade_id)
            if cell is None or not cell.checks:
                continue  # an instructor's cell without a hidden check: nbgrader's score stands
            verdict = cell_verdict(judge, cell.checks, NOT_CHECKED)
            verdict.in_notebook = score
            record.cells.setdefault(notebook, {})[grade_id] = verdict
            if not verdict.passed:
                if score:
                    record.findings.append(Finding(notebook, grade_id, (verdict.message.splitlines() or [""])[0],
                                                   score))
                scores[grade_id] = 0.0
            elif (score or 0.0) < cell.points:
                scores[grade_id] = cell.points
    return record


VISIBLE_ONLY = ("Note: this cell's visible example failed, but the grader's hidden check of the behaviour it "
                "grades passed, so the cell keeps its points: the failure comes from a mistake graded in another "
                "cell.\n"
                "注意：このセルの表示されている例は失敗しましたが、このセルが採点する動作の隠しテストには合格したので、得点は"
                "そのままです。失敗の原因は別のセルで採点される誤りです。\n")


def _judged_error(cell, message: str):
    """The error output of a cell the judge failed: its message as the
    traceback too (formgrader shows an error by its traceback), without the
    ``[data]`` line of the heatmap, which goes into the cell's metadata
    (bpkit.preprocessors.feedback_summary.HEATMAP_METADATA)."""
    text = keep_heatmap_data(cell, message)
    return nbformat.v4.new_output("error", ename="CheckFailure", evalue=text, traceback=[f"CheckFailure: {text}"])


def annotate(folder: Path, cells: dict[str, dict[str, CellVerdict]]) -> None:
    """Put the judge's diagnosis into the graded notebook (for feedback and
    formgrader), cell by cell (_annotate_cell); cells: notebook -> grade id -> verdict ({} for
    none, as with --no-sandbox); every graded cell's errors
    then lose their ``[data]`` lines (moved to the cell's metadata) and the
    kit's own traceback frames (bpkit/probe.py, the checks), so formgrader
    shows what the feedback shows; and a NameError caused by an earlier
    failed cell names it (bpkit.grading.root_cause)."""
    for notebook, verdicts in cells.items():
        path = folder / f"{notebook}.ipynb"
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            verdict = verdicts.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
            if verdict:
                changed = _annotate_cell(cell, verdict) or changed
        changed = _tidy_errors(nb) or changed
        changed = explain_name_errors(nb) or changed
        if changed:
            nbformat.write(nb, path)


def _annotate_cell(cell, verdict: CellVerdict) -> bool:
    """One judged grade cell: the checks' notes (no points lost) as printed
    output; for a pass, a note if the cell's visible example failed; for a
    failure, the judge's diagnosis in place of the probe's placeholder (the
    sandbox is told pass/fail only) or, for a cell that shows no error of its
    own, as a new error output.  Returns whether the cell changed."""
    outputs = cell.setdefault("outputs", [])
    errors = [o for o in outputs if o.get("output_type") == "error"]
    changed = False
    if verdict.notes:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=verdict.notes + "\n"))
        changed = True
    if verdict.passed:
        if verdict.in_notebook is not None and errors:
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=VISIBLE_ONLY))
            changed = True
        return changed
    placeholder = [o for o in errors if o.get("evalue") == NOT_PASSED]
    if placeholder:
        cell["outputs"] = [o for o in outputs if o not in placeholder] + [_judged_error(cell, verdict.message)]
        return True
    if not errors:
        outputs.append(_judged_error(cell, judged_message(verdict.message)))
        return True
    return changed


def _tidy_errors(nb) -> bool:
    """Every graded cell's errors as formgrader shows them; returns whether
    anything changed."""
    changed = False
    for cell in nb.cells:
        if not is_grade(cell):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                before = (output.get("evalue"), list(output.get("traceback") or []))
                tidy_error(cell, output)
                changed = changed or before != (output.get("evalue"), output.get("traceback"))
    return changed
