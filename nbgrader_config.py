"""nbgrader configuration for the backpropagation exercise kit.

This directory is the course directory: plain `nbgrader` commands and the
`bpkit` tool both read this file.
"""
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "dlfs-backprop"

# Never ship editor debris or caches into release/ or grade them.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
]

# Student stubs: the cell raises NotImplementedError until filled in, and the
# error says what to do in both languages.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\n"
              'raise NotImplementedError("Replace this line with your code / この行をあなたのコードに置き換えてください")'
}

# A cell that runs longer than this is stopped and scores zero.
c.Execute.timeout = 60

# Keep the kernel's own start-up log (e.g. ipykernel's TCP notice) out of the
# instructor's terminal; it never reaches a notebook cell either way.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]

# The book's Relu.backward writes into `dout` in place (dout[self.mask] = 0).
# "warn": full points, and the feedback explains why it can bite.
# "fail": it costs the points of the Relu.backward cell.
# (Read by the checks in the grading process, where the judge runs them. The
# course's setting is the one that counts: an environment variable left set
# in the instructor's shell does not override it.)
import os  # noqa: E402

os.environ["BPKIT_INPLACE_DOUT"] = "warn"

# Feedback: nbgrader's grades, the student's outputs and raw cells cleaned of
# script (SanitizeFeedback: bleach allow-list; JavaScript, SVG and widget
# outputs dropped), a summary table with each behaviour's diagnosis in English
# and Japanese (and heatmaps), then hidden tests removed (their code and the
# tracebacks that would show it).  FeedbackExporter is nbgrader's feedback
# page laid out for the student (score and table first, answers and failed
# tests open, the rest folded, labels in English and Japanese), markdown
# cleaned after rendering, TeX as MathML (no MathJax, renders offline), and
# a Content-Security-Policy that lets no script run.
c.GenerateFeedback.exporter_class = "bpkit.preprocessors.FeedbackExporter"
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "bpkit.preprocessors.SanitizeFeedback",
    "bpkit.preprocessors.FeedbackSummary",
    "bpkit.preprocessors.HideHiddenTests",
]

# Autograde: nbgrader's sanitizing steps, after repairing copied graded cells
# (which stock nbgrader turns into a failure of the whole notebook).
c.Autograde.sanitize_preprocessors = [
    "bpkit.preprocessors.RemoveDuplicateGradeIds",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# ...then nbgrader's grading steps, with huge outputs cut by size as well as
# by lines: LimitedExecute (nbgrader's Execute) keeps at most 20 MB of output
# per notebook while it runs, and LimitOutputSize cuts each stored output to
# 100 000 characters (a single print of tens of megabytes stays out of the
# gradebook notebooks and feedback).  ClearMetadataPreprocessor is listed as
# nbgrader lists it (it is registered disabled there too).  Once the scores
# are saved, SanitizeGraded leaves only inert student content in the graded
# notebook that formgrader renders and JupyterLab opens: outputs cleaned as in
# feedback, markdown with live HTML or links shown as text, only raster
# attachments, notebook and cell metadata reduced to an allow-list.
c.Autograde.autograde_preprocessors = [
    "bpkit.preprocessors.LimitedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "bpkit.preprocessors.LimitOutputSize",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "bpkit.preprocessors.SanitizeGraded",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# One door for autograding.  `nbgrader autograde`, formgrader's Autograde
# button and NbGraderAPI.autograde grade this course exactly as `bpkit grade`
# does (intake, sandbox, judge, per-student inputs, clean graded notebook,
# the same scores) or refuse, naming `bpkit grade`; Generate Feedback (the
# button or `nbgrader generate_feedback`) leaves only the pages in each
# feedback folder.  See bpkit/nbgrader_hooks.py.  Should nbgrader ever read
# this file without bpkit installed, the steps above name bpkit's
# preprocessors, so autograde fails instead of grading unsandboxed.
c.BpkitAutograde.stock_nbgrader = False  # True: nbgrader's own autograde, unsandboxed (trusted code only)
try:
    from bpkit.nbgrader_hooks import route_through_bpkit
except ImportError:
    pass
else:
    route_through_bpkit(c)

# ---------------------------------------------------------------------------
# "Check my work / 答え合わせ" cells (issue 22; kept in a block of its own).
# Each exercise in source/ is followed by a cell, tagged "bpkit-self-check",
# that checks the student's code on their own computer with the grader's own
# checks when the kit is installed there (`pip install bpkit`), and otherwise
# says how to install it.  They are never graded, never fail Validate and do
# nothing while `bpkit grade` runs.  Switch them off for an assignment here
# (e.g. {"ch5_two_layer_net": False}), then `bpkit release` it: its released
# notebooks then have none.
c.SelfCheckCells.default = True
c.SelfCheckCells.per_assignment = {}
c.GenerateAssignment.preprocessors = [
    "bpkit.preprocessors.SelfCheckCells",
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]
