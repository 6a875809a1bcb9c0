"""What a "Check my work / 答え合わせ" cell runs: ``check_my_work("Relu")``
(or ``check_my_work("MulLayer", "AddLayer")`` after two exercises at once).

After each exercise of a notebook a cell (not graded) runs every graded
behaviour of the learner's ``Relu`` (or ``softmax``, ``TwoLayerNet``, ...)
with the judge grading uses (bpkit.learner.self_judge), on hidden inputs
from the learner's own seed, and shows the verdict inline: each behaviour,
its points, pass or fail, and for a failure the diagnosis in English and
Japanese with a heatmap of where the answer differs (an image output, which
JupyterLab, Notebook 7, VS Code and Colab all draw).  The output's metadata
(``bpkit_self_check``) holds the same verdicts as plain data.

It never raises and never writes to stderr (nbgrader fails a cell for
either), and it does nothing while a notebook is being graded (the grader's
kernel has BPKIT_JUDGE or BPKIT_GRADING set): a check cell never counts.
The cell's name is looked up in the notebook (a string, so that a class
whose cell failed gives a message here instead of a NameError).
"""
from __future__ import annotations

import base64
import contextlib
import os
import re
import sys

from bpkit.grading.root_cause import KEY, defined_names
from bpkit.judging.wire import ENV as JUDGE_ENV
from bpkit.learner.outcome import Outcome, from_message, heatmap, html_table, text_table
from bpkit.learner.recognise import cells_checking
from bpkit.learner.self_judge import judge_here, learner_salt

__all__ = ["check_my_work", "GRADING_ENV", "METADATA", "SKIPPED"]

#: Set in a grading worker's kernels (bpkit.grading.batch), as BPKIT_JUDGE is in a sandboxed one.
GRADING_ENV = "BPKIT_GRADING"
#: The key of the verdicts in the output's metadata.
METADATA = "bpkit_self_check"
SKIPPED = ("Check my work does not run while the notebook is graded.\n"
           "採点中は答え合わせを実行しません。")


def check_my_work(*names: str, namespace: dict | None = None) -> None:
    """Check each of the learner's `names` (e.g. "Relu") against every
    graded behaviour that uses it and show the verdicts in one table
    (namespace: where to find them; default: the calling notebook's globals)."""
    if os.environ.get(JUDGE_ENV) or os.environ.get(GRADING_ENV):
        print(SKIPPED)
        return
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    try:
        with contextlib.redirect_stderr(sys.stdout):
            outcomes = _outcomes([str(n) for n in names], namespace)
            _show(", ".join(map(str, names)), outcomes)
    except KeyboardInterrupt:
        print("Stopped. / 中断しました。")
    except (Exception, SystemExit) as exc:  # never fail the cell: say what went wrong
        print(f"Check my work could not run: {type(exc).__name__}: {exc}\n"
              f"答え合わせを実行できませんでした：{type(exc).__name__}: {exc}")


def _outcomes(names: list[str], namespace: dict) -> list[Outcome] | None:
    cells = []
    for name in names:
        found = cells_checking(name)[1]
        if not found:
            print(f"{name!r} is not graded in any exercise of the kit.\n"
                  f"{name!r} はキットのどの課題でも採点対象ではありません。")
            return None
        cells += [c for c in found if c not in cells]
    salt = learner_salt()
    outcomes = []
    for cell in cells:
        missing = next((target for _, target in cell.checks if target not in namespace), None)
        if missing:
            key, message = _undefined(missing, namespace)
            outcomes.append(from_message(cell.grade_id, cell.behaviour, cell.points, False, message, key=key))
            continue
        verdicts = [judge_here(check, namespace[target], salt) for check, target in cell.checks]
        failed = next((v for v in verdicts if not v.passed), None)
        notes = "\n".join(v.notes for v in verdicts if v.notes)
        outcomes.append(from_message(cell.grade_id, cell.behaviour, cell.points, failed is None,
                                     failed.message if failed else "", notes))
    return outcomes


#: Sources of the cells that failed in this kernel since the kit was imported (see _watch).
_FAILED: list[str] = []
_DEF_LINE = re.compile(r"^(?:def|class)\s+([\w ]+?)\s*[(:]", re.MULTILINE)


def _record(result) -> None:
    """IPython's post_run_cell event: remember the source of a cell that failed."""
    try:
        if not result.success and isinstance(result.info.raw_cell, str):
            _FAILED.append(result.info.raw_cell[:100_000])
            del _FAILED[:-50]
    except Exception:  # never disturb the learner's kernel
        pass


def _watch() -> None:
    """Follow which cells fail (so a name a failed cell was meant to define
    is explained as grading explains it); the setup cell imports this module
    before any exercise cell runs."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            shell.events.register("post_run_cell", _record)
    except Exception:
        pass


_watch()


def _meant(source: str) -> set[str]:
    """What a failed cell defines or was meant to (bpkit.grading.root_cause's
    rule; a def/class line with a space for an underscore counts too)."""
    return defined_names(source) | {m.replace(" ", "_") for m in _DEF_LINE.findall(source)}


def _undefined(name: str, namespace: dict) -> tuple[str, str]:
    """(key, message) for a name the notebook has not defined, as grading
    gives it: ``earlier_cell_failed`` when a cell meant to define it failed,
    else NameError."""
    if any(name in _meant(source) for source in _FAILED):
        return KEY, (f"{name} is not defined: the cell that defines it failed (its error is shown under it). Fix "
                     f"that cell and run it, then run this cell again.\n"
                     f"{name} が定義されていません。それを定義するセルでエラーが起きています（セルの下にエラーが表示"
                     f"されています）。そのセルを直して実行してから、このセルをもう一度実行してください。\n[{KEY}]")
    return "NameError", (f"{name} is not defined yet: run the cell where you wrote it first, then this cell again.\n"
                         f"{name} がまだ定義されていません。先にそれを書いたセルを実行してから、このセルをもう一度"
                         f"実行してください。\n[NameError]")


def _show(name: str, outcomes: list[Outcome] | None) -> None:
    if outcomes is None:
        return
    title = f"Check my work / 答え合わせ: {name}"
    text = text_table(title, outcomes)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:  # plain Python: no notebook to draw in
        print(text)
        return
    display({"text/html": html_table(title, outcomes, images=False), "text/plain": text}, raw=True,
            metadata={METADATA: [o.to_dict() for o in outcomes]})
    for outcome in outcomes:
        png = None if outcome.passed else heatmap(outcome)
        if png:
            display({"image/png": base64.b64encode(png).decode("ascii"),
                     "text/plain": f"<heatmap of {outcome.grade_id}: |yours - correct| per element>"}, raw=True)
