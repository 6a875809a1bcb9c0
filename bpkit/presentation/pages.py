"""Feedback pages nbgrader cannot write: a submission it could not grade,
a submission scored by the judge alone; and the tidy-up that leaves only
pages in feedback/ folders.  Every value from a student is escaped."""
from __future__ import annotations

from pathlib import Path

from bpkit.course import Course
from bpkit import fonts
from bpkit.escaping import clip, csp_meta
from bpkit.grading.records import StudentResult

__all__ = ["keep_only_feedback_pages", "write_failure_feedback", "write_partial_feedback", "NBGRADER_FEEDBACK_FILES"]


#: nbgrader's own files in a feedback folder: release_feedback reads them
#: (it hands out only the pages, named by a hash of the secret).
NBGRADER_FEEDBACK_FILES = ("timestamp.txt", "submission_secret.txt")


def keep_only_feedback_pages(course: Course, assignment: str) -> None:
    """Leave in each feedback/<student>/<assignment>/ only the feedback
    pages (and NBGRADER_FEEDBACK_FILES).  nbgrader's generate_feedback
    copies every other file of the graded folder there too (the kit's
    .bpkit-graded.json and .bpkit-judge.json, the course's common/, the
    student's own files), which an instructor handing out the folder (a
    zip, an LMS) would pass on."""
    import glob
    import shutil

    for folder in map(Path, glob.glob(str(course.feedback("*", glob.escape(assignment))))):
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.is_symlink() or not path.is_file() or not (
                    path.suffix == ".html" or path.name in NBGRADER_FEEDBACK_FILES):
                path.unlink()


FAILURE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">{csp}<style>{style}</style><title>{notebook}</title></head>
<body style="max-width:50em;margin:2em auto">
<h2>{notebook}: 0 / {max_score:g}</h2>
<p>Your submission could not be graded, so it scores zero for now. Reason:<br>
提出物を採点できなかったため、現時点では 0 点です。理由：</p>
<pre style="white-space:pre-wrap;background:#f6f6f6;padding:0.5em">{reason}</pre>
<p>Check that you submitted <code>{notebook}.ipynb</code> under its original name, saved from Jupyter, and
that it runs from top to bottom (Kernel &rarr; Restart &amp; Run All); then resubmit or ask your instructor.<br>
元の名前の <code>{notebook}.ipynb</code> を Jupyter で保存して提出したか、最初から最後まで実行できるか
（Kernel &rarr; Restart &amp; Run All）を確かめてから、再提出するか教員に相談してください。</p>
</body></html>
"""


def write_failure_feedback(course: Course, assignment: str, student: str, reason: str) -> None:
    """A feedback page for a submission nbgrader could not grade, where
    nbgrader's release_feedback/fetch_feedback will find it."""
    import html

    with course.gradebook() as gb:
        notebooks = [(nb.name, nb.max_score) for nb in gb.find_assignment(assignment).notebooks]
    folder = course.feedback(student, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    for name, max_score in notebooks:
        (folder / f"{name}.html").write_text(FAILURE_PAGE.format(
            notebook=html.escape(name), max_score=max_score, reason=html.escape(clip(reason, 5_000)), csp=csp_meta(), style=fonts.CSS),
            encoding="utf-8")


PARTIAL_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">{csp}<style>{style}</style><title>{assignment}</title></head>
<body style="max-width:50em;margin:2em auto">
<h2>{assignment}: {score:g} / {max_score:g}</h2>
<p>Your notebook stopped part-way while it was graded ({reason}). The cells checked before it stopped
keep their points; the others score zero.<br>
採点中にノートブックが途中で停止しました（{reason}）。停止する前に確認できたセルの得点は有効で、それ以外は 0 点です。</p>
<table style="border-collapse:collapse">{rows}</table>
<p>Make sure your notebook runs from top to bottom (Kernel &rarr; Restart &amp; Run All) without
ending the kernel, looping forever or using huge amounts of memory.<br>
ノートブックが最初から最後まで（Kernel &rarr; Restart &amp; Run All）、カーネルの終了・無限ループ・
大量のメモリ使用なしに実行できるか確認してください。</p>
</body></html>
"""


def write_partial_feedback(course: Course, assignment: str, result: StudentResult) -> None:
    """The feedback page of a submission scored from the judge's verdicts
    alone (its kernel stopped, so nbgrader wrote no graded notebook)."""
    import html

    folder = course.feedback(result.student, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"<tr><td style='padding:2px 8px'>{html.escape(cell)}</td>"
                   f"<td style='padding:2px 8px'>{score:g} / {top:g}</td>"
                   f"<td style='padding:2px 8px'>{html.escape(result.reasons.get(cell, 'pass / 合格'))}</td></tr>"
                   for cell, (score, top) in result.cells.items())
    with course.gradebook() as gb:
        names = [nb.name for nb in gb.find_assignment(assignment).notebooks]
    for name in names:
        (folder / f"{name}.html").write_text(PARTIAL_PAGE.format(
            assignment=html.escape(assignment), score=result.score, max_score=result.max_score,
            reason=html.escape(clip(result.stopped, 5_000)), rows=rows, csp=csp_meta(), style=fonts.CSS), encoding="utf-8")
