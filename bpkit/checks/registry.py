"""The registry of checks: the one place that knows which checks exist.

One graded behaviour has three names, and this module ties them together:

- its **check name**, ``"<module>.<behaviour>"`` (``"ch4.softmax_batch"``):
  what a grade cell asks for with ``bpkit.probe.check(name, obj)``, served
  by the function ``check_<behaviour>`` of ``bpkit.checks.<module>``;
- the **grade ids** of the instructor's grade cells (``source/*/*.ipynb``)
  that call it (``softmax_batch_normalises_each_row``);
- the **mistake keys** it can report (``[softmax.wrong_axis]``), read from
  the check's own code: every ``Mistake("<key>", ...)`` and every
  ``fail(..., key="<key>")`` in the check, in the functions it calls and in
  the module-level mistakes it names, following calls into
  ``bpkit.checks.core`` (which adds the generic keys such as ``raised``).
  Mistakes a check only *excuses* (``expect_close(..., excused=...)``: graded
  in another cell) are not keys it reports.

:data:`MODULES` is the list of check modules, found on disk: every public
module of ``bpkit/checks/`` except the machinery (:data:`MACHINERY`), so a
new ``bpkit/checks/ch6.py`` is registered by existing (a helper module the
checks share is named with a leading underscore).  Loading the registry
refuses a check module whose mistake key is computed (an f-string, ``+``,
``.format``): such a key would silently drop out of the table
(:class:`RegistryError`, naming the file and line).  The judge serves
:func:`functions`, the grading side reads :func:`grade_cells`, and
:func:`markdown_table` renders the table of the README's section "Grade
cells, checks and mistake keys" (``python -m bpkit.checks.registry`` in a
course directory prints it; ``--write README.md`` replaces it there).
"""
from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bpkit.checks import core

__all__ = [
    "MODULES",
    "MACHINERY",
    "RegistryError",
    "NAME",
    "Check",
    "checks",
    "get",
    "functions",
    "checks_in_cell",
    "objects_in_cell",
    "mistake_keys",
    "keys_in_source",
    "computed_keys",
    "generic_keys",
    "GradeCell",
    "grade_cells",
    "grade_ids",
    "unknown_checks",
    "graded_objects",
    "reference_object",
    "markdown_table",
    "write_table",
]

#: The modules of bpkit.checks that are the checks' machinery, not checks.
MACHINERY = frozenset({"core", "describe", "registry"})


class RegistryError(Exception):
    """The check modules break a rule the registry relies on (a computed
    mistake key, a check module without checks); the message names the file,
    the line and the fix, for the course's author."""


def _discover() -> tuple[str, ...]:
    """The public modules of bpkit.checks other than the machinery, in name
    order: each must hold ``check_<behaviour>`` functions in its ``__all__``."""
    import bpkit.checks

    return tuple(sorted(info.name for info in pkgutil.iter_modules(bpkit.checks.__path__)
                        if not info.name.startswith("_") and info.name not in MACHINERY))


#: The modules of bpkit.checks that hold checks, each a ``check_<behaviour>``
#: function listed in the module's ``__all__``: found on disk (_discover).
MODULES = _discover()

_MODULE_NAMES = "|".join(MODULES)
#: A well-formed check name: one of MODULES, a dot, a behaviour.
NAME = re.compile(rf"^(?:{_MODULE_NAMES})\.\w{{1,60}}$")
#: Any check("<module>.<behaviour>", ...) of a grade cell, registered or not (an unknown name is the
#: author's mistake, reported as such: unknown_checks).
_CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\w+\.\w+)["']""")
_CHECKED_OBJECT = re.compile(r"""\bcheck\(\s*["']\w+\.\w+["']\s*,\s*(\w+)""")
_PREFIX = "check_"


@dataclass(frozen=True)
class Check:
    """One check: its name ("ch4.softmax_batch") and its function."""

    name: str
    function: Callable[[object], None]

    @property
    def module(self) -> str:
        """The check module it lives in ("ch4")."""
        return self.name.split(".", 1)[0]

    @property
    def keys(self) -> frozenset[str]:
        """Every mistake key this check can report (see mistake_keys)."""
        return mistake_keys(self.function)


@functools.lru_cache(maxsize=None)
def checks() -> dict[str, Check]:
    """Every check a grade cell may ask for, by name, in module order."""
    found = {}
    for module_name in MODULES:
        module = importlib.import_module(f"bpkit.checks.{module_name}")
        _refuse_computed_keys(module)
        names = [name for name in getattr(module, "__all__", ()) if name.startswith(_PREFIX)]
        if not names:
            raise RegistryError(f"{_where(module)}: a module of bpkit/checks/ must list its check_<behaviour> "
                                f"functions in __all__ (it lists none); a helper module the checks share is named "
                                f"with a leading underscore (bpkit/checks/_{module_name}.py)")
        for name in names:
            function = getattr(module, name, None)
            if not callable(function):
                raise RegistryError(f"{_where(module)}: __all__ lists {name!r}, which the module does not define")
            check_name = f"{module_name}.{name[len(_PREFIX):]}"
            found[check_name] = Check(check_name, function)
    return found


def _where(module) -> str:
    return f"bpkit/checks/{Path(module.__file__).name}"


def _computed(node: ast.AST) -> bool:
    """A string the source computes (an f-string, +, %, .format, .join...):
    not a literal, not a name or attribute referring to a key spelled elsewhere."""
    if isinstance(node, ast.Constant):
        return False
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
        return False
    if isinstance(node, ast.IfExp):  # "a.x" if ... else "a.y": both spelled
        return _computed(node.body) or _computed(node.orelse)
    return True


def computed_keys(source: str) -> list[tuple[int, str]]:
    """(line, code) of every mistake key in `source` that is computed rather
    than spelled: the key of a ``Mistake(...)`` or ``fail(..., key=...)``
    written as an f-string, ``+``, ``%``, ``.format``, ... (a name or an
    attribute such as ``INPLACE_DOUT.key`` refers to a key spelled elsewhere
    and is fine)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called not in ("Mistake", "fail"):
            continue
        keys = [k.value for k in node.keywords if k.arg == "key"]
        if called == "Mistake" and node.args:
            keys.append(node.args[0])
        found += [(key.lineno, ast.unparse(key)[:80]) for key in keys if _computed(key)]
    return found


def _refuse_computed_keys(module) -> None:
    """RegistryError for a Mistake(...) or fail(..., key=...) of `module`
    whose key is computed: the registry reads keys from the source, so such
    a key would be missing from the table, the catalogue's checks and the
    report's counts without a word."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):  # no source (a frozen build): nothing to read keys from either
        return
    for line, code in computed_keys(source)[:1]:
        raise RegistryError(
            f"{_where(module)}, line {line}: the mistake key {code} is computed; the registry reads keys from the "
            f"source, so it would drop out of the table of keys. Spell it as a string literal, e.g. "
            f"Mistake(\"tanh.uses_input\", en, ja, value), or fail(en, ja, key=\"tanh.uses_input\") (one Mistake "
            f"per key, picked in code if needed).")


def get(name: str) -> Check:
    """The check called `name`; KeyError for a name that is not a check."""
    known = checks()  # a RegistryError of the check modules first
    if not NAME.match(name):
        raise KeyError(name)
    return known[name]


def functions() -> dict[str, Callable[[object], None]]:
    """Check name -> check function ("ch4.softmax_1d" -> ch4.check_softmax_1d)."""
    return {name: check.function for name, check in checks().items()}


def checks_in_cell(source: str) -> list[str]:
    """The check names a (trusted, instructor's) grade cell calls."""
    return _CHECK_CALL.findall(source)


def objects_in_cell(source: str) -> list[str]:
    """The names of the student's objects a grade cell hands to its checks
    (``check("ch5.relu_backward", Relu)`` -> ``Relu``)."""
    return _CHECKED_OBJECT.findall(source)


# ------------------------------------------------------------ mistake keys ---

class _KeyFinder(ast.NodeVisitor):
    """The mistake keys written in one function's source, and the global
    names it reads (functions to follow, module-level mistakes)."""

    def __init__(self):
        self.keys: set[str] = set()
        self.names: set[str] = set()

    def visit_Call(self, node: ast.Call) -> None:
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called == "Mistake" and node.args:
            self.keys |= _literals(node.args[0])
        self.visit(node.func)
        for arg in node.args:
            self.visit(arg)
        for keyword in node.keywords:
            if keyword.arg == "excused":  # passes in this cell: never reported by it
                continue
            if keyword.arg == "key":
                self.keys |= _literals(keyword.value)
            self.visit(keyword.value)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.id)


def _literals(node: ast.AST) -> set[str]:
    """The keys a key expression spells: a string literal, or both branches
    of ``"a.x" if ... else "a.y"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    return set()


def _find(source: str) -> _KeyFinder:
    finder = _KeyFinder()
    finder.visit(ast.parse(textwrap.dedent(source)))
    return finder


def keys_in_source(source: str) -> frozenset[str]:
    """The mistake keys spelled in Python source: ``Mistake("<key>", ...)``
    and ``key="<key>"`` arguments (not those passed as ``excused=``)."""
    return frozenset(_find(source).keys)


@functools.lru_cache(maxsize=None)
def _own(function: types.FunctionType) -> tuple[frozenset[str], tuple]:
    """(keys written in `function`, the objects of bpkit.checks it names)."""
    finder = _find(inspect.getsource(function))
    scope = function.__globals__
    named = tuple(scope[n] for n in sorted(finder.names) if n in scope)
    return frozenset(finder.keys), named


def _mistakes_in(value, depth: int = 0) -> set[str]:
    """Keys of the Mistake objects in a module-level value (a Mistake, or a
    list, tuple or dict of them)."""
    if isinstance(value, core.Mistake):
        return {value.key}
    if depth < 3 and isinstance(value, dict):
        value = list(value.values())
    if depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
        return {key for item in value for key in _mistakes_in(item, depth + 1)}
    return set()


def _is_kit_function(value) -> bool:
    return isinstance(value, types.FunctionType) and (value.__module__ or "").startswith("bpkit.checks.")


@functools.lru_cache(maxsize=None)
def mistake_keys(function: Callable) -> frozenset[str]:
    """Every mistake key `function` can report, read from its code: the keys
    written in it and in every function of bpkit.checks it reaches, and
    those of the module-level mistakes they name (an over-estimate where a
    shared helper serves several checks, never an under-estimate for keys
    spelled in the source)."""
    keys: set[str] = set()
    seen: set[int] = set()
    todo = [inspect.unwrap(function)]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        own, named = _own(current)
        keys |= own
        for value in named:
            if _is_kit_function(value):
                todo.append(inspect.unwrap(value))
            else:
                keys |= _mistakes_in(value)
    return frozenset(keys)


@functools.lru_cache(maxsize=None)
def generic_keys() -> frozenset[str]:
    """The keys of bpkit.checks.core's machinery every check goes through:
    calling the student's code (``call``: not_implemented, raised, ...) and
    comparing an answer (``expect_close``: wrong_shape, wrong_values, ...)."""
    return mistake_keys(core.call) | mistake_keys(core.expect_close)


# ------------------------------------------------------------- grade cells ---

@dataclass(frozen=True)
class GradeCell:
    """A grade cell of an instructor's notebook and the checks it calls."""

    assignment: str
    notebook: str  # file name without .ipynb
    grade_id: str
    checks: tuple[str, ...]
    points: float
    objects: tuple[str, ...] = ()  # the student's objects its checks grade (Relu, TwoLayerNet, ...)


def grade_cells(root, assignment: str | None = None) -> list[GradeCell]:
    """The grade cells (nbgrader ``grade: true, solution: false``) of the
    notebooks in ``root/source/<assignment>/``, every assignment if None,
    in assignment and notebook order."""
    import nbformat
    from nbgrader.utils import is_grade, is_solution

    source = Path(root) / "source"
    found = []
    for path in sorted(source.glob(f"{assignment or '*'}/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if is_grade(cell) and not is_solution(cell):
                meta = cell.metadata["nbgrader"]
                found.append(GradeCell(path.parent.name, path.stem, meta["grade_id"],
                                       tuple(checks_in_cell(cell.source)), float(meta.get("points") or 0),
                                       tuple(objects_in_cell(cell.source))))
    return found


def unknown_checks(root, assignment: str | None = None) -> list[tuple[GradeCell, str]]:
    """(grade cell, name) for every check a grade cell of root/source/ calls
    that the registry does not know (a typo, or a check not written yet)."""
    known = checks()
    return [(cell, name) for cell in grade_cells(root, assignment) for name in cell.checks if name not in known]


def graded_objects(root) -> dict[str, str]:
    """Check name -> the name of the student's object the grade cells of
    root/source/ hand it (``"ch5.relu_backward" -> "Relu"``), for every
    check a cell calls with one."""
    found = {}
    for cell in grade_cells(root):
        for name, obj in zip(cell.checks, cell.objects):
            found.setdefault(name, obj)
    return found


def reference_object(name: str):
    """The reference package's object called `name` (``Relu``,
    ``softmax``, ``TwoLayerNet``): exported by ``reference``, else defined
    in one of its modules; AttributeError if none has it."""
    import reference

    if name in getattr(reference, "__all__", ()) or hasattr(reference, name):
        return getattr(reference, name)
    for info in pkgutil.iter_modules(reference.__path__):
        module = importlib.import_module(f"reference.{info.name}")
        if isinstance(getattr(module, name, None), (type, types.FunctionType)):
            return getattr(module, name)
    raise AttributeError(f"the reference package has no {name!r}: write it in reference/ "
                         f"(`bpkit new check` writes a stub)")


def grade_ids(root) -> dict[str, tuple[str, ...]]:
    """Check name -> the grade ids of the cells in root/source/ calling it
    (every registered check, with () for one no cell calls)."""
    found: dict[str, list[str]] = {name: [] for name in checks()}
    for cell in grade_cells(root):
        for name in cell.checks:
            found.setdefault(name, []).append(cell.grade_id)
    return {name: tuple(ids) for name, ids in found.items()}


# ------------------------------------------------------------------- table ---

def _code(items) -> str:
    return ", ".join(f"`{item}`" for item in items)


def markdown_table(root) -> str:
    """grade id | check | mistake keys, one row per check a grade cell of
    root/source/ calls (in notebook order), then every registered check no
    cell calls; the generic keys any check can report are listed once, below."""
    generic = generic_keys()
    rows = [(cell.grade_id, name) for cell in grade_cells(root) for name in cell.checks]
    called = {name for _, name in rows}
    rows += [("", name) for name in checks() if name not in called]
    lines = ["| grade id | check | mistake keys |", "|---|---|---|"]
    for grade_id, name in rows:
        keys = sorted(get(name).keys - generic) if name in checks() else ["(not a registered check)"]
        lines.append(f"| {_code([grade_id]) if grade_id else '(none)'} | `{name}` | {_code(keys) or '—'} |")
    lines += ["", f"Any check can also report the generic keys of `bpkit.checks.core`: {_code(sorted(generic))}."]
    return "\n".join(lines) + "\n"


TABLE_START = "| grade id | check | mistake keys |"
_GENERIC_LINE = "Any check can also report the generic keys of `bpkit.checks.core`:"


def write_table(root, readme) -> bool:
    """Replace the generated table in `readme` (from its header row to the
    generic keys' line) with markdown_table(root); returns whether it changed.
    ValueError if the file holds no such table."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    start = text.find(TABLE_START)
    end = text.find("\n", text.find(_GENERIC_LINE, start)) if start >= 0 else -1
    if start < 0 or text.find(_GENERIC_LINE, start) < 0:
        raise ValueError(f"{path} holds no table of grade cells, checks and mistake keys")
    new = text[:start] + markdown_table(root) + text[end + 1 if end >= 0 else len(text):]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--write"] and len(sys.argv) == 3:
        print("updated" if write_table(Path.cwd(), sys.argv[2]) else "unchanged", sys.argv[2])
    else:
        print(markdown_table(Path.cwd()), end="")
