"""The machinery every check uses: calling student code quietly, comparing an
answer with the reference, and naming the mistake when they differ.

A check raises :class:`CheckFailure` (an ``AssertionError``) whose message has
one English and one Japanese paragraph.  It never prints and returns ``None``,
so nbgrader's grade cell gets either full points or zero, never "partial
credit" from a stray return value.

Tolerances
----------
Answers are compared with the reference in float64 with ``rtol=1e-6`` and
``atol=1e-9``: a loop, ``np.einsum`` or a different summation order changes a
result by a few ulps (~1e-15 relative), so these bounds accept every correct
way of computing the same formula while rejecting any real mistake (the
smallest mistake we know of changes a value by more than 1e-4).  Where a
correct alternative formula differs by more (``np.clip(y, 1e-7, None)`` versus
``y + 1e-7``), the check lists it as an accepted alternative instead of
loosening the tolerance.
"""
from __future__ import annotations

import base64
import contextlib
import contextvars
import functools
import hashlib
import io
import re
import warnings
import zlib
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

import numpy as np

from reference.gradient import numerical_gradient as reference_numerical_gradient

__all__ = [
    "CheckFailure",
    "Mistake",
    "What",
    "any_value",
    "ja_of",
    "fail",
    "fail_all",
    "note",
    "collecting_notes",
    "hard_coded",
    "finite_differences",
    "huge",
    "Variant",
    "split_variants",
    "quietly",
    "call",
    "guarded",
    "callback_refusal",
    "CALLBACK_REFUSED",
    "InOut",
    "inout_arrays",
    "simulate",
    "expect_a_return",
    "Raised",
    "outcome",
    "raised_case",
    "replaying_answers",
    "hidden_input",
    "gives",
    "rng_for",
    "seeded",
    "expect_close",
    "is_right",
    "one_number",
    "all_cases",
    "over_all_cases",
    "expect_unchanged",
    "central_difference",
    "relative_error",
    "self_consistency",
    "DATA_PREFIX",
    "encode_arrays",
    "decode_arrays",
    "RTOL",
    "ATOL",
]

RTOL = 1e-6
ATOL = 1e-9


from bpkit.judging.wire import CheckFailure  # noqa: E402 -- one class for the kit, raised on both sides of the judge


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: what the output would be if the student made it.

    - key: stable identifier, e.g. ``"affine.dW_transposed"`` (used by reports).
    - en, ja: one kind sentence each naming the mistake and the fix.
    - value: the output that mistake produces on the same inputs (or a
      callable taking the student's output and returning True if it matches).
    """

    key: str
    en: str
    ja: str
    value: Any
    also: tuple = ()  # the other Mistakes of a combination: named together with this one

    @property
    def keys(self) -> tuple[str, ...]:
        """This mistake's key and those of the mistakes it comes with."""
        return (self.key, *(m.key for m in self.also))

    @property
    def parts(self) -> tuple["Mistake", ...]:
        """The single mistakes of a combination, in the order they are named."""
        return (self, *self.also)


class What(str):
    """A case description, e.g. "softmax(x) for x of shape (2, 3)", with its
    Japanese rendering in .ja ("形状 (2, 3) の x に対する softmax(x)"): every
    message quotes the case in both languages, and a Japanese line is whole
    Japanese.  It is a str, so code that only knows English still works."""

    ja: str

    def __new__(cls, en: str, ja: str):
        obj = super().__new__(cls, en)
        obj.ja = ja
        return obj


def ja_of(what: str) -> str:
    """The Japanese rendering of a case description (a What), or the text
    itself (a bare name such as "softmax" or "Relu.backward(dout)" is code,
    the same in both languages)."""
    return getattr(what, "ja", None) or str(what)


def hard_coded(*examples) -> Mistake:
    """The answer equals one of the notebook's worked examples, whatever the
    input was: the function returns the expected number instead of computing it."""
    def matches(got):
        return any(np.shape(got) == np.shape(e) and np.allclose(got, e, rtol=1e-6) for e in examples)
    return Mistake(
        "hard_coded",
        "The result is the worked example's value, but these inputs were different: compute the answer "
        "from the arguments instead of returning a fixed number.",
        "結果が例題の値と同じですが、今回の入力は例題とは違います。決まった値を返すのではなく、引数から計算してください。",
        matches)


def finite_differences(what: str, formula: str, value: Any) -> Mistake:
    """A backward pass computed by finite differences (numerical_gradient of
    the forward pass) instead of backpropagation.  value: what finite
    differences give on a case where they cannot reach the tolerance (a step
    of h = 1e-4 is lost to floating point there: zeros, or multiples of a
    coarse step), and, on the ordinary cases, the right answer (they agree
    there), so an answer wrong elsewhere is never taken for this mistake."""
    return Mistake(
        "finite_differences",
        f"{what} is computed by finite differences (numerical_gradient of the forward pass), not by "
        f"backpropagation: on inputs where a step of h = 1e-4 is lost to floating point, it gives what finite "
        f"differences give there, not the gradient {formula} gives exactly. This chapter grades backprop: "
        f"compute {what} with its formula, {formula}, and keep numerical_gradient to check it.",
        f"{what} が誤差逆伝播ではなく数値微分（順伝播の numerical_gradient）で計算されています。h = 1e-4 のずらしが"
        f"浮動小数点では消えてしまう入力では、{ja_of(formula)} が与える正確な勾配ではなく、数値微分の値になります。"
        f"この章で採点するのは誤差逆伝播です。{what} は {ja_of(formula)} で計算し、numerical_gradient は確認に"
        "使ってください。",
        value)


def huge(rng: np.random.Generator, shape) -> np.ndarray:
    """Random values of either sign with magnitudes in [2**45, 2**46): there
    x + 1e-4 == x in float64 (the spacing of doubles is 2**-7), so finite
    differences with h = 1e-4 see no change at all, while a formula that
    does not depend on x (dout @ W.T, dout * y, the ReLU mask) is exact."""
    return rng.choice([-1.0, 1.0], size=shape) * 2.0 ** 45 * (1.0 + rng.random(size=shape))


@dataclass(frozen=True)
class Variant:
    """One way a student's code may compute an answer: its value on the
    case's inputs (None where that way raises) and the keys of the known
    mistakes it makes (an empty set: a correct way).

    Mistakes compose: one function may make several at once (a mean over
    N*C *and* no 1e-7), and each grade cell grades only its own.  A check
    lists every combination it knows, and split_variants() turns them into
    what that cell accepts and what it names, so no draw of the inputs can
    decide whether a mistake graded elsewhere costs points here."""

    value: Any
    keys: frozenset = frozenset()


def _any_value(values: list) -> Any:
    """A Mistake model (or an alternative) matching any of `values`, or None
    if there is none (that model predicts nothing for this input)."""
    arrays = [np.asarray(v, dtype=np.float64) for v in values if v is not None]
    arrays = [a for a in arrays if np.all(np.isfinite(a))]
    if not arrays:
        return None
    if all(a.shape == () for a in arrays):
        stacked = np.array(arrays)
        return lambda got: got.shape == () and bool(np.any(np.isclose(got, stacked, rtol=RTOL, atol=ATOL)))
    return lambda got: any(got.shape == a.shape and np.allclose(got, a, rtol=RTOL, atol=ATOL) for a in arrays)


any_value = _any_value


def split_variants(variants: Iterable[Variant], owned: Iterable[Mistake]) -> tuple[list, list[Mistake]]:
    """(alternatives, mistakes) for expect_close, from every known way of
    computing one answer.

    - owned: the mistakes this cell grades (their key, en, ja; the value is
      ignored), in the order they are named.
    - alternatives: [a model matching every variant that makes none of the
      owned mistakes] -- correct, or wrong only in ways graded in another cell.
    - mistakes: for each set of owned mistakes some variant makes (alone, or
      together: a combination), a Mistake whose model matches every variant
      making exactly those owned mistakes (and any graded elsewhere); a
      combination is one Mistake with the others in .also, so the verdict
      names all of them (see _verdict)."""
    variants = list(variants)
    owned = list(owned)
    order = {m.key: i for i, m in enumerate(owned)}
    allowed = _any_value([v.value for v in variants if not v.keys & order.keys()])
    groups: dict[frozenset, list] = {}
    for v in variants:
        mine = frozenset(v.keys & order.keys())
        if mine:
            groups.setdefault(mine, []).append(v.value)
    mistakes = []
    for mine in sorted(groups, key=lambda g: (len(g), sorted(order[k] for k in g))):
        parts = sorted((m for m in owned if m.key in mine), key=lambda m: order[m.key])
        mistakes.append(replace(parts[0], value=_any_value(groups[mine]), also=tuple(parts[1:])))
    return ([allowed] if allowed is not None else []), mistakes


def fail(en: str, ja: str, detail: str = "", key: str = "") -> None:
    """Raise a CheckFailure with an English and a Japanese explanation.

    key: a short stable name for the kind of failure, shown as ``[key]`` on
    its own line so reports can count failures by kind.
    """
    message = f"{en}\n{ja}"
    if key:
        message += f"\n[{key}]"
    if detail:
        message += f"\n{detail}"
    raise CheckFailure(message)


def fail_all(mistakes: Iterable[Mistake], detail: str = "") -> None:
    """Raise one CheckFailure naming several mistakes at once: each one's
    English and Japanese line, in order, then one [key] line per mistake
    (the first is the one reports count), then the detail."""
    mistakes = list(mistakes)
    lines = [line for m in mistakes for line in (m.en, m.ja)] + [f"[{m.key}]" for m in mistakes]
    raise CheckFailure("\n".join(lines + ([detail] if detail else [])))


_NOTES: contextvars.ContextVar[list | None] = contextvars.ContextVar("bpkit_notes", default=None)
_REPLAY: contextvars.ContextVar[dict | None] = contextvars.ContextVar("bpkit_replay", default=None)


@contextlib.contextmanager
def replaying_answers(answers: list):
    """For tests of the messages: each answer expect_close() compares that
    is what the student's function just returned is computed again, by
    calling the function on fresh copies of the same arguments, and
    answers gets (what, right): whether that new answer is the expected
    one (None where the answer was not a call's own return, e.g. one entry
    of a dict).  A message saying "It is right for <what>" can then be
    checked against the student's code itself."""
    token = _REPLAY.set({"last": None, "answers": answers})
    try:
        yield answers
    finally:
        _REPLAY.reset(token)


def note(text: str) -> None:
    """Tell the student something that costs no points.

    Printed in the grade cell's output (stdout never affects the score); a
    judge collects it with collecting_notes() and sends it to the cell.
    """
    notes = _NOTES.get()
    if notes is None:
        print(text)
    else:
        notes.append(text)


@contextlib.contextmanager
def collecting_notes(notes: list):
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


@contextlib.contextmanager
def quietly():
    """Silence NumPy floating-point warnings while student code runs.

    nbgrader gives zero points to a grade cell with *any* stderr output, so the
    book's correct ``1 / (1 + np.exp(-x))`` would lose points for its harmless
    overflow warning at x = -1000.  Values are judged, not warnings.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@dataclass(frozen=True)
class InOut:
    """An array (or a dict of arrays) argument the student's code may change
    in place *and* the check looks at afterwards (numerical_gradient perturbs
    x in place; "does it leave its input alone?"; an optimizer's
    ``update(params, grads)`` changes ``params``).  Every other array or dict
    argument of :func:`call` is passed as a fresh copy, so no expected value
    can ever depend on what the student's code does to its inputs.  Through
    the judge, the changes come back as they would in-process: arrays in
    place, a dict's entries changed in place, rebound or deleted
    (bpkit.judging.wire)."""

    array: np.ndarray | dict


_INOUT: contextvars.ContextVar[tuple] = contextvars.ContextVar("bpkit_inout", default=())


def inout_arrays() -> tuple:
    """The arrays and dicts the current call() passes as InOut (the judge
    mirrors the sandbox's in-place changes into these, and into nothing else)."""
    return _INOUT.get()


def _copied(value):
    """An argument as call() passes it: arrays copied, dicts copied with
    their arrays (one level), anything else as it is."""
    if isinstance(value, np.ndarray):
        return np.copy(value)
    if type(value) is dict:
        return {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in value.items()}
    return value


def call(what: str, fn: Callable, *args, hints: dict | None = None, **kwargs):
    """Call student code; turn an exception into a clear CheckFailure.

    Array and dict arguments are copied (wrap one in InOut to share it on
    purpose); what crosses to a sandboxed student is listed in
    bpkit.judging.wire (numbers, strings, arrays, tuples, lists, dicts).
    - fn: a function, or (object, "method name") for a method the student's
      class may not have defined.
    - hints: maps an exception type to a Mistake whose message explains the
      usual cause of that exception here (e.g. IndexError on 1-D input), or
      to a function of the exception returning such a Mistake or None.
    """
    shared = tuple(a.array for a in args if isinstance(a, InOut))
    args = tuple(a.array if isinstance(a, InOut) else _copied(a) for a in args)
    token = _INOUT.set(shared)
    replay = _REPLAY.get()
    try:
        if isinstance(fn, tuple):
            fn = _method(what, *fn)
        if replay is not None:
            replay["last"] = (fn, tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args), kwargs, None)
        with quietly():
            result = fn(*args, **kwargs)
        if replay is not None:
            replay["last"] = replay["last"][:3] + (result,)
        return result
    except NotImplementedError:
        # The Japanese sentence names only the function ("softmax", "Relu.forward"),
        # not `what`'s English description of the inputs.
        name = (what.split("(")[0].split() or [what])[0]
        called = str(what).split(" for ")[0]  # "TwoLayerNet.accuracy(x, t)", not the case's shapes
        fail(f"{called} is not implemented yet: replace `raise NotImplementedError` with your code.",
             f"{name} がまだ実装されていません。`raise NotImplementedError` をあなたのコードに置き換えてください。",
             key="not_implemented")
    except CheckFailure:
        raise
    except Exception as exc:  # any student bug becomes a named failure
        for exc_type, mistake in (hints or {}).items():
            if isinstance(exc, exc_type) and not isinstance(mistake, Mistake):
                mistake = mistake(exc)  # a hint that decides from the exception itself
            if isinstance(exc, exc_type) and mistake is not None:
                fail(mistake.en, mistake.ja, f"{type(exc).__name__}: {exc}" + _raised_where(exc, args)[0],
                     key=mistake.key)
        where_en, where_ja = _raised_where(exc, args)
        ja = ja_of(what)
        builtin = _builtin_on_array(exc)
        if builtin:
            name, line = builtin
            better = "np.maximum(0, x)" if name == "max" and re.search(r"\bmax\(\s*0\s*,", line) else (
                f"np.{name}(x, axis=-1, keepdims=True)" if name in ("max", "min") else f"np.{name}(x)")
            fail(f"{what} uses Python's built-in {name}() on an array at `{line}`: it compares whole arrays (or rows) "
                 f"with each other, which NumPy refuses (\"the truth value of an array ... is ambiguous\"). Use "
                 f"NumPy's, e.g. {better}.",
                 f"{ja} が `{line}` で Python の組み込み関数 {name}() を配列に使っています。配列（や行）どうしを比べることに"
                 f"なり、NumPy はそれを受け付けません（\"the truth value of an array ... is ambiguous\"）。{better} のように"
                 " NumPy の関数を使ってください。",
                 f"{type(exc).__name__}: {exc}", key="builtin_on_array")
        typo = _typo(exc)
        if typo:
            typed, meant = typo
            fail(f"{what} uses `{typed}`, which NumPy does not have{where_en}: did you mean "
                 f"{' or '.join(f'`{m}`' for m in meant)}?",
                 f"{ja} が NumPy にない `{typed}` を使っています{where_ja}。"
                 f"{'、'.join(f'`{m}`' for m in meant)} のつもりではありませんか？",
                 f"{type(exc).__name__}: {exc}", key="attribute_typo")
        fail(f"{what} raised {type(exc).__name__}{where_en}: {exc}",
             f"{ja} の実行中に {type(exc).__name__} が発生しました{where_ja}: {exc}", key="raised")
    finally:
        _INOUT.reset(token)


#: Start of the message a check's own function (f) raises when the student's
#: code calls it with something other than x: the same in the judge and here.
CALLBACK_REFUSED = "this function takes one real array of x's shape"


def callback_refusal(shapes, got: str) -> str:
    return f"{CALLBACK_REFUSED} {' or '.join(str(tuple(s)) for s in shapes)}, not {got}"


def guarded(f: Callable, shape: tuple) -> Callable:
    """f refusing anything but a real array of x's shape, in-process exactly
    as the judge refuses it (bpkit.judging.judge), so both grade the same way."""
    def g(x, *rest):
        if rest or not isinstance(x, np.ndarray) or x.shape != tuple(shape) or x.dtype.kind not in "biuf":
            described = (f"an array of shape {x.shape} and dtype {x.dtype}" if isinstance(x, np.ndarray)
                         else "something else")
            raise TypeError(callback_refusal([shape], described))
        return f(x)
    return g


_BUILTIN_CALL = re.compile(r"(?<![\w.])(max|min|sum)\s*\(")


def _builtin_on_array(exc: BaseException) -> tuple[str, str] | None:
    """(name, line) when the student's line calls Python's built-in max, min
    or sum and NumPy refused the truth value of an array: the evidence is
    the exception and the line it came from, never a guess."""
    from bpkit.judging.wire import student_line

    if "ValueError" not in [c.__name__ for c in type(exc).__mro__] or "truth value of an array" not in str(exc):
        return None
    line = getattr(exc, "student_line", None) or student_line(exc)
    found = _BUILTIN_CALL.search(line or "")
    return (found.group(1), line) if found else None


def _edits(a: str, b: str) -> int:
    """The Damerau-Levenshtein distance of two short names (insert, delete,
    replace, swap two neighbours), capped at 3."""
    if abs(len(a) - len(b)) > 2:
        return 3
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return min(d[-1][-1], 3)


_TYPO = re.compile(r"(module '(numpy(?:\.\w+)?)'|'numpy\.ndarray' object) has no attribute '(\w+)'")


def _typo(exc: BaseException) -> tuple[str, list[str]] | None:
    """(typed, [meant, ...]) for an AttributeError on NumPy, one of its
    modules (np.random, np.linalg) or an array whose name is one clear edit
    away from a real one: np.arrange, np.lof, np.exps, y.nidm; at most two
    names meant (np.sun: `np.sum` or `np.sin`); None if unsure."""
    import difflib
    import importlib

    found = _TYPO.search(str(exc))
    if not found or "AttributeError" not in [c.__name__ for c in type(exc).__mro__]:
        return None
    typed = found.group(3)
    if found.group(2):
        try:
            owner = importlib.import_module(found.group(2))
        except ImportError:
            return None
        prefix = found.group(2).replace("numpy", "np") + "."
    else:
        owner, prefix = np.ndarray, "."
    names = [n for n in dir(owner) if not n.startswith("_")]
    scored = sorted(((difflib.SequenceMatcher(None, typed, n).ratio(), n) for n in names), reverse=True)
    if scored and scored[0][0] >= 0.75 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.1):
        return typed, [prefix + scored[0][1]]
    if len(typed) < 3:
        return None
    # short names: one edit away (np.lof -> np.log), preferring what can be called
    close = [n for n in names if _edits(typed.lower(), n.lower()) == 1]
    callables = [n for n in close if callable(getattr(owner, n, None))]
    close = callables or close
    if 1 <= len(close) <= 2:
        return typed, [prefix + n for n in sorted(close)]
    return None


def _raised_where(exc: BaseException, args: tuple) -> tuple[str, str]:
    """ " at `line` when given arrays of shape ...", in English and Japanese:
    the line of the student's code that raised (sent by the sandbox, or read
    from the traceback here) and the shapes of the arrays it was given."""
    from bpkit.judging.wire import student_line

    line = getattr(exc, "student_line", None) or student_line(exc)
    shapes = ", ".join(str(a.shape) for a in args if isinstance(a, np.ndarray))
    en = (f" at `{line}`" if line else "") + (f" when given arrays of shape {shapes}" if shapes else "")
    ja = (f"（`{line}` の行" if line else "（") + (f"、形状 {shapes} の配列を渡したとき）" if shapes else "）")
    return en, ("" if ja == "（）" else ja.replace("（、", "（"))


def _method(what: str, obj, name: str):
    import difflib

    try:
        return getattr(obj, name)
    except AttributeError:
        owner = what.split(".")[0].split("(")[0]
        try:
            close = difflib.get_close_matches(name, [n for n in dir(obj) if n != name], n=1, cutoff=0.75)
        except Exception:  # noqa: BLE001 -- a hint only
            close = []
        if close:
            fail(f"{owner} has no method {name}, but it has `{close[0]}`: a typo? Name it `{name}`.",
                 f"{owner} にメソッド {name} がありませんが、`{close[0]}` があります。綴りの誤りでは？ "
                 f"`{name}` という名前にしてください。", key="method_name_typo")
        fail(f"{owner} has no method {name}: define `def {name}(self, ...)` in the class.",
             f"{owner} にメソッド {name} がありません。クラスの中で `def {name}(self, ...)` を定義してください。",
             key="missing_method")


def gives(fn: Callable, args: tuple, expected: Any, *, scalar: bool = False,
          rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Does the student's `fn` give `expected` for `args`?  The second call
    that confirms a mistake before it is named (e.g. right for the same
    scores as a batch of one, right with the arguments swapped); any error,
    any other shape or type is a plain no."""
    try:
        got = call("", fn, *args)
        if scalar:
            return bool(np.isclose(one_number(got), float(expected), rtol=rtol, atol=atol))
        got = np.asarray(got, dtype=np.float64)
        return got.shape == np.shape(expected) and bool(np.allclose(got, expected, rtol=rtol, atol=atol))
    except (CheckFailure, TypeError, ValueError):
        return False


def expect_a_return(what: str, got: Any, fn: Callable, tries: Iterable[tuple[str, tuple]]) -> None:
    """When the student's function returned None for this input but returns
    a value for another one (tries: (description, arguments), e.g. the same
    scores as a batch of one), its return is reached only on some paths --
    usually a `return` indented inside an `if`: say so, with both inputs."""
    if got is not None:
        return
    for other, args in tries:
        try:
            value = call("", fn, *args)
        except CheckFailure:
            continue
        if value is not None:
            fail(f"{what} returned None, but for {other} it returns a value: its `return` is reached only on some "
                 "paths (is it indented inside an `if`?). Dedent it, or add the missing branch, so every input "
                 "reaches a return.",
                 f"{ja_of(what)} が None を返しましたが、{ja_of(other)}では値を返します。`return` に届くのが一部の場合"
                 "だけです（`if` の中に字下げされていませんか？）。字下げを戻すか足りない分岐を書いて、どの入力でも return "
                 "に届くようにしてください。",
                 key="return_in_branch")


def simulate(fn: Callable, *args):
    """The output of a known-wrong implementation on copies of the inputs,
    or None where that implementation would itself fail."""
    try:
        with quietly():
            return fn(*(np.copy(a) for a in args))
    except Exception:
        return None


_SALT: contextvars.ContextVar[bytes] = contextvars.ContextVar("bpkit_salt", default=b"")


@contextlib.contextmanager
def seeded(salt: bytes):
    """Hidden inputs drawn inside this block depend on `salt` (the judge
    passes a secret of the course mixed with the student's id), so they
    differ per course and per student and cannot be computed from the
    public source; the same salt gives the same inputs at every regrade."""
    token = _SALT.set(bytes(salt))
    try:
        yield
    finally:
        _SALT.reset(token)


def rng_for(name: str) -> np.random.Generator:
    """A generator for the check's hidden inputs: seeded by the check's name
    and the salt in force (see seeded()); without a salt (an instructor
    validating source/ in-process) by the name alone."""
    salt = _SALT.get()
    if not salt:
        return np.random.default_rng(zlib.crc32(name.encode()))
    digest = hashlib.sha256(salt + b"\0" + name.encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def one_number(got: Any) -> float:
    """got as a float: a Python or NumPy number, a 0-d array, or an array
    holding one number (NumPy 2 refuses float() of shape (1,); whether a
    loss may be such an array is for the cell that grades it to say).
    TypeError or ValueError for anything else."""
    if isinstance(got, np.ndarray) and got.size == 1 and got.ndim > 0:
        if got.dtype.kind not in "biuf":
            raise TypeError(f"an array of dtype {got.dtype}")
        got = got.reshape(())
    return float(got)


def _as_float_array(what: str, got: Any, scalar: bool) -> np.ndarray:
    ja = ja_of(what)
    if got is None:
        fail(f"{what} returned None: did you forget `return`?",
             f"{ja} が None を返しました。`return` を書き忘れていませんか？", key="returned_none")
    if scalar:
        try:
            value = one_number(got)
        except (TypeError, ValueError):
            fail(f"{what} should be a single number, but it is {_describe(got)}.",
                 f"{ja} は 1 つの数（スカラー）であるべきですが、{_describe(got, ja=True)}でした。", key="wrong_type")
        return np.asarray(value, dtype=np.float64)
    if not isinstance(got, (np.ndarray, np.generic, float, int)):
        fail(f"{what} should be a NumPy array, but it is {_describe(got)}.",
             f"{ja} は NumPy 配列であるべきですが、{_describe(got, ja=True)}でした。", key="wrong_type")
    if isinstance(got, (np.ndarray, np.generic)) and got.dtype.kind not in "iuf":
        fail(f"{what} should hold real numbers, but it is {_describe(got)}.",
             f"{ja} は実数の配列であるべきですが、{_describe(got, ja=True)}でした。", key="wrong_type")
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        fail(f"{what} should hold numbers, but it is {_describe(got)}.",
             f"{ja} は数値の配列であるべきですが、{_describe(got, ja=True)}でした。", key="wrong_type")


def _describe(x: Any, ja: bool = False) -> str:
    if isinstance(x, np.ndarray):
        return (f"形状 {x.shape}、dtype {x.dtype} の配列" if ja else
                f"an array of shape {x.shape} and dtype {x.dtype}")
    # an object living in the student's sandbox (bpkit.judging.judge.Remote) knows its type's name
    name = getattr(x, 'remote_type', None) or type(x).__name__
    return f"{name} 型の値" if ja else f"a {name}"


def _matches(got: np.ndarray, value: Any) -> bool:
    if value is None:
        return False
    if callable(value):
        return bool(value(got))
    value = np.asarray(value, dtype=np.float64)
    return got.shape == value.shape and bool(
        np.allclose(got, value, rtol=RTOL, atol=ATOL, equal_nan=False))


DATA_PREFIX = "[data] "


def encode_arrays(got: np.ndarray, expected: np.ndarray) -> str:
    """One line carrying both arrays (float64 .npz, base64) for the feedback
    page's heatmap; empty for arrays too large to be worth drawing."""
    if got.size > 400 or got.shape != expected.shape or got.ndim > 3:
        return ""
    buffer = io.BytesIO()
    np.savez(buffer, got=got, expected=expected)
    return DATA_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


#: Caps for decode_arrays: the line reaches the feedback from a (student-run)
#: notebook, so it is sized before it is decoded.  The largest honest line
#: (two 400-element float64 arrays) is about 9 000 characters.
MAX_DATA_LINE = 64_000
MAX_DATA_MEMBER = 16_000  # uncompressed bytes of one .npy inside the .npz
MAX_DATA_ELEMENTS = 400


def decode_arrays(line: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Inverse of encode_arrays (never unpickles).  None for anything else:
    a line longer than MAX_DATA_LINE (refused before base64 sees it), not
    exactly the members got and expected, a member larger than
    MAX_DATA_MEMBER uncompressed, arrays that are not real numbers of at
    most MAX_DATA_ELEMENTS elements of one shape, or data that does not decode."""
    if not isinstance(line, str) or not line.startswith(DATA_PREFIX) or len(line) > MAX_DATA_LINE:
        return None
    try:
        raw = base64.b64decode(line[len(DATA_PREFIX):], validate=True)
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            members = data.zip.infolist()
            if sorted(data.files) != ["expected", "got"] or len(members) != 2 or any(
                    m.file_size > MAX_DATA_MEMBER for m in members):
                return None  # zipfile never inflates past the declared size
            got, expected = data["got"], data["expected"]
    except Exception:  # not base64, not an .npz, pickled objects, ...
        return None
    if not all(isinstance(a, np.ndarray) and a.size <= MAX_DATA_ELEMENTS and a.dtype.kind in "biuf"
               for a in (got, expected)) or got.shape != expected.shape or got.ndim > 3:
        return None
    return got, expected


def hidden_input(what: str, shape: tuple) -> str:
    """The line saying which input a detail comes from: the check's own
    (hidden) input, never the example the student sees in the cell, with the
    answer's shape, in both languages."""
    answer = ("the answer is one number" if tuple(shape) == () else f"the answer has shape {tuple(shape)}")
    answer_ja = ("答えは 1 つの数" if tuple(shape) == () else f"答えの形状は {tuple(shape)}")
    return (f"On a hidden test input, not the example in the cell: {what}; {answer}.\n"
            f"セルの例ではなく隠しテストの入力での結果です：{ja_of(what)}（{answer_ja}）。")


def _summary(case: "_Case") -> str:
    got, expected = case.got, case.expected
    with np.printoptions(precision=5, threshold=8, edgeitems=2, suppress=True):
        text = f"expected / 期待値: {expected!r}\ngot / 結果:       {got!r}"
    text = hidden_input(case.what, expected.shape) + "\n" + text
    data = encode_arrays(got, expected)
    return f"{text}\n{data}" if data else text


@dataclass
class _Case:
    """One answer a check compared (or one call that raised), kept until the
    cell's verdict."""

    what: str
    got: np.ndarray | None
    expected: np.ndarray | None
    ok: bool  # accepted: right, a correct alternative, or wrong only in a way graded elsewhere
    exact: bool  # the expected answer itself (only these are ever called "right")
    explanations: list  # [(Mistake, matched)]: matched True/False, or None where it predicts nothing here
    witness: str  # what the numerical gradient of the student's own forward shows, if asked
    where: Any
    raised: CheckFailure | None = None  # the failure call() made of the student's exception


_CASES: contextvars.ContextVar[list | None] = contextvars.ContextVar("bpkit_cases", default=None)


@contextlib.contextmanager
def all_cases():
    """Compare every answer of a grade cell before saying what is wrong.

    Inside this block expect_close() only records; at the end the mistakes
    that explain every failing input are named (see _verdict), and
    otherwise what differs is described (bpkit.checks.describe), including
    which inputs were exactly right.  An exception from the student's code
    still fails at once, unless the check records it with raised_case().
    """
    cases: list[_Case] = []
    token = _CASES.set(cases)
    try:
        yield cases
    finally:
        _CASES.reset(token)
    _verdict(cases)


def over_all_cases(check: Callable) -> Callable:
    """Decorate a check_* function: its whole body runs in all_cases()."""
    @functools.wraps(check)
    def judged(student) -> None:
        with all_cases():
            check(student)
    return judged


def is_right(got: Any, expected: Any, scalar: bool = False) -> bool:
    """Would expect_close accept `got` as `expected` itself?  (A check may
    skip building the models of mistakes for an answer that is right.)"""
    try:
        value = np.asarray(one_number(got) if scalar else got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if isinstance(got, np.ndarray) and got.dtype.kind not in "biuf":
        return False
    return _matches(value, np.asarray(expected, dtype=np.float64))


def _record(case: _Case) -> None:
    cases = _CASES.get()
    if cases is None:
        _verdict([case])
    else:
        cases.append(case)


def expect_close(what: str, got: Any, expected: Any, *,
                 mistakes: Iterable[Mistake] = (),
                 alternatives: Iterable[Any] = (),
                 excused: Iterable[Mistake] = (),
                 scalar: bool = False,
                 gradient_check: Callable[[np.ndarray], str] | None = None,
                 where: Any = None) -> None:
    """Check type, shape, finiteness and value of a student's answer.

    - what: how the student sees the value, e.g. "affine.backward(dout)"
      (a What, to say it in Japanese too).
    - expected: the reference answer (array or scalar, float64).
    - mistakes: known wrong variants; a Mistake with .also is a combination
      of several.  Those explaining every failing input of the cell are
      named (see _verdict).
    - alternatives: other answers a correct solution may give.
    - excused: mistakes that cost points in another grade cell; an answer
      showing one of them passes here, so one mistake is paid for once.
    - scalar: the answer must be a single number (Python float, NumPy scalar
      or 0-d array all qualify).
    - gradient_check: for a backward pass, a function of the answer that
      compares it with the numerical gradient of the student's own forward
      pass and says what that shows (used when no known mistake matches).
    - where: an input of the answer's shape (e.g. ReLU's x), so a
      description can say "wrong only where x <= 0".
    """
    expected = np.asarray(expected, dtype=np.float64)
    if isinstance(got, np.ndarray) and got.size > 16 * expected.size + 64:  # before any conversion
        fail(f"{what} has shape {got.shape}, but shape {expected.shape} was expected.",
             f"{ja_of(what)} の形状が {got.shape} ですが、{expected.shape} であるべきです。", key="wrong_shape")
    if isinstance(got, list) and not scalar:
        _right_values_in_a_list(what, got, expected)
    raw = got
    got = _as_float_array(what, got, scalar)
    mistakes = list(mistakes)
    _replay_answer(what, raw, expected, scalar)
    exact = got.shape == expected.shape and _matches(got, expected)
    ok = exact or got.shape == expected.shape and (
        any(_matches(got, alt) for alt in alternatives) or any(_matches(got, m.value) for m in excused))
    explanations = [] if ok else [(m, None if m.value is None else _matches(got, m.value)) for m in mistakes]
    # measured now: the check's loop variables the function reads change with the next input
    witness = gradient_check(got) if gradient_check is not None and not ok and got.shape == expected.shape else ""
    _record(_Case(what, got, expected, ok, exact, explanations, witness, where))


def _replay_answer(what: str, got: Any, expected: np.ndarray, scalar: bool) -> None:
    """See replaying_answers (tests only: nothing happens while grading)."""
    replay = _REPLAY.get()
    if replay is None:
        return
    last = replay["last"]
    pick = None if last is None else _where(got, last)
    if pick is None:
        replay["answers"].append((str(what), None))
        return
    fn, args, kwargs, _ = last
    try:
        with quietly():
            again = pick(fn(*(np.copy(a) if isinstance(a, np.ndarray) else a for a in args), **kwargs))
        right = is_right(again, expected, scalar=scalar)
    except Exception:  # noqa: BLE001 -- raising again is not being right
        right = False
    replay["answers"].append((str(what), right))


def _where(got: Any, last: tuple) -> Callable | None:
    """How to find `got` again after calling the last call's function: its
    return value, an entry of the dict it returned (grads['W1']), or an
    attribute of the object whose method it is (layer.dW); None if unknown."""
    fn, _, _, result = last
    if result is got:
        return lambda again: again
    if isinstance(result, dict):
        for key, value in result.items():
            if value is got:
                return lambda again: again[key]
    owner = getattr(fn, "__self__", None)
    for name, value in (vars(owner).items() if hasattr(owner, "__dict__") else ()):
        if value is got:
            return lambda again: getattr(owner, name)
    return None


def _right_values_in_a_list(what: str, got: list, expected: np.ndarray) -> None:
    """A Python list holding the right numbers: say so (the values are right,
    the type is not), rather than only "should be a NumPy array"."""
    try:
        values = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if values.shape == expected.shape and _matches(values, expected):
        fail(f"{what} returns a Python list holding the right values: return a NumPy array (np.array(...), or "
             "compute on the whole array at once), so that .shape, .T and the next layer work on it.",
             f"{ja_of(what)} が正しい値の入った Python のリストを返しています。NumPy 配列を返してください"
             "（np.array(...) で変換するか、配列全体をまとめて計算します）。次のレイヤや .shape、.T が使えるようにするためです。",
             key="returns_list")


class Raised:
    """The student's call raised: the failure call() made of it, and the
    exception as (type name, message)."""

    def __init__(self, failure: CheckFailure, exc: tuple):
        self.failure, self.exc = failure, exc


def outcome(what: str, fn: Callable, *args):
    """call(what, fn, *args), or a Raised when the student's code raised an
    ordinary exception (not a typo or another mistake call() names itself),
    for raised_case() to weigh against the models of mistakes."""
    seen = {}

    def remember(exc):
        seen["exc"] = (type(exc).__name__, str(exc))
        return None

    try:
        return call(what, fn, *args, hints={Exception: remember})
    except CheckFailure as failure:
        if "[raised]" not in str(failure).splitlines() or "exc" not in seen:
            raise
        return Raised(failure, seen["exc"])


def raised_case(what: str, failure: CheckFailure, exc: tuple[str, str], mistakes: Iterable[Mistake],
                excused: Iterable[tuple[str, str]] = ()) -> None:
    """Record that the student's code raised on one input (failure: what
    call() made of it; exc: its (type name, message)).  A mistake's value
    here is the exception its model raises on the same input -- a (type
    name, message), a set of them, a function of the (type name, message)
    saying whether it is one, or None where it predicts nothing -- or
    _NEVER where the model gives a value (so this input rules it out).
    excused: the exceptions the models of mistakes graded in other cells
    raise here; the student's being one of them passes this input.
    Outside all_cases() the failure is raised at once."""
    if exc in set(excused):
        _record(_Case(what, None, None, True, False, [], "", None))
        return
    explanations = []
    for m in mistakes:
        if m.value is None:
            explanations.append((m, None))
        elif callable(m.value):
            explanations.append((m, bool(m.value(exc))))
        else:
            raised = m.value if isinstance(m.value, (set, frozenset)) else {m.value}
            explanations.append((m, exc in raised))
    _record(_Case(what, None, None, False, False, explanations, "", None, raised=failure))


def _explanation(failing: list[_Case]) -> Mistake | None:
    """The mistake (or combination) that explains every failing case, or None.

    For each failing case, the mistakes that predict something there are
    "in play"; a set K of mistake keys explains the case if some mistake (or
    combination) whose keys are exactly K restricted to those in play
    matches it.  The smallest K explaining every failing case is named
    (ties: the first offered): a combination is named only where each of its
    mistakes shows, and one input agreeing with a model by chance is not
    enough, since every failing input must agree."""
    candidates: dict[frozenset, Mistake] = {}
    for case in failing:
        for m, matched in case.explanations:
            if matched:
                candidates.setdefault(frozenset(m.keys), m)
    in_play = [frozenset(k for m, matched in c.explanations if matched is not None for k in m.keys) for c in failing]
    for keys in sorted(candidates, key=lambda k: len(k)):  # stable: ties keep the order offered
        def explains(case, play) -> bool:
            mine = keys & play
            return bool(mine) and any(matched and frozenset(m.keys) & play == mine for m, matched in case.explanations)
        if all(explains(c, p) for c, p in zip(failing, in_play)):
            return candidates[keys]
    return None


def _verdict(cases: list[_Case]) -> None:
    from bpkit.checks.describe import describe

    failing = [c for c in cases if not c.ok]
    if not failing:
        return
    found = _explanation(failing)
    if found is not None:
        keys = frozenset(found.keys)
        shown = [c for c in failing if any(matched and frozenset(m.keys) <= keys for m, matched in c.explanations)]
        case = next((c for c in shown if c.raised is None), shown[0] if shown else failing[0])
        if case.raised is not None:
            detail = str(case.raised).splitlines()[0]
        elif case.got.shape != case.expected.shape:
            detail = (hidden_input(case.what, case.expected.shape)
                      + f"\nshape / 形状: {case.got.shape}, expected / 期待値: {case.expected.shape}")
        else:
            detail = _summary(case)
        fail_all(found.parts, detail)
    raised = [c for c in failing if c.raised is not None]
    if raised:
        raise raised[0].raised
    first = failing[0]
    what, ja = first.what, ja_of(first.what)
    if first.got.shape != first.expected.shape:
        transposed = first.got.ndim == 2 and first.got.T.shape == first.expected.shape and bool(
            np.allclose(first.got.T, first.expected, rtol=RTOL, atol=ATOL))
        fail(f"{what} has shape {first.got.shape}, but shape {first.expected.shape} was expected"
             + (": it is the transpose of the expected answer." if transposed else "."),
             f"{ja} の形状が {first.got.shape} ですが、{first.expected.shape} であるべきです"
             + ("（期待値の転置になっています）。" if transposed else "。"),
             hidden_input(what, first.expected.shape), key="wrong_shape")
    if not np.all(np.isfinite(first.got)):
        fail(f"{what} contains inf or nan. Look for overflow in exp or log of 0.",
             f"{ja} に inf または nan が含まれています。exp のオーバーフローや log(0) を確認してください。",
             _summary(first), key="not_finite")
    same_shape = [c for c in failing if c.got.shape == c.expected.shape and np.all(np.isfinite(c.got))]
    # right: exactly the expected answer (never an input accepted only because its mistake is graded
    # elsewhere), and no failing input described the same way (two draws of the same shapes)
    wrong = {str(c.what) for c in failing}
    right = list(dict.fromkeys(c.what for c in cases if c.exact and str(c.what) not in wrong))
    said = describe([(c.what, c.got, c.expected, c.where) for c in same_shape], right)
    en, ja = (f"{what} does not match the expected values", f"{ja} の値が期待値と一致しません")
    en, ja = (f"{en}: {said[0]}", f"{ja}。{said[1]}") if said else (f"{en}.", f"{ja}。")
    detail = _summary(first)
    if first.witness:
        detail = first.witness + "\n" + detail
    fail(en, ja, detail, key="wrong_values")


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences in float64 on a copy of x.

    With h = 1e-6 the truncation error is ~h**2 = 1e-12 and the rounding
    error ~eps * |f| / h ~ 1e-9 for the small losses used here.
    """
    return reference_numerical_gradient(f, np.array(x, dtype=np.float64), h=h)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|) over the whole array (CS231n-style, but
    normalised by the array's scale so tiny entries do not dominate)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = float(np.max(np.abs(a) + np.abs(b))) if a.size else 0.0
    return float(np.max(np.abs(a - b))) / max(scale, 1e-12) if a.size else 0.0


def self_consistency(what: str, forward_loss: Callable[[np.ndarray], float], x: np.ndarray,
                     threshold: float) -> Callable[[np.ndarray], str]:
    """A gradient_check for expect_close: is the student's backward the
    gradient of the student's own forward?  Both answers help: "yes" means
    the forward pass is off too, "no" means backward does not differentiate
    what forward computes.  threshold: relative error allowed for this layer.
    """
    def explain(got: np.ndarray) -> str:
        try:
            with quietly():
                numeric = central_difference(forward_loss, x)
        except Exception:
            return ""
        err = relative_error(got, numeric)
        if err <= threshold:
            return (f"{what} is the gradient of your own forward pass (relative error {err:.1e}), so "
                    f"forward computes something else than it should. / {what} はあなたの forward の勾配とは"
                    f"一致しています（相対誤差 {err:.1e}）。forward の計算を見直してください。")
        return (f"{what} is not the gradient of your own forward pass either (relative error {err:.1e} "
                f"against central differences, allowed {threshold:.0e}). / {what} はあなたの forward の数値微分とも"
                f"一致しません（相対誤差 {err:.1e}、許容 {threshold:.0e}）。")
    return explain


def expect_unchanged(what: str, before: np.ndarray, after: np.ndarray) -> None:
    """Fail if an input array was modified in place."""
    if before.shape != after.shape or not np.array_equal(before, after):
        fail(f"{what} modified its input array in place. Work on a copy (or use np.where) instead.",
             f"{ja_of(what)} が入力配列をその場で書き換えました。コピーを使う（または np.where を使う）ようにしてください。",
             key="modified_input")
