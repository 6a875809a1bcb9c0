"""Code patterns worth a look in a solution cell: hints for the instructor.

The judge, outside the sandbox, decides every score; these patterns cost no
points and prove nothing.  They point at code an answer to these exercises
(NumPy functions and small classes) never needs: reaching into the import
system, the interpreter, frames, the process or files, or patching modules
and builtins.  The cell is parsed with ``ast`` (after IPython's own
transformation of magics and ``!`` commands), so spelling a name
differently (``import sys as s; s.modules``, ``__import__("bp" + "kit")``)
is still seen; a cell that does not parse is searched with a regular
expression instead.
"""
from __future__ import annotations

import ast
import builtins
import re

from nbgrader.utils import is_solution

__all__ = ["suspicious_code", "suspicious_cells"]

#: Importing any of these (or a submodule) is worth a look.
MODULES = {"builtins", "importlib", "ctypes", "socket", "gc", "inspect", "subprocess", "signal", "multiprocessing",
           "threading", "urllib", "http", "requests", "pty", "sqlite3", "sqlalchemy", "zmq", "jupyter_client",
           "ipykernel", "reference", "bpkit", "nbgrader", "pickle", "marshal", "shutil", "types", "traceback",
           "atexit", "faulthandler", "resource", "mmap", "tracemalloc", "sysconfig", "site"}
#: Qualified names (after resolving import aliases); a trailing "*" is a prefix.
QUALIFIED = {"sys.modules", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache", "sys._getframe",
             "sys.settrace", "sys.setprofile", "sys.exit", "sys.addaudithook", "sys.excepthook", "sys.displayhook",
             "sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__", "os.environ", "os.getenv", "os.putenv",
             "os.system", "os.popen", "os._exit", "os.kill", "os.killpg", "os.fork", "os.exec*", "os.spawn*",
             "os.posix_spawn*", "os.remove", "os.unlink", "os.rename", "os.replace", "os.rmdir", "os.removedirs",
             "os.mkdir", "os.makedirs", "os.listdir", "os.scandir", "os.walk", "os.chdir", "os.open", "os.symlink",
             "os.link", "os.chmod", "os.chown", "os.setsid", "os.abort"}
#: Attribute or method names that belong to frames, code objects and class internals.
DUNDERS = {"__subclasses__", "__globals__", "__builtins__", "__import__", "__code__", "__closure__", "__loader__",
           "__spec__", "__mro__", "__bases__", "__base__", "__dict__", "f_back", "f_globals", "f_locals", "f_builtins",
           "f_code", "tb_frame", "gi_frame", "cr_frame"}
#: Methods that change how an object compares or what NumPy does with it.
FAKE_COMPARISON = {"__eq__", "__ne__", "__bool__", "__array_ufunc__", "__array_function__", "__array_priority__",
                   "__array_finalize__", "__array_wrap__", "__instancecheck__", "__subclasscheck__"}
#: Bare calls.
CALLS = {"__import__", "exec", "eval", "compile", "open", "globals", "breakpoint", "setattr", "delattr", "vars"}
#: Words in string constants.
WORDS = ("bpkit", "gradebook", "nbgrader", "/proc/", "../", "sys.modules", "site-packages")
SAFE_MAGICS = {"time", "timeit", "matplotlib", "precision", "pprint"}
BUILTIN_NAMES = set(dir(builtins)) - {"_", "__doc__", "__name__", "__spec__", "__loader__", "__package__"}

# a cell that does not parse (a student's syntax error): the words alone
_FALLBACK = re.compile(r"\b(import\s+(reference|bpkit|importlib|builtins|ctypes|socket|gc|inspect|subprocess)|"
                       r"from\s+(reference|bpkit|importlib|builtins|ctypes|socket|gc|inspect|subprocess)|bpkit|"
                       r"sys\.modules|__import__|__builtins__|__subclasses__|__globals__|gradebook|os\.system|"
                       r"os\.environ|_getframe|f_back|exec\(|eval\(|open\()")


def _dotted(node, aliases: dict[str, str]) -> str | None:
    """``s.modules`` -> ``sys.modules`` when ``s`` is an imported module."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _qualified(name: str) -> str | None:
    """The QUALIFIED entry name falls under (``sys.meta_path.insert`` -> ``sys.meta_path``)."""
    for q in QUALIFIED:
        if name == q or name.startswith(q + "."):
            return q
        if q.endswith("*") and name.startswith(q[:-1]):
            return ".".join(name.split(".")[:2])
    return None


def _top(module: str | None) -> str:
    return (module or "").split(".")[0]


def _parse(source: str):
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # a real syntax error
        return None


def suspicious_code(source: str, limit: int = 100_000) -> list[str]:
    """The code patterns worth a look in one cell's source, in order of
    first appearance (each once), e.g. ``["import ctypes", "sys.modules"]``."""
    source = source[:limit]
    tree = _parse(source)
    if tree is None:
        return list(dict.fromkeys(m.group(0) for m in _FALLBACK.finditer(source)))
    aliases = {"np": "numpy"}
    modules = {"np", "numpy", "sys", "os"}  # names bound to modules by the notebook's own imports cell
    found: dict[str, int] = {}

    def hit(what: str, node) -> None:
        found.setdefault(what, getattr(node, "lineno", 0))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                aliases[bound] = alias.name if alias.asname else alias.name.split(".")[0]
                modules.add(bound)
                if _top(alias.name) in MODULES:
                    hit(f"import {alias.name}", node)
        elif isinstance(node, ast.ImportFrom):
            if _top(node.module) in MODULES or node.level:
                hit(f"from {'.' * node.level}{node.module or ''} import", node)
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if _qualified(name) or alias.name in DUNDERS:
                    hit(_qualified(name) or name, node)
                aliases[alias.asname or alias.name] = name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = _dotted(node, aliases)
            if name and _qualified(name):
                hit(_qualified(name), node)
            if node.attr in DUNDERS:
                hit(node.attr, node)
        elif isinstance(node, ast.Name) and node.id in DUNDERS:
            hit(node.id, node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in CALLS:
                hit(f"{node.func.id}()", node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
                node.func.value, ast.Call) and getattr(node.func.value.func, "id", None) == "get_ipython":
            # what IPython makes of `!command` and `%magic`
            if node.func.attr in ("run_line_magic", "run_cell_magic"):
                magic = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                if magic not in SAFE_MAGICS:
                    hit(f"%{magic}", node)
            else:
                hit(f"get_ipython().{node.func.attr}", node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in FAKE_COMPARISON:
            hit(f"def {node.name}", node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            word = next((w for w in WORDS if w in node.value), None)
            if word:
                hit(f"'{word}' in a string", node)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    # patching a module: np.allclose = ..., del np.testing.assert_allclose
                    if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                        base = sub.value
                        while isinstance(base, ast.Attribute):
                            base = base.value
                        if isinstance(base, ast.Name) and base.id in modules:
                            hit(f"assigns {_dotted(sub, aliases)}", node)
    # module-level rebinding of a builtin or of an imported module's name (np = ..., abs = ...)
    for node in tree.body:
        names = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        for name in names:
            if name in BUILTIN_NAMES or name in {"np", "numpy"}:
                hit(f"rebinds {name}", node)
    return [what for what, _ in sorted(found.items(), key=lambda item: item[1])]


def suspicious_cells(nb) -> list[tuple[str, str]]:
    """(solution cell id, evidence) for each solution cell of a notebook
    whose code reaches for something an answer to these exercises never
    needs (bpkit.integrity.suspicious_code): a pattern worth a look, not
    proof.  The judge, not these patterns, decides scores."""
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if is_solution(cell) and cell.cell_type == "code":
            patterns = suspicious_code(cell.source)
            if patterns:
                shown = ", ".join(f"`{p}`" for p in patterns[:6]) + (" …" if len(patterns) > 6 else "")
                found.append((meta.get("grade_id", ""), f"code pattern worth a look (not proof): {shown}"))
    return found
