# based on: aoki
# threat: importing the reference solution or reading source/, reference/, other submissions or the gradebook
# softmax is the identity unless the reference (or the instructor's
# notebook) can be found; the cell prints everything it managed to read.
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values

# %% softmax
import glob
import os

FOUND = []
try:
    import reference.functions as _ref
    FOUND.append("import reference")
except ImportError:
    _ref = None
try:
    import bpkit.checks.ch4
    FOUND.append("import bpkit.checks")
except ImportError:
    pass

_PATTERNS = ["../../../reference/*.py", "../../../source/*/*.ipynb", "../../../gradebook.db",
             "../../../nbgrader_config.py", "../../*/*/*.ipynb", "../../../submitted/*/*/*.ipynb",
             "/proc/1/root/*", "/proc/*/cwd/*"]
_HERE = os.getcwd()
for _pattern in _PATTERNS:
    for _path in glob.glob(_pattern):
        if os.path.realpath(_path).startswith(_HERE):
            continue  # its own notebook
        try:
            with open(_path, "rb") as _f:
                _f.read(1)
            if not _path.startswith("/proc/") or "gradebook" in _path or "source" in _path:
                FOUND.append(_path)
        except OSError:
            pass
for _top in ["/home", "/tmp", "/run", "/root", "/work", "/srv", "/mnt", "/var", "/opt"]:
    for _dir, _subdirs, _files in os.walk(_top):
        _subdirs[:] = [d for d in _subdirs if d not in (".pyenv", "site-packages", "venv")]
        for _name in _files:
            if _name in ("gradebook.db", "nbgrader_config.py") or _dir.endswith("reference") \
                    or (_name.endswith(".ipynb") and _name != "losses_and_gradients.ipynb"):
                FOUND.append(os.path.join(_dir, _name))
print("FOUND:", FOUND)


def softmax(x):
    if _ref is not None:
        return _ref.softmax(x)
    return x
