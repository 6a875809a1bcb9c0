"""``bpkit new``: the stubs of a new graded behaviour or a new assignment,
written where the kit looks for them, so an author fills in ``TODO(author)``
lines instead of finding the touch points (docs/authoring.md).

``bpkit new check ch5.tanh_backward --object Tanh`` writes, in a checkout of
the kit (the course directory holding ``bpkit/`` and ``reference/``):

1. the reference stub: ``class Tanh`` (or a function) in ``reference/``,
   exported by ``reference/__init__.py``, with each method raising
   NotImplementedError until written;
2. the check stub: ``check_tanh_backward`` in ``bpkit/checks/ch5.py``, listed
   in the module's ``__all__`` (that is the registry entry: the registry
   finds the module itself), drawing hidden inputs with ``rng_for``, calling
   the student's code with ``call``, comparing with the reference with
   ``expect_close`` and one literal ``Mistake`` to model;
3. in the assignment's source notebook: the exercise's markdown and
   solution cell (once per object), the grade cell calling the check, the
   object's "Check my work" cell and a "Try it (not graded)" cell, all with
   the metadata the house rules ask for;
4. a catalogue entry for the mistake (``tests/catalogue/``, when the course
   has one) with its ``# expect:`` line, and the README's table of grade
   cells, checks and keys, regenerated.

``bpkit new assignment ch6_optimizers`` writes ``source/ch6_optimizers/``
with a notebook whose header, imports and "Check my work" setup cell follow
the house rules; its behaviours are added with ``bpkit new check
ch6.sgd_update --object SGD --method update`` (which writes
``bpkit/checks/ch6.py`` the first time).

Nothing existing is overwritten: a behaviour, object or assignment that is
already there is an error (ScaffoldError).
"""
from __future__ import annotations

import ast
import re
import textwrap
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = ["ScaffoldError", "Written", "new_check", "new_assignment", "HEADER", "SELF_CHECK_SETUP", "TODO"]

TODO = "TODO(author)"
_BEHAVIOUR = re.compile(r"^([a-z][a-z0-9]*)\.([a-z][a-z0-9_]{0,59})$")
_IDENT = re.compile(r"^[A-Za-z_]\w{0,59}$")
_ASSIGNMENT = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
STUB = 'raise NotImplementedError("Replace this line with your code / この行をあなたのコードに置き換えてください")'


class ScaffoldError(Exception):
    """The scaffold cannot be written (a name taken, not a checkout of the kit, ...)."""


@dataclass
class Written:
    """What `bpkit new` wrote, and what the author writes next."""

    files: list[Path] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)

    def touched(self, path: Path) -> None:
        if path not in self.files:
            self.files.append(path)


# ---------------------------------------------------------------- helpers ---

def _kit(root: Path) -> tuple[Path, Path]:
    checks, reference = root / "bpkit" / "checks", root / "reference"
    if not (checks / "registry.py").is_file() or not (reference / "__init__.py").is_file():
        raise ScaffoldError(f"{root} is not a checkout of the kit: `bpkit new` writes into bpkit/checks/ and "
                            f"reference/ beside source/ (run it in the repository's course directory, or pass "
                            f"--course)")
    return checks, reference


def _replace_node(text: str, node: ast.AST, new: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:node.lineno - 1]) + new + "".join(lines[node.end_lineno:])


def _with_all(text: str, name: str) -> str:
    """`text` (a module's source) with `name` appended to its ``__all__``."""
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["__all__"]:
            names = [e.value for e in node.value.elts]
            if name in names:
                return text
            one_line = "__all__ = [" + ", ".join(f'"{n}"' for n in names + [name]) + "]\n"
            if node.lineno == node.end_lineno and len(one_line) <= 121:  # as it was written
                return _replace_node(text, node, one_line)
            items = "".join(f'    "{n}",\n' for n in names + [name])
            return _replace_node(text, node, f"__all__ = [\n{items}]\n")
    raise ScaffoldError("the module has no `__all__ = [...]` to list the new name in")


def _with_imports(text: str, module: str, names: list[str]) -> str:
    """`text` with `from <module> import <names>` (merged into that import if it is there)."""
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == module and node.level == 0:
            have = [a.name for a in node.names]
            missing = [n for n in names if n not in have]
            if not missing:
                return text
            joined = ", ".join(sorted(set(have + missing), key=lambda n: (not n[:1].isupper(), n.lower())))
            line = f"from {module} import {joined}\n"
            return _replace_node(text, node, line if len(line) <= 121 else _wrap(f"from {module} import ({joined})\n"))
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    new = f"from {module} import {', '.join(names)}\n"
    if not imports:
        raise ScaffoldError("the module has no imports to add to")
    lines = text.splitlines(keepends=True)
    at = imports[-1].end_lineno
    return "".join(lines[:at]) + new + "".join(lines[at:])


def _wrap(line: str, width: int = 120) -> str:
    """A long `from x import (a, b, ...)` wrapped at `width`, aligned as the kit writes it."""
    if len(line) <= width + 1:
        return line
    head, rest = line.split("(", 1)
    out, current = [], head + "("
    for part in rest.rstrip(")\n").split(", "):
        piece = part + ", "
        if len(current) + len(piece) > width:
            out.append(current.rstrip())
            current = " " * len(head + "(")
        current += piece
    out.append(current.rstrip(", ") + ")")
    return "\n".join(out) + "\n"


def _module_assignment(root: Path, module: str, assignment: str | None) -> str:
    from bpkit.checks import registry

    if assignment:
        if not (root / "source" / assignment).is_dir():
            raise ScaffoldError(f"source/{assignment}/ does not exist: `bpkit new assignment {assignment}` writes it")
        return assignment
    found = sorted({cell.assignment for cell in registry.grade_cells(root) for name in cell.checks
                    if name.split(".", 1)[0] == module})
    if not found:
        found = sorted(p.name for p in (root / "source").iterdir() if p.is_dir() and p.name.startswith(module + "_"))
    if len(found) != 1:
        raise ScaffoldError(f"which assignment grades the checks of {module}? "
                            + (f"{', '.join(found)}: " if found else "none yet: ") + "pass --assignment")
    return found[0]


def _notebook_path(root: Path, assignment: str) -> Path:
    found = sorted((root / "source" / assignment).glob("*.ipynb"))
    if len(found) != 1:
        raise ScaffoldError(f"source/{assignment}/ should hold one notebook, it holds {len(found)}")
    return found[0]


def _camel(token: str) -> str:
    return token[:1].upper() + token[1:]


# ------------------------------------------------------------- reference ---

def _reference_file(root: Path, module: str, assignment: str) -> tuple[Path, str]:
    """(file, module name) of reference/ where the module's objects live."""
    from bpkit.checks import registry

    counts: dict[str, int] = {}
    for check, obj in registry.graded_objects(root).items():
        if check.split(".", 1)[0] == module:
            try:
                owner = registry.reference_object(obj).__module__
            except AttributeError:
                continue
            counts[owner] = counts.get(owner, 0) + 1
    if counts:
        owner = max(counts, key=counts.get)
        return root / (owner.replace(".", "/") + ".py"), owner
    stem = re.sub(r"^ch\d+_", "", assignment) or module
    return root / "reference" / f"{stem}.py", f"reference.{stem}"


def _reference_stub(obj: str, methods: list[str], is_class: bool) -> str:
    if not is_class:
        return (f"\n\ndef {obj}(x):\n    \"\"\"{TODO}: the reference {obj} (the checks compare the students' answers "
                f"with it); x: array of shape (N, D).\"\"\"\n"
                f"    raise NotImplementedError(\"{TODO}: write the reference {obj}\")\n")
    body = "".join(_method_stub(obj, m) for m in methods)
    return (f"\n\nclass {obj}:\n    \"\"\"{TODO}: the reference {obj} (the checks compare the students' answers with "
            f"it).\"\"\"\n\n    def __init__(self):\n        pass\n{body}")


def _method_stub(obj: str, method: str) -> str:
    args = "params, grads" if method == "update" else "dout" if method == "backward" else "x"
    return (f"\n    def {method}(self, {args}):\n"
            f"        raise NotImplementedError(\"{TODO}: write the reference {obj}.{method}\")\n")


def _write_reference(root: Path, module: str, assignment: str, obj: str, methods: list[str], is_class: bool,
                     written: Written) -> None:
    path, owner = _reference_file(root, module, assignment)
    text = path.read_text(encoding="utf-8") if path.is_file() else (
        f'"""{TODO}: the reference solution of {assignment} (the single source of truth for a correct answer;\n'
        f'never shipped to students\' sandboxes)."""\nimport numpy as np\n\n__all__ = []\n')
    tree = ast.parse(text)
    existing = next((n for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == obj), None)
    if existing is None:
        text = _with_all(text.rstrip("\n") + "\n" + _reference_stub(obj, methods, is_class), obj)
        written.todo.append(f"{path.relative_to(root)}: write the reference {obj}")
    elif isinstance(existing, ast.ClassDef):
        have = {n.name for n in existing.body if isinstance(n, ast.FunctionDef)}
        missing = [m for m in methods if m not in have]
        if not missing:
            return
        lines = text.splitlines(keepends=True)
        text = "".join(lines[:existing.end_lineno]) + "".join(_method_stub(obj, m) for m in missing) \
            + "".join(lines[existing.end_lineno:])
        written.todo.append(f"{path.relative_to(root)}: write the reference {obj}.{', '.join(missing)}")
    else:
        return
    path.write_text(text, encoding="utf-8")
    written.touched(path)
    init = root / "reference" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    if f" import {obj}" not in text and f", {obj}" not in text:
        text = _with_all(_with_imports(text, owner, [obj]), obj)
        init.write_text(text, encoding="utf-8")
        written.touched(init)


# ----------------------------------------------------------------- checks ---

CHECK_MODULE = '''"""Hidden checks for {assignment}.  {todo}: one paragraph: what is graded, through which
interface, and what the hidden inputs are.  Each ``check_*`` takes the student's object, calls it through
the public interface only (``call``), compares with the reference (``expect_close``) and names a mistake
only on evidence (docs/authoring.md)."""
from __future__ import annotations

import numpy as np

import reference as ref
from bpkit.checks.core import InOut, Mistake, call, expect_close, over_all_cases, rng_for, self_consistency

__all__ = [
]
'''


def _mistake(key: str) -> str:
    return (f'Mistake("{key}",  # {TODO}: a literal key, e.g. "tanh.uses_input"\n'
            f'                    "{TODO}: one English sentence naming the mistake and the fix.",\n'
            f'                    "{TODO}: 同じ内容の日本語の文（誤りと直し方）。",\n'
            f'                    None),  # {TODO}: what that mistake gives on these inputs (None: not modelled yet)')


def _check_source(module: str, behaviour: str, obj: str, method: str | None, key: str) -> str:
    """The check's code, for an object of one of four kinds."""
    head = (f"\n\n@over_all_cases\ndef check_{behaviour}({obj}) -> None:\n"
            f"    \"\"\"{obj}{'.' + method if method else ''}: {TODO} what this behaviour is, in one line.\"\"\"\n"
            f"    rng = rng_for(\"{behaviour}\")  # hidden inputs: drawn per student from the course's secret\n")
    mistakes = f"        mistakes = [\n            {_mistake(key)}\n        ]\n"
    if method is None:  # a function
        return head + (
            f"    for shape in [(5,), (3, 4)]:  # {TODO}: shapes that need the computation (batch sizes 1 and more)\n"
            f"        x = rng.normal(size=shape)\n"
            f"        got = call(\"{obj}(x)\", {obj}, x.copy())\n"
            f"        expected = ref.{obj}(x.copy())\n" + mistakes +
            f"        expect_close(f\"{obj}(x) for x of shape {{shape}}\", got, expected, mistakes=mistakes)\n")
    if method == "update":  # an optimizer: update(params, grads) changes params in place
        return head + (
            f"    for shapes in [{{\"W\": (3, 2), \"b\": (2,)}}, {{\"W1\": (4, 3), \"b1\": (3,), \"W2\": (3, 2)}}]:\n"
            f"        params = {{k: rng.normal(size=s) for k, s in shapes.items()}}\n"
            f"        grads = {{k: rng.normal(size=s) for k, s in shapes.items()}}\n"
            f"        expected = {{k: v.copy() for k, v in params.items()}}\n"
            f"        ref.{obj}().update(expected, {{k: v.copy() for k, v in grads.items()}})  "
            f"# {TODO}: constructor arguments\n"
            f"        optimizer = call(\"{obj}()\", {obj})  # numbers only as keywords: call(\"{obj}(lr=0.1)\", "
            f"{obj}, lr=0.1)\n"
            f"        # params is shared (InOut): the student's update changes it in place, as the book's does;\n"
            f"        # grads is a copy. Dicts of arrays cross the judge both ways (bpkit/judging/wire.py).\n"
            f"        call(\"{obj}.update(params, grads)\", (optimizer, \"update\"), InOut(params), grads)\n"
            f"        for key in shapes:\n" + textwrap.indent(mistakes, "    ") +
            f"            expect_close(f\"params[{{key!r}}] after {obj}.update(params, grads)\", params[key], "
            f"expected[key],\n                         mistakes=mistakes)\n")
    if method == "backward":
        return head + (
            f"    for shape in [(5,), (3, 4)]:  # {TODO}: shapes that need the computation (batch sizes 1 and more)\n"
            f"        x, dout = rng.normal(size=shape), rng.normal(size=shape)\n"
            f"        layer = call(\"{obj}()\", {obj})\n"
            f"        call(\"{obj}.forward(x)\", (layer, \"forward\"), x.copy())\n"
            f"        got = call(\"{obj}.backward(dout)\", (layer, \"backward\"), dout.copy())\n"
            f"        mine = ref.{obj}()\n"
            f"        mine.forward(x.copy())\n"
            f"        expected = mine.backward(dout.copy())\n" + mistakes +
            f"        # is the student's backward the gradient of the student's own forward? (said when no mistake "
            f"matches)\n"
            f"        own = self_consistency(\"{obj}.backward\", lambda x_: np.sum(\n"
            f"            call(\"{obj}.forward(x)\", (call(\"{obj}()\", {obj}), \"forward\"), x_) * dout), x, 1e-6)\n"
            f"        expect_close(f\"{obj}.backward(dout) for shape {{shape}}\", got, expected, mistakes=mistakes,\n"
            f"                     gradient_check=own)\n"
            f"    # {TODO}: backprop must be earned: a last case where finite differences of forward cannot reach the\n"
            f"    # tolerance, with core.finite_differences(...) among its mistakes (docs/authoring.md).\n")
    return head + (  # forward, or any other method taking one array
        f"    for shape in [(5,), (3, 4)]:  # {TODO}: shapes that need the computation (batch sizes 1 and more)\n"
        f"        x = rng.normal(size=shape)\n"
        f"        got = call(\"{obj}.{method}(x)\", (call(\"{obj}()\", {obj}), \"{method}\"), x.copy())\n"
        f"        expected = ref.{obj}().{method}(x.copy())\n" + mistakes +
        f"        expect_close(f\"{obj}.{method}(x) for x of shape {{shape}}\", got, expected, mistakes=mistakes)\n")


def _write_check(root: Path, module: str, behaviour: str, obj: str, method: str | None, assignment: str,
                 written: Written) -> str:
    checks, _ = _kit(root)
    path = checks / f"{module}.py"
    text = path.read_text(encoding="utf-8") if path.is_file() else CHECK_MODULE.format(assignment=assignment, todo=TODO)
    if re.search(rf"^def check_{behaviour}\(", text, re.MULTILINE):
        raise ScaffoldError(f"bpkit/checks/{module}.py already has check_{behaviour}")
    key = f"{obj.lower()}.TODO_{behaviour}"
    text = _with_imports(text, "bpkit.checks.core", ["InOut", "Mistake", "call", "expect_close", "over_all_cases",
                                                       "rng_for", "self_consistency"])
    if not re.search(r"^import reference as ref$", text, re.MULTILINE):
        text = re.sub(r"^(from bpkit\.checks\.core import)", r"import reference as ref\n\1", text, count=1,
                      flags=re.MULTILINE)
    text = _with_all(text.rstrip("\n") + "\n" + _check_source(module, behaviour, obj, method, key), f"check_{behaviour}")
    path.write_text(text, encoding="utf-8")
    written.touched(path)
    written.todo.append(f"bpkit/checks/{module}.py: check_{behaviour}: the inputs, the mistake's model and its key "
                        f"(now {key!r}) with its two sentences")
    return key


# ---------------------------------------------------------------- notebook ---

HEADER = """# {title}
# {title_ja}

**How to work / 進め方**

- {todo}: what this notebook asks, in one or two sentences. Fill in the cells marked `# YOUR CODE HERE` and delete `raise NotImplementedError(...)`. Keep the names and arguments.
- After each exercise, a *Check my work* cell (not graded) runs the grader's own hidden checks on your code right here, on new inputs, and shows why a point would be lost. It needs the kit on this computer (`pip install bpkit`); `bpkit check {notebook}` in a terminal checks the whole notebook at once.

- {todo}: 同じ内容の日本語。`# YOUR CODE HERE` のセルを埋め、`raise NotImplementedError(...)` を削除してください。名前と引数は変えないでください。
- 各課題のあとの「答え合わせ（採点なし）」のセルは、採点と同じ隠しテストを新しい入力であなたのコードに実行し、減点の理由をその場で表示します。このコンピュータにキットが必要です（`pip install bpkit`）。ターミナルで `bpkit check {notebook}` を実行すると、ノートブック全体をまとめて確認できます。

**Running cells / セルの実行**

- Run one cell with **Shift+Enter** (it runs the cell and moves to the next one). *Run All* stops at the first test cell that fails: that is expected while you are still working. Fix the code above that test, or run the cells below it one at a time with Shift+Enter.
- セルを 1 つ実行するには **Shift+Enter** を押します（実行して次のセルへ移ります）。「Run All（すべて実行）」は最初に失敗したテストセルで止まりますが、作業の途中ではそれで正常です。そのテストの上のコードを直すか、下のセルを Shift+Enter で 1 つずつ実行してください。

**What you need / 必要なもの**

- Python 3 with NumPy and Jupyter (JupyterLab or Notebook 7). nbgrader is needed only for the *Validate* button; without it, run every cell and check that no test cell shows an error.
- Python 3、NumPy、Jupyter（JupyterLab または Notebook 7）。nbgrader は「Validate」ボタンを使うときだけ必要です。なくても、すべてのセルを実行してテストセルにエラーが出ないことを確かめれば同じです。

**How to hand in / 提出のしかた**

- Save (Ctrl+S), then hand in the whole folder `{assignment}/` as you received it. Keep the notebook's name `{notebook}` and keep it in that folder: do not rename, move or duplicate it. A renamed or moved notebook is not found and scores zero. On the course's JupyterHub, submit from the *Assignments* tab.
- 保存（Ctrl+S）してから、受け取ったフォルダ `{assignment}/` をまるごと提出してください。ノートブックの名前 `{notebook}` と置き場所は変えないでください（名前の変更・移動・複製をしない）。名前を変えたり移動したりしたノートブックは見つからず、0 点になります。コースの JupyterHub では「Assignments」タブから提出します。

**Your feedback / フィードバック**

- After grading, your instructor releases a feedback page for this notebook: your points for each tested behaviour, and for a lost point what went wrong, in English and Japanese. On the course's JupyterHub, open the *Assignments* tab and press *Fetch Feedback*, then *view feedback*: it opens a folder named after the time you submitted. Double-click `{stem}.html` in it. JupyterLab shows a *Trust HTML* button above the page: you do not need it (the page runs no script, and everything shows without it). Without JupyterHub, your instructor sends you the same page: open it in any web browser.
- 採点後、教員がこのノートブックのフィードバックページを返却します。確認項目ごとの点数と、減点された項目には何が違ったかが英語と日本語で書かれています。コースの JupyterHub では「Assignments」タブで「Fetch Feedback」を押し、「view feedback」を押すと、提出した日時の名前のフォルダが開きます。その中の `{stem}.html` をダブルクリックしてください。ページの上に「Trust HTML」ボタンが表示されますが、押す必要はありません（このページはスクリプトを使わず、押さなくてもすべて表示されます）。JupyterHub を使わない場合は、教員から同じページが届きます。どのウェブブラウザでも開けます。"""

SELF_CHECK_SETUP = '''# "Check my work / 答え合わせ" (not graded / 採点なし): after each exercise a cell checks your
# code here, with the grader's own checks on new inputs, and says why a point would be lost.
# It needs the kit (`pip install bpkit`, once); without it the cells only say how to install it.
# 各課題のあとのセルで、採点と同じチェックを新しい入力で実行し、減点の理由を表示します。
# キット（`pip install bpkit`、一度だけ）が必要です。ない場合はインストール方法だけを表示します。
try:
    from bpkit.learner.check_cell import check_my_work
except ImportError:  # the kit is not installed in this Jupyter / キットが未インストール
    def check_my_work(*names):
        print("Check my work needs the kit: run `%pip install bpkit` in a cell, "
              "restart the kernel, then run the cells again.\\n"
              "答え合わせにはキットが必要です。セルで `%pip install bpkit` を実行し、"
              "カーネルを再起動してから、もう一度セルを実行してください。")'''


def _cell_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:64]


def _code(source: str, nbgrader: dict | None = None, locked: bool = False, tags=None, cell_id: str = ""):
    cell = nbformat.v4.new_code_cell(source)
    if cell_id:
        cell.id = _cell_id(cell_id)
    if locked:
        cell.metadata.update({"deletable": False, "editable": False})
    if nbgrader is not None:
        cell.metadata["nbgrader"] = {**nbgrader, "schema_version": 3}
    if tags:
        cell.metadata["tags"] = list(tags)
        cell.metadata["editable"] = False
    return cell


def _solution_cell(obj: str, methods: list[str], is_class: bool):
    region = f"        ### BEGIN SOLUTION\n        raise NotImplementedError(\"{TODO}: the solution\")\n        ### END SOLUTION"
    if is_class:
        body = "".join(f"\n    def {m}(self, {'params, grads' if m == 'update' else 'dout' if m == 'backward' else 'x'}):"
                       f"\n{region}\n" for m in methods)
        source = f"class {obj}:\n    def __init__(self):\n        pass\n{body}".rstrip("\n")
    else:
        source = f"def {obj}(x):\n{region.replace('        ', '    ')}"
    return _code(source, {"grade": False, "grade_id": obj, "locked": False, "solution": True}, cell_id=obj)


def _example(obj: str, method: str | None) -> str:
    """A visible example the cell starts with (the author replaces it with the book's)."""
    if method is None:
        return (f"out = {obj}(np.array([[0.5, -1.0, 2.0]]))\n"
                f"assert out.shape == (1, 3), f\"expected the shape (1, 3) / 期待される形状 (1, 3), got {{out.shape}}\"")
    if method == "update":
        return (f"params, grads = {{\"W\": np.ones((2, 3))}}, {{\"W\": np.full((2, 3), 0.5)}}\n"
                f"{obj}().update(params, grads)\n"
                f"assert params[\"W\"].shape == (2, 3), f\"params['W'] keeps its shape / 形状は変わりません: "
                f"{{params['W'].shape}}\"")
    if method == "backward":
        return (f"layer = {obj}()\nlayer.forward(np.array([[0.5, -1.0, 2.0]]))\n"
                f"dx = layer.backward(np.ones((1, 3)))\n"
                f"assert dx.shape == (1, 3), f\"expected the shape (1, 3) / 期待される形状 (1, 3), got {{dx.shape}}\"")
    return (f"out = {obj}().{method}(np.array([[0.5, -1.0, 2.0]]))\n"
            f"assert out.shape == (1, 3), f\"expected the shape (1, 3) / 期待される形状 (1, 3), got {{out.shape}}\"")


def _grade_cell(name: str, grade_id: str, obj: str, method: str | None, points: float):
    what = f"{obj}.{method}" if method else obj
    source = (f"\"\"\"{what}: {TODO} what this cell grades, in one line.\n"
              f"{what}: {TODO} 同じ内容を日本語で 1 行に。\"\"\"\n### BEGIN HIDDEN TESTS\n"
              f"from bpkit.probe import check\ncheck(\"{name}\", {obj})\n### END HIDDEN TESTS\n"
              f"# {TODO}: the book's example, asserted (the hidden check must check everything asserted here)\n"
              + _example(obj, method))
    return _code(source, {"grade": True, "grade_id": grade_id, "locked": True, "points": points, "solution": False},
                 locked=True, cell_id=grade_id)


def _self_check_cell(obj: str):
    return _code(f"# Check my work (not graded) / 答え合わせ（採点なし）\ncheck_my_work(\"{obj}\")",
                 tags=["bpkit-self-check"], cell_id=f"self-check-{obj}")


def _try_it_cell(obj: str, method: str | None):
    run = _example(obj, method).splitlines()[:-1] or [f"print({obj})"]
    source = (f"# Try it (not graded): {TODO} something to try with your {obj}.\n"
              f"# 試してみよう（採点なし）：{TODO}\n" + "\n".join(run) + "\nprint(\"ok\")")
    return _code(source, {"grade": False, "grade_id": f"{obj}_try_it", "locked": True, "solution": False},
                 locked=True, cell_id=f"{obj}-try-it")


def _checked_object(cell) -> list[str]:
    from bpkit.checks import registry

    return registry.objects_in_cell(cell.source) if cell.metadata.get("nbgrader", {}).get("grade") else []


def _write_notebook(root: Path, assignment: str, name: str, grade_id: str, obj: str, method: str | None,
                    methods: list[str], is_class: bool, points: float, written: Written) -> None:
    path = _notebook_path(root, assignment)
    nb = nbformat.read(path, as_version=4)
    ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    if grade_id in ids:
        raise ScaffoldError(f"{path.relative_to(root)} already has a cell `{grade_id}`: pass --grade-id")
    grade = _grade_cell(name, grade_id, obj, method, points)
    has_solution = any(c.metadata.get("nbgrader", {}).get("solution") and c.metadata["nbgrader"]["grade_id"] == obj
                       for c in nb.cells)
    if not has_solution:
        section = nbformat.v4.new_markdown_cell(
            f"## {obj}\n\n{TODO}: what {obj} computes, with its formula ($...$) and shapes.\n\n"
            f"{TODO}: 同じ内容の日本語（数式と形状）。")
        section.id = _cell_id(f"{obj}-section")
        nb.cells += [section, _solution_cell(obj, methods, is_class), grade, _self_check_cell(obj),
                     _try_it_cell(obj, method)]
        written.todo.append(f"{path.relative_to(root)}: the {obj} section's text, the solution (between ### BEGIN/END "
                            f"SOLUTION) and the Try-it cell")
    else:
        last = max(i for i, c in enumerate(nb.cells) if obj in _checked_object(c) or (
            c.metadata.get("nbgrader", {}).get("grade_id") == obj))
        nb.cells.insert(last + 1, grade)
    written.todo.append(f"{path.relative_to(root)}: grade cell `{grade_id}`: its docstring (an English line, then a "
                        f"Japanese one), its points and the book's example")
    nbformat.write(nb, path)
    written.touched(path)


def _write_catalogue(root: Path, assignment: str, grade_id: str, obj: str, key: str, behaviour: str,
                     written: Written) -> None:
    catalogue = root / "tests" / "catalogue"
    if not catalogue.is_dir():
        return
    from bpkit.sample import solution_source

    path = _notebook_path(root, assignment)
    solution = next(solution_source(c.source) for c in nbformat.read(path, as_version=4).cells
                    if c.metadata.get("nbgrader", {}).get("solution") and c.metadata["nbgrader"]["grade_id"] == obj)
    entry = catalogue / f"{behaviour}_todo.py"
    if entry.exists():
        return
    entry.write_text(f"# based on: aoki\n# {TODO}: a common mistake in {obj}, the one the check names "
                     f"[{key}]; rename this file after it.\n# expect: {grade_id} {key}\n\n# %% {obj}\n"
                     f"# {TODO}: {obj} with that one mistake (the rest as in the solution)\n{solution}\n",
                     encoding="utf-8")
    written.touched(entry)
    written.todo.append(f"{entry.relative_to(root)}: the mistake's code (and the key in its `# expect:` line)")


def _refresh_readme(root: Path, written: Written) -> None:
    readme = root / "README.md"
    if not readme.is_file() or "| grade id | check | mistake keys |" not in readme.read_text(encoding="utf-8"):
        return
    proc = subprocess.run([sys.executable, "-m", "bpkit.checks.registry", "--write", "README.md"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode == 0 and proc.stdout.startswith("updated"):
        written.touched(readme)
    elif proc.returncode != 0:
        written.todo.append(f"README.md: regenerate its table (`python -m bpkit.checks.registry --write README.md`): "
                            f"{(proc.stderr.strip().splitlines() or [''])[-1][:300]}")


# ------------------------------------------------------------------ public ---

def new_check(root: Path, name: str, obj: str | None = None, assignment: str | None = None, method: str | None = None,
              methods: list[str] | None = None, points: float = 1, grade_id: str | None = None) -> Written:
    """Write the stubs of the graded behaviour `name` ("ch5.tanh_backward")
    of the student's object `obj` (default: the behaviour's first word,
    capitalised for a layer: "Tanh"); method: the method it grades (default:
    the behaviour's last word if it is one of methods, else none: a
    function); methods: the methods of a new class (default: forward,
    backward; update for an optimizer)."""
    root = Path(root).resolve()
    _kit(root)
    match = _BEHAVIOUR.match(name)
    if not match:
        raise ScaffoldError(f"{name!r} is not a check name: <module>.<behaviour>, lower case, e.g. ch5.tanh_backward")
    module, behaviour = match.groups()
    if module in ("core", "describe", "registry"):
        raise ScaffoldError(f"bpkit/checks/{module}.py is the checks' machinery, not a check module")
    words = behaviour.split("_")
    obj = obj or (_camel(words[0]) if words[-1] in ("forward", "backward", "update") else words[0])
    if not _IDENT.match(obj):
        raise ScaffoldError(f"{obj!r} is not a Python name")
    is_class = obj[:1].isupper()
    if method is None and is_class:
        method = words[-1] if words[-1] in ("forward", "backward", "update") else "forward"
    if not is_class:
        method = None
    methods = methods or (["update"] if method == "update" else ["forward", "backward"] if method in
                          ("forward", "backward") else [method] if method else [])
    if method and method not in methods:
        methods.append(method)
    assignment = _module_assignment(root, module, assignment)
    written = Written()
    _write_reference(root, module, assignment, obj, methods, is_class, written)
    key = _write_check(root, module, behaviour, obj, method, assignment, written)
    _write_notebook(root, assignment, name, grade_id or behaviour, obj, method, methods, is_class, points, written)
    _write_catalogue(root, assignment, grade_id or behaviour, obj, key, behaviour, written)
    _refresh_readme(root, written)
    written.todo.append(f"then `bpkit release {assignment}`: it grades the solution (full marks expected) and the "
                        f"stubs (no cell may pass) through the judge, and says what is still wrong")
    return written


def new_assignment(root: Path, assignment: str, notebook: str | None = None, title: str = "") -> Written:
    """Write source/<assignment>/<notebook>.ipynb: the house rules' header,
    the imports and the "Check my work" setup cell; its behaviours come
    from `new_check`."""
    root = Path(root).resolve()
    if not _ASSIGNMENT.match(assignment):
        raise ScaffoldError(f"{assignment!r}: an assignment's name is lower case letters, digits and _ "
                            f"(e.g. ch6_optimizers)")
    folder = root / "source" / assignment
    if folder.exists():
        raise ScaffoldError(f"source/{assignment}/ already exists")
    notebook = notebook or re.sub(r"^ch\d+_", "", assignment) or assignment
    notebook = notebook.removesuffix(".ipynb") + ".ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    header = nbformat.v4.new_markdown_cell(HEADER.format(
        title=title or f"{TODO}: the title ({assignment})", title_ja=f"{TODO}: 日本語の題", todo=TODO,
        notebook=notebook, stem=notebook.removesuffix(".ipynb"), assignment=assignment))
    header.id = "header"
    nb.cells = [header,
                _code("import numpy as np", {"grade": False, "grade_id": "imports", "locked": True, "solution": False},
                      locked=True, cell_id="imports"),
                _code(SELF_CHECK_SETUP, tags=["bpkit-self-check"], cell_id="self-check-setup")]
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / notebook)
    written = Written([folder / notebook], [
        f"source/{assignment}/{notebook}: the title and the introduction (English and Japanese)",
        f"its behaviours: `bpkit new check <module>.<behaviour> --object <Name> --assignment {assignment}` for each "
        f"(a new module bpkit/checks/<module>.py is written the first time and registered by existing)"])
    return written
