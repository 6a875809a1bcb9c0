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

from bpkit.checks.core import DATA_PREFIX
from bpkit.escaping import clip, terminal_text
from bpkit.grading.records import MAX_SCANNED, AuthorError, CellVerdict, Finding, JudgeRecord, mistake_key
from bpkit.grading.root_cause import KEY as ROOT_CAUSE_KEY
from bpkit.grading.root_cause import explain_name_errors
from bpkit.preprocessors.feedback_summary import HEATMAP_METADATA, keep_heatmap_data, tidy_error
from bpkit.judging.judge import COURSE_ERROR, COURSE_ERROR_KEY
from bpkit.probe import NOT_PASSED

__all__ = ["apply_verdicts", "judged_only", "annotate", "judged_message", "kit_keys", "graded_with", "visible_only_note",
           "NOT_RUN", "NOT_CHECKED", "VISIBLE_ONLY", "VISIBLE_ONLY_UNEXPLAINED", "COST_LIMIT_KEY"]


def cell_verdict(judge, names, unreached: str) -> CellVerdict:
    """The judge's verdict on one grade cell calling the checks `names`: it
    passes only if every check reached the judge and passed every time;
    unreached: the message when no check failed but one never arrived.

    A course configuration error (a check the registry does not know, one
    that asked to send what cannot cross, one that raised inside the
    grader: bpkit.judging.judge) is the author's, never the student's: the
    cell passes (it is not scored against them) with COURSE_ERROR as its
    message and the author's message in ``course_error``."""
    from bpkit.checks import registry
    from bpkit.judging.judge import unknown_check

    known = registry.checks()
    verdicts = [v for name in names
                for v in judge.verdicts.get(name, [] if name in known else [unknown_check(name)])]
    notes = "\n".join(v.notes for v in verdicts if v.notes)
    course = "\n".join(dict.fromkeys(v.course_error for v in verdicts if getattr(v, "course_error", "")))
    if course:
        return CellVerdict(True, True, COURSE_ERROR, notes, course_error=course)
    passed = bool(names) and all(name in judge.verdicts for name in names) and all(v.passed for v in verdicts)
    message = next((v.message for v in verdicts if not v.passed), "" if passed else unreached)
    return CellVerdict(passed, bool(verdicts), message, notes)


def refusals(judge) -> list[Finding]:
    """Integrity findings for requests the judge refused (another
    assignment's check, a check asked twice, an unknown name)."""
    found = [Finding("", "(grader)", f"asked the grader for {r['name']!r}: {r['why']}, refused")
             for r in judge.refused]
    if judge.refused_count > len(judge.refused):
        found.append(Finding("", "(grader)", f"{judge.refused_count - len(judge.refused)} more requests refused; "
                                             "the grader stopped answering this notebook"))
    return found


#: The key of a check a resource cap stopped (bpkit.judging.judge.CostLimit): never an integrity finding.
COST_LIMIT_KEY = "cost_limit"

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
            if verdict.course_error:
                record.course_errors.append(AuthorError(notebook, grade_id, verdict.course_error))
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
    pass there is an integrity finding, unless a cost cap stopped the
    check: that is never one).  A cell the judge passed keeps its points
    even if the cell's visible example failed in the notebook: the hidden
    check covers everything the example asserts, so such a failure comes
    from code graded in another cell (e.g. an Affine.backward whose dx
    raises, in the dW cell), which must not cost points twice; annotate's
    note names that cell when it failed, and claims nothing otherwise.

    A cell whose check met a course configuration error (CellVerdict.
    course_error) keeps its points: the course's mistake costs the student
    nothing and is no integrity finding; it is recorded in
    ``record.course_errors``, which the terminal and the report show first."""
    record = JudgeRecord(findings=refusals(judge))
    for notebook, scores in grades.items():
        for grade_id, score in scores.items():
            cell = grade_cells.get(notebook, {}).get(grade_id)
            if cell is None or not cell.checks:
                continue  # an instructor's cell without a hidden check: nbgrader's score stands
            verdict = cell_verdict(judge, cell.checks, NOT_CHECKED)
            verdict.in_notebook = score
            record.cells.setdefault(notebook, {})[grade_id] = verdict
            if verdict.course_error:
                record.course_errors.append(AuthorError(notebook, grade_id, verdict.course_error))
            if not verdict.passed:
                if score and f"[{COST_LIMIT_KEY}]" not in verdict.message.splitlines():  # a cost, not misconduct
                    record.findings.append(Finding(notebook, grade_id, (verdict.message.splitlines() or [""])[0],
                                                   score))
                scores[grade_id] = 0.0
            elif (score or 0.0) < cell.points:
                scores[grade_id] = cell.points
    return record


VISIBLE_ONLY = ("Note: this cell's visible example failed, but the grader's hidden check of the behaviour it "
                "grades passed, so the cell keeps its points: the example also runs code graded in {cells_en}, "
                "which did not pass, and the failure comes from that mistake.\n"
                "注意：このセルの表示されている例は失敗しましたが、このセルが採点する動作の隠しテストには合格したので、得点は"
                "そのままです。この例は {cells_ja} で採点されるコードも実行しており、そのセルは不合格でした。失敗の原因は"
                "その誤りです。\n")
VISIBLE_ONLY_UNEXPLAINED = (
    "Note: this cell's visible example failed, but the grader's hidden check of the behaviour it grades passed, "
    "so the cell keeps its points. No other cell that grades the same code failed, so the error above is the only "
    "clue: read it, and tell your instructor if you think the example is wrong.\n"
    "注意：このセルの表示されている例は失敗しましたが、このセルが採点する動作の隠しテストには合格したので、得点は"
    "そのままです。同じコードを採点する他のセルはすべて合格しているので、手がかりは上のエラーだけです。エラーを読み、"
    "例が間違っていると思う場合は先生に知らせてください。\n")


def visible_only_note(failed_elsewhere: list[str]) -> str:
    """The note for a cell the judge passed whose visible example failed:
    naming the cells that grade the same code and did not pass (a claim
    made only when there is one), else saying no such cell failed."""
    if not failed_elsewhere:
        return VISIBLE_ONLY_UNEXPLAINED
    cells = ", ".join(f"`{c}`" for c in failed_elsewhere)
    return VISIBLE_ONLY.format(cells_en=f"the cell{'s' if len(failed_elsewhere) > 1 else ''} {cells}",
                               cells_ja=f"セル {cells}")


def graded_with(grade_cells: dict) -> dict[str, dict[str, tuple[str, ...]]]:
    """notebook -> grade id -> the other grade cells of that notebook whose
    checks grade the same student object (Affine, TwoLayerNet, ...): where a
    visible example's failure may come from.  grade_cells: notebook ->
    grade id -> the registry's GradeCell (read from source/)."""
    related: dict[str, dict[str, tuple[str, ...]]] = {}
    for notebook, cells in grade_cells.items():
        for grade_id, cell in cells.items():
            objects = set(getattr(cell, "objects", ()) or ())
            related.setdefault(notebook, {})[grade_id] = tuple(
                other for other, o in cells.items() if other != grade_id and objects & set(getattr(o, "objects", ()) or ()))
    return related


def _judged_error(cell, message: str):
    """The error output of a cell the judge failed: its message as the
    traceback too (formgrader shows an error by its traceback), without the
    ``[data]`` line of the heatmap, which goes into the cell's metadata
    (bpkit.preprocessors.feedback_summary.HEATMAP_METADATA)."""
    text = keep_heatmap_data(cell, message)
    return nbformat.v4.new_output("error", ename="CheckFailure", evalue=text, traceback=[f"CheckFailure: {text}"])


def annotate(folder: Path, cells: dict[str, dict[str, CellVerdict]], record: JudgeRecord | None = None,
             related: dict | None = None) -> None:
    """Put the judge's diagnosis into the graded notebook (for feedback and
    formgrader), cell by cell (_annotate_cell); cells: notebook -> grade id -> verdict ({} for
    none, as with --no-sandbox); related: graded_with(grade cells), for the
    note of a cell whose visible example failed; every graded cell's errors
    then lose their ``[data]`` lines (moved to the cell's metadata) and the
    kit's own traceback frames (bpkit/probe.py, the checks), so formgrader
    shows what the feedback shows; and a NameError caused by an earlier
    failed cell names it (bpkit.grading.root_cause).

    record (sandboxed grading, the judge decided): the notebook's own text is
    the student's output, so before anything a heatmap or ``[data]`` line
    that did not come from the judge is dropped, a kernel error posing as
    the grader's diagnosis (a ``[key]`` line, ``[data]``, a CheckFailure the
    probe did not raise) becomes an integrity finding of the record, and
    each judged cell that failed before its check reached the judge gets
    the reason the grading side sees (CellVerdict.cause): an earlier failed
    cell, a stub, or the exception the notebook raised, by name."""
    for notebook, verdicts in cells.items():
        path = folder / f"{notebook}.ipynb"
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        changed = False
        if record is not None:
            changed = _student_text_only(nb, notebook, record) or changed
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            verdict = verdicts.get(grade_id)
            if verdict:
                others = (related or {}).get(notebook, {}).get(grade_id, ())
                failed = [o for o in others if o in verdicts and not verdicts[o].passed]
                changed = _annotate_cell(cell, verdict, failed) or changed
        changed = _tidy_errors(nb) or changed
        before = {id(o): o.get("evalue") for c in nb.cells for o in c.get("outputs", [])
                  if o.get("output_type") == "error"}
        changed = explain_name_errors(nb) or changed
        if record is not None:
            rewritten = {id(o) for c in nb.cells for o in c.get("outputs", [])
                         if o.get("output_type") == "error" and before.get(id(o)) != o.get("evalue")}
            present = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells}
            for grade_id, verdict in verdicts.items():
                if not verdict.passed and not verdict.checked:
                    verdict.cause, verdict.cause_message = (_cause(present[grade_id], rewritten) if grade_id in present
                                                            else ("cell deleted", "The graded cell was deleted."))
        if changed:
            nbformat.write(nb, path)


def _is_probe_placeholder(output) -> bool:
    return output.get("ename") == "CheckFailure" and output.get("evalue") == NOT_PASSED


def _student_text_only(nb, notebook: str, record: JudgeRecord) -> bool:
    """Drop heatmaps and ``[data]`` lines the notebook brought itself (the
    judge's are added afterwards, from its record), and record an integrity
    finding for each grade cell whose kernel error poses as the grader's
    diagnosis; returns whether anything changed."""
    changed = False
    for cell in nb.cells:
        if cell.get("metadata", {}).pop(HEATMAP_METADATA, None) is not None:
            changed = True
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error" or _is_probe_placeholder(output):
                continue
            evalue = str(output.get("evalue") or "")
            key = mistake_key(clip(evalue, MAX_SCANNED))
            if is_grade(cell) and (key or DATA_PREFIX in evalue or output.get("ename") == "CheckFailure"):
                shown = f" ([{terminal_text(key, 100)}])" if key else ""
                record.findings.append(Finding(
                    notebook, grade_id or "", f"the notebook raised text posing as the grader's diagnosis{shown}; "
                    "it is the student's own output and was not used as a diagnosis", kind="imitation"))
            if DATA_PREFIX in evalue:
                output["evalue"] = "\n".join(line for line in evalue.splitlines() if not line.startswith(DATA_PREFIX))
                changed = True
            traceback = [str(entry) for entry in output.get("traceback") or []]
            if any(DATA_PREFIX in entry for entry in traceback):
                output["traceback"] = ["\n".join(line for line in entry.splitlines() if DATA_PREFIX not in line)
                                       for entry in traceback]
                changed = True
    return changed


def _cause(cell, rewritten: set[int]) -> tuple[str, str]:
    """(reason, message) of a graded cell that failed in the notebook
    before its check reached the judge, as the grading side sees it."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            evalue = clip(str(output.get("evalue") or ""), 2_000)
            if id(output) in rewritten:  # bpkit.grading.root_cause named the earlier cell
                return ROOT_CAUSE_KEY, evalue
            ename = terminal_text(str(output.get("ename") or "error"), 100) or "error"
            if ename == "NotImplementedError":
                return "not_implemented", "Not implemented yet (the stub as handed out).\nまだ実装されていません。"
            if ename in kit_keys():  # an exception named like a key the kit gives is still the student's own
                ename = f"notebook error: {ename}"
            return ename, f"(raised in the notebook: the student's own output, not the grader's)\n{ename}: {evalue}"
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "wrote to stderr", "The cell wrote to stderr, which nbgrader counts as a failure."
    return "", ""


def kit_keys() -> frozenset[str]:
    """Every reason the kit itself gives: the checks' mistake keys and the
    grading side's own."""
    from bpkit.checks import registry

    keys = set(registry.generic_keys())
    for check in registry.checks().values():
        keys |= check.keys
    return frozenset(keys | {ROOT_CAUSE_KEY, "not_checked", "not_run", "sandbox", "judge_error", "asked_twice",
                             "judged", "grader_memory", "not_implemented", "wrote to stderr", "failed", "cell deleted",
                             COURSE_ERROR_KEY})


def _annotate_cell(cell, verdict: CellVerdict, failed_elsewhere: list[str] = ()) -> bool:
    """One judged grade cell: the checks' notes (no points lost) as printed
    output; for a pass, a note if the cell's visible example failed (naming
    failed_elsewhere, the cells grading the same code that did not pass); for a
    failure, the judge's diagnosis in place of the probe's placeholder (the
    sandbox is told pass/fail only) or, for a cell that shows no error of its
    own, as a new error output.  Returns whether the cell changed."""
    outputs = cell.setdefault("outputs", [])
    errors = [o for o in outputs if o.get("output_type") == "error"]
    changed = False
    if verdict.course_error:  # the course's mistake: the probe's placeholder goes, the student is told
        cell["outputs"] = [o for o in outputs if not _is_probe_placeholder(o)]
        cell["outputs"].append(nbformat.v4.new_output("stream", name="stdout", text=COURSE_ERROR + "\n"))
        return True
    if verdict.notes:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=verdict.notes + "\n"))
        changed = True
    if verdict.passed:
        if verdict.in_notebook is not None and errors:
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=visible_only_note(list(failed_elsewhere))))
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
