"""The author's side of the walk-through in docs/authoring.md, as code: in a
copy of the kit (tests/conftest.py copy_kit), `bpkit new` writes the stubs of
a Tanh layer in ch5_backprop and of a ch6_optimizers assignment (SGD and
Momentum), and the functions below write what the author writes by hand at
each ``TODO(author)``: the reference, the mistake's model and key, the
solution, the texts students read, the catalogue entry.  Nothing else of
the kit is edited, and no ``TODO(author)`` is left where `bpkit release`
looks (it refuses one).

``python tests/authoring/walkthrough.py DEST`` runs it and leaves the course
at DEST (then ``cd DEST && PYTHONPATH=$PWD bpkit release``)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

__all__ = ["bpkit", "add_tanh", "add_optimizers", "refresh_table", "TANH_ID", "OPTIMIZER_IDS"]

TANH_ID = "tanh_backward"
OPTIMIZER_IDS = ["sgd_update", "momentum_update"]
BIN = Path(sys.executable).parent


def bpkit(*args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "bpkit"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, (path, old, text.count(old))
    path.write_text(text.replace(old, new), encoding="utf-8")


def _solve(course: Path, assignment: str, obj: str, bodies: dict[str, str], init: str = "") -> None:
    """Write the solution of `obj` in source/<assignment>: each method's body
    between ### BEGIN/END SOLUTION (and __init__'s, when given)."""
    (path,) = (course / "source" / assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == obj]
    source = cell.source
    if init:
        source = source.replace("    def __init__(self):\n        pass", init)
    for method, body in bodies.items():
        source = re.sub(rf"(def {method}\(self[^)]*\):\n        ### BEGIN SOLUTION\n)        raise NotImplementedError"
                        rf"\(\"TODO\(author\): the solution\"\)\n", lambda m: m.group(1) + body + "\n", source)
    assert "TODO(author): the solution" not in source, source
    cell.source = source
    nbformat.write(nb, path)


def _example(course: Path, assignment: str, grade_id: str, check: str) -> None:
    """The grade cell's visible example: the scaffold's shape assertion
    replaced by one on the values (the book's example, asserted)."""
    (path,) = (course / "source" / assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    lines = [line for line in cell.source.splitlines() if "TODO(author): the book's example" not in line]
    assert lines[-1].startswith("assert "), lines
    cell.source = "\n".join(lines[:-1] + [check])
    nbformat.write(nb, path)


def _texts(course: Path, assignment: str, texts: dict[str, str]) -> None:
    """Each `TODO(author)` text `bpkit new` wrote in the notebook (a key of
    `texts`, found exactly once) replaced by what the author writes."""
    (path,) = (course / "source" / assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    for old, new in texts.items():
        (cell,) = [c for c in nb.cells if old in c.source]
        cell.source = cell.source.replace(old, new)
    nbformat.write(nb, path)


def _reference(path: Path, obj: str, bodies: dict[str, str], init: str = "") -> None:
    for method, body in bodies.items():
        _replace(path, f'        raise NotImplementedError("TODO(author): write the reference {obj}.{method}")', body)
    if init:
        text = path.read_text(encoding="utf-8")
        head, _, tail = text.partition(f"class {obj}:")
        tail = tail.replace("    def __init__(self):\n        pass", init, 1)
        path.write_text(head + f"class {obj}:" + tail, encoding="utf-8")


def _mistake(path: Path, todo_key: str, key: str, en: str, ja: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    block = re.compile(r'Mistake\("' + re.escape(todo_key) + r'",.*?None\),  # TODO\(author\)[^\n]*', re.DOTALL)
    assert len(block.findall(text)) == 1, todo_key
    text = block.sub(lambda m: f'Mistake("{key}",\n                    "{en}",\n                    "{ja}",\n'
                               f'                    {value}),', text)
    path.write_text(text, encoding="utf-8")


def _check_texts(path: Path, behaviour: str, line: str) -> None:
    """check_<behaviour>'s docstring written; the scaffold's default shapes
    (and constructor arguments) kept, so their TODO comments go."""
    text = path.read_text(encoding="utf-8")
    head, _, tail = text.partition(f"def check_{behaviour}(")
    body, _, rest = tail.partition("\n\n\n")
    body = re.sub(r'"""(\w+\.\w+): TODO\(author\) what this behaviour is, in one line\."""', lambda m: f'"""{line}"""',
                  body)
    body = re.sub(r"  # TODO\(author\): (shapes that need|constructor arguments)[^\n]*", "", body)
    path.write_text(head + f"def check_{behaviour}(" + body + ("\n\n\n" + rest if rest else ""), encoding="utf-8")


def _catalogue(course: Path, behaviour: str, name: str, key: str, grade_id: str, code: str) -> None:
    todo = course / "tests" / "catalogue" / f"{behaviour}_todo.py"
    text = todo.read_text(encoding="utf-8")
    assert f"# expect: {grade_id} " in text
    head = text.split("# %% ", 1)[0]
    head = re.sub(r"# expect: .*", f"# expect: {grade_id} {key}", head)
    head = re.sub(r"# TODO\(author\).*\n", "", head)
    obj = text.split("# %% ", 1)[1].split("\n", 1)[0]
    (course / "tests" / "catalogue" / f"{name}.py").write_text(f"{head}# %% {obj}\n{code}\n", encoding="utf-8")
    todo.unlink()


def _no_todo_left(course: Path) -> None:
    """What `bpkit release` reads (the notebooks and the check modules) says no TODO(author) any more."""
    for path in [*(course / "source").glob("*/*.ipynb"), *(course / "bpkit" / "checks").glob("*.py")]:
        assert "TODO(author)" not in path.read_text(encoding="utf-8"), path


def refresh_table(course: Path, env: dict) -> subprocess.CompletedProcess:
    """The author's last step: the README's table of cells, checks and keys, with the keys now written."""
    proc = subprocess.run([sys.executable, "-m", "bpkit.checks.registry", "--write", "README.md"], cwd=course,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def add_tanh(course: Path, env: dict) -> list[subprocess.CompletedProcess]:
    """`bpkit new check ch5.tanh_backward`, then the author's part."""
    runs = [bpkit("new", "check", "ch5.tanh_backward", "--object", "Tanh", cwd=course, env=env)]
    assert runs[-1].returncode == 0, runs[-1].stdout + runs[-1].stderr
    _reference(course / "reference" / "layers.py", "Tanh", {
        "forward": "        self.out = np.tanh(x)\n        return self.out",
        "backward": "        return dout * (1.0 - self.out ** 2)"})
    _mistake(course / "bpkit" / "checks" / "ch5.py", "tanh.TODO_tanh_backward", "tanh.uses_input",
             "Tanh.backward uses the input x instead of the output y: the derivative of tanh is 1 - y**2, with "
             "y = tanh(x) kept by forward.",
             "Tanh.backward で出力 y ではなく入力 x を使っています。tanh の微分は 1 - y**2 で、y = tanh(x) は forward "
             "で保存した値です。",
             "dout * (1.0 - x ** 2)")
    _solve(course, "ch5_backprop", "Tanh", {
        "forward": "        self.out = np.tanh(x)\n        return self.out",
        "backward": "        return dout * (1.0 - self.out ** 2)"})
    _example(course, "ch5_backprop", TANH_ID, 'assert np.allclose(dx, 1 - np.tanh([[0.5, -1.0, 2.0]]) ** 2), '
             'f"dx = {dx}"')
    checks = course / "bpkit" / "checks" / "ch5.py"
    _check_texts(checks, TANH_ID, "Tanh.backward returns dout * (1 - y**2) with y the forward output.")
    _replace(checks, TANH_EARNED_TODO, TANH_EARNED)
    _texts(course, "ch5_backprop", {
        "TODO(author): what Tanh computes, with its formula ($...$) and shapes.":
            "`Tanh` computes $y = \\tanh(x)$ elementwise; backward returns $dx = dout \\odot (1 - y^2)$, with $y$ "
            "kept by forward. `x`, `y`, `dout` and `dx` all have the shape of `x`.",
        "TODO(author): 同じ内容の日本語（数式と形状）。":
            "`Tanh` は要素ごとに $y = \\tanh(x)$ を計算します。backward は forward で保存した $y$ を使って "
            "$dx = dout \\odot (1 - y^2)$ を返します。`x`、`y`、`dout`、`dx` はすべて `x` と同じ形状です。",
        '"""Tanh.backward: TODO(author) what this cell grades, in one line.\n'
        'Tanh.backward: TODO(author) 同じ内容を日本語で 1 行に。"""':
            '"""Tanh.backward returns dout * (1 - y**2) with y the forward output.\n'
            'Tanh.backward が forward の出力 y を使って dout * (1 - y**2) を返します。"""',
        "# Try it (not graded): TODO(author) something to try with your Tanh.":
            "# Try it (not graded): run your Tanh forward and backward on one row.",
        "# 試してみよう（採点なし）：TODO(author)": "# 試してみよう（採点なし）：1 行の入力で forward と backward を実行します。",
    })
    _catalogue(course, "tanh_backward", "tanh_uses_input", "tanh.uses_input", TANH_ID,
               "class Tanh:\n    def forward(self, x):\n        self.x = x\n        return np.tanh(x)\n\n"
               "    def backward(self, dout):\n        return dout * (1 - self.x ** 2)\n")
    _no_todo_left(course)
    return runs + [refresh_table(course, env)]


TANH_EARNED_TODO = ("    # TODO(author): backprop must be earned: a last case where finite differences of forward cannot "
                    "reach the\n    # tolerance, with core.finite_differences(...) among its mistakes "
                    "(docs/authoring.md).\n")


def _guide_block(after: str) -> str:
    """The code block of docs/authoring.md that follows `after` (so the guide's code is what is run)."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "authoring.md").read_text(encoding="utf-8")
    return guide.split(after, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


#: The author's last case of check_tanh_backward, as the guide shows it: backprop must be earned.
TANH_EARNED = _guide_block("so backprop must be earned. For `Tanh`")

OPTIMIZER_TEXTS = {
    "SGD": ("`SGD` moves each parameter against its gradient: $W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}$ "
            "(`lr` is $\\eta$). `params` and `grads` are dicts of arrays with the same keys and shapes.",
            "`SGD` は各パラメータを勾配の逆向きに動かします：$W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}$"
            "（`lr` が $\\eta$）。`params` と `grads` は同じキー・同じ形状の配列の辞書です。"),
    "Momentum": ("`Momentum` keeps a velocity per parameter: $v \\leftarrow \\alpha v - \\eta \\frac{\\partial L}"
                 "{\\partial W}$, then $W \\leftarrow W + v$. The velocities start at zero, with `params`' shapes.",
                 "`Momentum` はパラメータごとに速度を持ちます：$v \\leftarrow \\alpha v - \\eta \\frac{\\partial L}"
                 "{\\partial W}$、そして $W \\leftarrow W + v$。速度は `params` と同じ形状のゼロから始まります。"),
}

OPTIMIZERS = {
    "SGD": ("    def __init__(self, lr=0.01):\n        self.lr = lr",
            "        for key in params:\n            params[key] -= self.lr * grads[key]",
            ("sgd.plus", "SGD.update adds the gradient instead of subtracting it: params[key] -= lr * grads[key].",
             "SGD.update で勾配を引かずに足しています。params[key] -= lr * grads[key] としてください。",
             "expected[key] + 2 * 0.01 * grads[key]"),
            "        for key in params:\n            params[key] += self.lr * grads[key]"),
    "Momentum": ("    def __init__(self, lr=0.01, momentum=0.9):\n        self.lr, self.momentum, self.v = lr, momentum, None",
                 "        if self.v is None:\n            self.v = {k: np.zeros_like(v) for k, v in params.items()}\n"
                 "        for key in params:\n            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]\n"
                 "            params[key] += self.v[key]",
                 ("momentum.plus", "Momentum.update adds lr * grads to the velocity: v = momentum * v - lr * grads.",
                  "Momentum.update で速度に lr * grads を足しています。v = momentum * v - lr * grads としてください。",
                  "expected[key] + 2 * 0.01 * grads[key]"),
                 "        for key in params:\n            params[key] += self.lr * grads[key]"),
}


def add_optimizers(course: Path, env: dict) -> list[subprocess.CompletedProcess]:
    """`bpkit new assignment ch6_optimizers` and a check for SGD and
    Momentum's update(params, grads), then the author's part."""
    runs = [bpkit("new", "assignment", "ch6_optimizers", cwd=course, env=env)]
    for obj, grade_id in zip(OPTIMIZERS, OPTIMIZER_IDS):
        runs.append(bpkit("new", "check", f"ch6.{grade_id}", "--object", obj, cwd=course, env=env))
    assert all(r.returncode == 0 for r in runs), "\n".join(r.stdout + r.stderr for r in runs)
    for obj, grade_id in zip(OPTIMIZERS, OPTIMIZER_IDS):
        init, update, (key, en, ja, value), wrong = OPTIMIZERS[obj]
        _reference(course / "reference" / "optimizers.py", obj, {"update": update}, init=init)
        _mistake(course / "bpkit" / "checks" / "ch6.py", f"{obj.lower()}.TODO_{grade_id}", key, en, ja, value)
        _solve(course, "ch6_optimizers", obj, {"update": update}, init=init)
        _example(course, "ch6_optimizers", grade_id, 'assert np.allclose(params["W"], 1 - 0.01 * 0.5), '
                 'f"params[\'W\'] = {params[\'W\']}"')
        _catalogue(course, grade_id, key.replace(".", "_"), key, grade_id,
                   f"class {obj}:\n{init}\n\n    def update(self, params, grads):\n{wrong}\n")
        _check_texts(course / "bpkit" / "checks" / "ch6.py", grade_id, f"{obj}.update(params, grads) changes each "
                     f"parameter in place as the book's {obj} does.")
        _texts(course, "ch6_optimizers", {
            f"TODO(author): what {obj} computes, with its formula ($...$) and shapes.\n\n"
            "TODO(author): 同じ内容の日本語（数式と形状）。": "\n\n".join(OPTIMIZER_TEXTS[obj]),
            f'"""{obj}.update: TODO(author) what this cell grades, in one line.\n'
            f'{obj}.update: TODO(author) 同じ内容を日本語で 1 行に。"""':
                f'"""{obj}.update(params, grads) changes each parameter in place as the book\'s {obj} does.\n'
                f'{obj}.update(params, grads) が書籍の {obj} と同じように各パラメータをその場で更新します。"""',
            f"# Try it (not graded): TODO(author) something to try with your {obj}.\n# 試してみよう（採点なし）：TODO(author)":
                f"# Try it (not graded): one update of a small W with your {obj}.\n"
                f"# 試してみよう（採点なし）：小さな W を {obj} で 1 回更新します。",
        })
    _replace(course / "bpkit" / "checks" / "ch6.py", "TODO(author): one paragraph: what is graded, through which\n"
             "interface, and what the hidden inputs are.", "SGD and Momentum (book §6.1): update(params, grads)\n"
             "on dicts of random arrays of two layouts, with the default learning rates.")
    _texts(course, "ch6_optimizers", {
        "# TODO(author): the title (ch6_optimizers)": "# Chapter 6 — Optimizers",
        "# TODO(author): 日本語の題": "# 第6章 — パラメータの更新",
        "- TODO(author): what this notebook asks, in one or two sentences.":
            "- Write the update rules of SGD and Momentum (book §6.1): each changes `params` in place.",
        "- TODO(author): 同じ内容の日本語。": "- SGD と Momentum の更新規則（書籍 6.1 節）を書きます。どちらも `params` をその場で更新します。",
    })
    _no_todo_left(course)
    return runs + [refresh_table(course, env)]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import copy_kit

    dest, environment = copy_kit(Path(sys.argv[1]))
    for run in add_tanh(dest, environment) + add_optimizers(dest, environment):
        print(run.stdout, run.stderr, sep="")
    print(f"PYTHONPATH={dest}")
