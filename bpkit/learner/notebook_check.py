"""``bpkit check NOTEBOOK``: grade one of the learner's notebooks on their
own machine, as ``bpkit grade`` would, and say why each point was lost.

1. The notebook is recognised from its cells (bpkit.learner.recognise),
   never from its file or folder name.
2. Its grade cells are replaced by the instructor's (hidden tests included),
   as nbgrader's autograde does, and it runs in a kernel of the learner's
   own Python, in the notebook's folder (so ``common/`` imports), through
   the grading steps' own executor: bpkit.preprocessors.LimitedExecute
   (nbgrader's Execute: a cell that runs past the timeout is interrupted, a
   kernel that will not stop or dies ends the run, output past the cap is
   dropped with a note).  No sandbox: it is the learner's code, in their
   account.
3. Each hidden test asks a judge in this process (bpkit.judging.judge, the
   one grading uses), with hidden inputs from the learner's seed
   (bpkit.learner.self_judge); the verdicts become points exactly as in
   grading (bpkit.grading.verdicts), and the graded notebook gets the
   judge's diagnosis in the same place.
4. The result: one Outcome per graded behaviour and the graded notebook,
   which write_page turns into the course's own feedback page (offline,
   no script).
"""
from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import determine_grade, is_grade, is_solution

from bpkit.checks import registry
from bpkit.grading.records import failure_reason, judge_failures, mistake_key
from bpkit.grading.verdicts import NOT_CHECKED, annotate, apply_verdicts, graded_with, judged_only
from bpkit.judging.judge import CALL_TIMEOUT, Judge
from bpkit.judging.wire import ENV as JUDGE_ENV
from bpkit.learner.outcome import Outcome, from_message
from bpkit.learner.recognise import Exercise, GradedCell, graded_cells, recognise
from bpkit.learner.self_judge import learner_salt, socket_dir
from bpkit.preprocessors.limited_execute import CUT, LimitedExecute
from bpkit.preprocessors.limit_output_size import LimitOutputSize

__all__ = ["CheckRun", "NotChecked", "check_notebook", "with_instructor_cells", "write_page", "CELL_TIMEOUT",
           "MAX_NOTEBOOK_BYTES", "page_path"]

#: Seconds a cell may run (the course's c.Execute.timeout).
CELL_TIMEOUT = 60
#: A notebook larger than this is not read (grading's intake caps files at 32 MiB too).
MAX_NOTEBOOK_BYTES = 32 << 20


#: The executor's own logger, silent: nbclient logs a cell's timeout as an error, and the
#: command says it once, in both languages (the shared traitlets logger is left alone).
_QUIET = logging.getLogger("bpkit.learner.execute")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


class NotChecked(Exception):
    """The notebook cannot be checked (not readable, not one of the kit's
    exercises); the message says why, in English and Japanese."""


@dataclass
class CheckRun:
    """What checking one notebook found."""

    path: Path
    exercise: Exercise
    outcomes: list[Outcome]
    notebook: nbformat.NotebookNode  # as graded: the instructor's grade cells, the judge's diagnosis
    stopped: str = ""  # why the run ended early ("" if every cell ran)
    problems: list[str] = field(default_factory=list)  # cells stopped for time or output, in both languages
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes)

    @property
    def max_score(self) -> float:
        return sum(o.points for o in self.outcomes)

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes) and not self.stopped


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise NotChecked(f"{path} is not a file.\n{path} はファイルではありません。")
        if size > MAX_NOTEBOOK_BYTES:
            raise NotChecked(f"{path} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB: clear its outputs first.\n"
                             f"{path} が {MAX_NOTEBOOK_BYTES >> 20} MiB を超えています。先に出力を消去してください。")
        return nbformat.read(path, as_version=4)
    except NotChecked:
        raise
    except Exception as exc:  # not there, not JSON, not a notebook
        raise NotChecked(f"{path} cannot be read as a notebook ({type(exc).__name__}: {str(exc)[:200]}).\n"
                         f"{path} をノートブックとして読み込めません。") from None


def with_instructor_cells(nb, exercise: Exercise):
    """The learner's notebook as nbgrader's autograde runs it: each grade
    cell (found by grade id or, without metadata, by its released text)
    replaced by the instructor's, hidden tests included; outputs cleared."""
    source_cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(exercise.source, as_version=4).cells
                    if is_grade(c) and not is_solution(c)}
    released = {c.source.strip(): c.metadata["nbgrader"]["grade_id"]
                for c in nbformat.read(exercise.release, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") in source_cells}
    run = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    seen = set()
    for cell in nb.cells:
        cell = nbformat.from_dict(json.loads(json.dumps(cell)))
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id not in source_cells and cell.get("cell_type") == "code":
            grade_id = released.get(str(cell.get("source", "")).strip(), grade_id)
        if grade_id in source_cells and grade_id not in seen:
            seen.add(grade_id)
            cell = nbformat.from_dict(json.loads(json.dumps(source_cells[grade_id])))
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
        run.cells.append(cell)
    return run


def _kernel_manager(scratch: Path, judge_path: str, forked: bool):
    """A kernel of this Python (the one bpkit is installed in), whose probe
    talks to the judge at judge_path; forked: from a warm process
    (bpkit.isolation.zygote, started once for every notebook this process
    checks) instead of a new Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    from bpkit.isolation.kernel_client import GradingKernelManager

    folder = scratch / "kernels" / "bpkit-check"
    folder.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (bpkit check)", "language": "python",
            "env": {JUDGE_ENV: judge_path, "PYTHONIOENCODING": "utf-8"}}
    if forked:
        spec["metadata"] = {"kernel_provisioner": {"provisioner_name": "bpkit-fork"}}
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(scratch / "kernels")], ensure_native_kernel=False)
    return GradingKernelManager(kernel_name="bpkit-check", kernel_spec_manager=specs)


def _stop_kernel(executor, km) -> None:
    """End the kernel and the executor's client: nbclient leaves both
    running when it was handed the kernel manager (a kernel forked from the
    warm process would outlive this command, and the client's ZeroMQ
    sockets would go on reconnecting to the dead kernel's ports, some 80
    wake-ups a second for every notebook checked before)."""
    from jupyter_core.utils import run_sync

    if executor.kc is not None:
        executor.kc.stop_channels()  # closes the client's sockets and ends its ZeroMQ context
        executor.kc = None
    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # already gone
        pass


def _problems(nb, timeout: float) -> list[str]:
    """Cells stopped because they ran too long, and the first cell whose
    output went past the notebook's cap (read before LimitOutputSize)."""
    found, flooded = [], False
    for index, cell in enumerate(nb.cells, 1):
        outputs = cell.get("outputs", []) if cell.get("cell_type") == "code" else []
        if any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError" for o in outputs):
            found.append(f"Cell {index} ran longer than {timeout:g} s and was stopped (an endless loop?).\n"
                         f"セル {index} が {timeout:g} 秒を超えたため停止しました（無限ループ？）。")
        if not flooded and any(o.get("output_type") == "stream" and CUT in o.get("text", "") for o in outputs):
            flooded = True
            found.append(f"Cell {index} printed more output than is kept: its output and that of later cells "
                         f"were cut.\nセル {index} の出力が多すぎるため、そのセルと以降のセルの出力を省略しました。")
    return found


def _stop_reason(exc: BaseException, timeout: float) -> str:
    name = type(exc).__name__
    if name == "CellTimeoutError":
        return (f"a cell ran longer than {timeout:g} s and did not stop when interrupted, so the notebook was "
                f"stopped there / セルが {timeout:g} 秒を超えても中断に応じなかったため、そこで実行を止めました")
    if name == "DeadKernelError":
        return ("the notebook's kernel died while running it (os._exit, a crash or too much memory) / "
                "実行中にカーネルが停止しました（os._exit、クラッシュまたはメモリ不足）")
    return f"the notebook could not run to the end ({name}: {str(exc)[:200]}) / 最後まで実行できませんでした"


def check_notebook(path: str | Path, salt: bytes | None = None, timeout: float = CELL_TIMEOUT,
                   forked: bool = False) -> CheckRun:
    """Check the learner's notebook at `path` (see the module's docstring);
    salt: the hidden inputs' salt (default: the learner's seed); forked:
    fork the kernel from a warm process (worth it from the second notebook
    a process checks on)."""
    started = time.monotonic()
    path = Path(path)
    nb = _read(path)
    exercise = recognise(nb)
    if exercise is None:
        raise NotChecked(f"{path.name} is not one of the kit's exercises (none of its cells matches them): "
                         "check a notebook written by `bpkit exercises`.\n"
                         f"{path.name} はキットの課題のノートブックではありません（一致するセルがありません）。"
                         "`bpkit exercises` で作ったノートブックを確認してください。")
    cells = {c.grade_id: c for c in graded_cells(exercise)}
    run = with_instructor_cells(nb, exercise)
    salt = learner_salt() if salt is None else salt
    stopped = ""
    folder = socket_dir()
    try:
        with Judge(folder, timeout=min(CALL_TIMEOUT, timeout / 2), allowed={n for c in cells.values()
                                                                             for n, _ in c.checks},
                   salt=salt) as judge:
            executor = LimitedExecute(timeout=int(timeout), extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                      shutdown_kernel="immediate", log=_QUIET)
            km = _kernel_manager(folder, judge.path, forked)
            try:
                executor.preprocess(run, {"metadata": {"path": str(path.parent.resolve())}}, km=km)
            except Exception as exc:  # the kernel died, or would not stop: scored as grading scores it
                stopped = _stop_reason(exc, timeout)
            finally:
                _stop_kernel(executor, km)
        problems = _problems(run, timeout)
        LimitOutputSize().preprocess(run, {})
        outcomes = _score(run, exercise, cells, judge, stopped, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return CheckRun(path, exercise, outcomes, run, stopped, problems, time.monotonic() - started)


def _score(run, exercise: Exercise, cells: dict[str, GradedCell], judge, stopped: str, scratch: Path) -> list[Outcome]:
    """Points and reasons as `bpkit grade` gives them (bpkit.grading.verdicts
    and bpkit.grading.records), with the diagnosis written into `run`."""
    grade_cells = {exercise.notebook: {c.grade_id: c for c in registry.grade_cells(exercise.root, exercise.assignment)
                                       if c.notebook == exercise.notebook}}
    present = {c.metadata["nbgrader"]["grade_id"]: c for c in run.cells if is_grade(c) and not is_solution(c)}
    if stopped:
        scores, record = judged_only(judge, grade_cells, stopped)
        scores = scores[exercise.notebook]
    else:
        scores = {grade_id: determine_grade(cell)[0] for grade_id, cell in present.items()}
        record = apply_verdicts({exercise.notebook: scores}, judge, grade_cells)
    folder = scratch / "graded"
    folder.mkdir()
    nbformat.write(run, folder / f"{exercise.notebook}.ipynb")
    # the judge's diagnosis, the grading side's cause of a cell that failed before its check, tidied
    # errors, NameErrors traced to their cause: as bpkit grade writes them (the record decides, never kernel text)
    annotate(folder, record.cells, record, graded_with(grade_cells))
    run.cells = nbformat.read(folder / f"{exercise.notebook}.ipynb", as_version=4).cells
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in run.cells if is_grade(c) and not is_solution(c)}
    diagnosed = judge_failures(record)
    outcomes = []
    for grade_id, cell in cells.items():
        verdict = record.cells.get(exercise.notebook, {}).get(grade_id)
        score = float(scores.get(grade_id) or 0.0)
        passed = grade_id in by_id and score >= cell.points
        key = None
        message = verdict.message if verdict else ""
        if not passed:
            if grade_id in diagnosed:  # as bpkit.grading.records.read_results reads a graded submission
                key, message = diagnosed[grade_id]
            elif verdict is not None and verdict.cause:
                key, message = verdict.cause, verdict.cause_message
            elif grade_id in by_id and verdict is None:
                key = failure_reason(by_id[grade_id])
                error = next((o for o in by_id[grade_id].get("outputs", []) if o.get("output_type") == "error"), None)
                message = (error.get("evalue") or "") if error else NOT_CHECKED
            elif grade_id in by_id:
                key = mistake_key(message) or "not_checked"
            else:
                key, message = "cell deleted", ("This graded cell is missing from the notebook: it was deleted.\n"
                                                "採点用のセルがノートブックにありません（削除されています）。")
        outcomes.append(from_message(grade_id, cell.behaviour, cell.points, passed, message,
                                     verdict.notes if verdict else "", key))
        if passed:
            outcomes[-1].score = cell.points
    return outcomes


def page_path(path: Path) -> Path:
    """Where the feedback page of the notebook at `path` goes by default."""
    return path.with_name(f"{path.stem}-feedback.html")


def write_page(result: CheckRun, dest: Path) -> Path:
    """The course's own feedback page for the checked notebook (the
    configured feedback steps: cleaned outputs, the summary table with each
    diagnosis and heatmap, hidden tests removed; no script, renders offline)."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from traitlets.config import Config

    import nbgrader
    from bpkit.preprocessors import FeedbackExporter, FeedbackSummary, HideHiddenTests, SanitizeFeedback
    from bpkit.preprocessors.feedback_page import SHOW

    nb = nbformat.from_dict(json.loads(json.dumps(result.notebook)))
    outcomes = {o.grade_id: o for o in result.outcomes}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if is_grade(cell) and not is_solution(cell) and grade_id in outcomes:
            cell.metadata.nbgrader["score"] = outcomes[grade_id].score
            cell.metadata.nbgrader["points"] = outcomes[grade_id].points
    stamp = time.strftime("%Y-%m-%d %H:%M")
    note = (f"**Checked on your computer by `bpkit check`** ({stamp}; hidden inputs from your own seed). "
            "This is not a course grade. / **`bpkit check` があなたのコンピュータで確認しました**"
            f"（{stamp}、隠しテストの入力はあなた自身のシードから）。成績ではありません。")
    if result.stopped:
        note += f"\n\n**Stopped / 停止:** {result.stopped}"
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note, metadata={SHOW: True}))  # never folded
    resources = {"nbgrader": {"notebook": result.exercise.notebook, "score": result.score,
                              "max_score": result.max_score, "late_penalty": 0}}
    for step in (CSSHTMLHeaderPreprocessor(), SanitizeFeedback(), FeedbackSummary(), HideHiddenTests()):
        nb, resources = step(nb, resources)
    templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [str(templates / "templates")]
    config.HTMLExporter.extra_template_paths = [str(templates / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    body, _ = FeedbackExporter(config=config).from_notebook_node(nb, resources=resources)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(body, encoding="utf-8")
    return dest
