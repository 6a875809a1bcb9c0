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
import warnings
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from reference.gradient import numerical_gradient as reference_numerical_gradient

__all__ = [
    "CheckFailure",
    "Mistake",
    "fail",
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
        f"浮動小数点では消えてしまう入力では、{formula} が与える正確な勾配ではなく、数値微分の値になります。この章で"
        f"採点するのは誤差逆伝播です。{what} は式 {formula} で計算し、numerical_gradient は確認に使ってください。",
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


def split_variants(variants: Iterable[Variant], owned: Iterable[Mistake]) -> tuple[list, list[Mistake]]:
    """(alternatives, mistakes) for expect_close, from every known way of
    computing one answer.

    - owned: the mistakes this cell grades (their key, en, ja; the value is
      ignored), in the order they are named.
    - alternatives: [a model matching every variant that makes none of the
      owned mistakes] -- correct, or wrong only in ways graded in another cell.
    - mistakes: for each owned key, a Mistake whose model matches every
      variant making that mistake, alone or with any others (so an answer
      with two mistakes of this cell is named by the first one it shows)."""
    variants = list(variants)
    owned = list(owned)
    keys = {m.key for m in owned}
    allowed = _any_value([v.value for v in variants if not v.keys & keys])
    mistakes = [Mistake(m.key, m.en, m.ja, _any_value([v.value for v in variants if m.key in v.keys]))
                for m in owned]
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


_NOTES: contextvars.ContextVar[list | None] = contextvars.ContextVar("bpkit_notes", default=None)


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
    try:
        if isinstance(fn, tuple):
            fn = _method(what, *fn)
        with quietly():
            return fn(*args, **kwargs)
    except NotImplementedError:
        # The Japanese sentence names only the function ("softmax", "Relu.forward"),
        # not `what`'s English description of the inputs.
        name = (what.split("(")[0].split() or [what])[0]
        fail(f"{what} is not implemented yet: replace `raise NotImplementedError` with your code.",
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
        typo = _typo(exc)
        if typo:
            fail(f"{what} uses `{typo[0]}`, which NumPy does not have{where_en}: did you mean `{typo[1]}`?",
                 f"{what} が NumPy にない `{typo[0]}` を使っています{where_ja}。`{typo[1]}` のつもりではありませんか？",
                 f"{type(exc).__name__}: {exc}", key="attribute_typo")
        fail(f"{what} raised {type(exc).__name__}{where_en}: {exc}",
             f"{what} の実行中に {type(exc).__name__} が発生しました{where_ja}: {exc}", key="raised")
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


def _typo(exc: BaseException) -> tuple[str, str] | None:
    """(typed, meant) for an AttributeError on NumPy or an array whose name is
    one clear edit away from a real one (np.arrange, y.nidm); None if unsure."""
    import difflib
    import re

    found = re.search(r"(module 'numpy'|'numpy\.ndarray' object) has no attribute '(\w+)'", str(exc))
    if not found or "AttributeError" not in [c.__name__ for c in type(exc).__mro__]:
        return None
    names = [n for n in dir(np if found.group(1).startswith("module") else np.ndarray) if not n.startswith("_")]
    scored = sorted(((difflib.SequenceMatcher(None, found.group(2), n).ratio(), n) for n in names), reverse=True)
    if scored and scored[0][0] >= 0.75 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.1):
        return found.group(2), scored[0][1]
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
    if got is None:
        fail(f"{what} returned None: did you forget `return`?",
             f"{what} が None を返しました。`return` を書き忘れていませんか？", key="returned_none")
    if scalar:
        try:
            value = one_number(got)
        except (TypeError, ValueError):
            fail(f"{what} should be a single number, but it is {_describe(got)}.",
                 f"{what} は 1 つの数（スカラー）であるべきですが、{_describe(got)} でした。", key="wrong_type")
        return np.asarray(value, dtype=np.float64)
    if not isinstance(got, (np.ndarray, np.generic, float, int)):
        fail(f"{what} should be a NumPy array, but it is {_describe(got)}.",
             f"{what} は NumPy 配列であるべきですが、{_describe(got)} でした。", key="wrong_type")
    if isinstance(got, (np.ndarray, np.generic)) and got.dtype.kind not in "iuf":
        fail(f"{what} should hold real numbers, but it is {_describe(got)}.",
             f"{what} は実数の配列であるべきですが、{_describe(got)} でした。", key="wrong_type")
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        fail(f"{what} should hold numbers, but it is {_describe(got)}.",
             f"{what} は数値の配列であるべきですが、{_describe(got)} でした。", key="wrong_type")


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    # an object living in the student's sandbox (bpkit.judging.judge.Remote) knows its type's name
    return f"a {getattr(x, 'remote_type', None) or type(x).__name__}"


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


def _summary(got: np.ndarray, expected: np.ndarray) -> str:
    with np.printoptions(precision=5, threshold=8, edgeitems=2, suppress=True):
        text = f"expected / 期待値: {expected!r}\ngot / 結果:       {got!r}"
    data = encode_arrays(got, expected)
    return f"{text}\n{data}" if data else text


@dataclass
class _Case:
    """One answer a check compared, kept until the cell's verdict."""

    what: str
    got: np.ndarray
    expected: np.ndarray
    ok: bool
    mistakes: list  # the Mistakes offered for this answer, in order
    matched: dict  # key -> True/False, or None where that mistake predicts nothing here
    witness: str  # what the numerical gradient of the student's own forward shows, if asked
    where: Any


_CASES: contextvars.ContextVar[list | None] = contextvars.ContextVar("bpkit_cases", default=None)


@contextlib.contextmanager
def all_cases():
    """Compare every answer of a grade cell before saying what is wrong.

    Inside this block expect_close() only records; at the end a known
    mistake is named only if the answer matches that mistake's model on
    every failing input where the model predicts something (one input that
    happens to agree with a model is no evidence), and otherwise what
    differs is described (bpkit.checks.describe), including which inputs
    were right.  An exception from the student's code still fails at once.
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


def expect_close(what: str, got: Any, expected: Any, *,
                 mistakes: Iterable[Mistake] = (),
                 alternatives: Iterable[Any] = (),
                 excused: Iterable[Mistake] = (),
                 scalar: bool = False,
                 gradient_check: Callable[[np.ndarray], str] | None = None,
                 where: Any = None) -> None:
    """Check type, shape, finiteness and value of a student's answer.

    - what: how the student sees the value, e.g. "affine.backward(dout)".
    - expected: the reference answer (array or scalar, float64).
    - mistakes: known wrong variants; if the answer matches one (on every
      failing input of the cell, see all_cases), it is named.
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
             f"{what} の形状が {got.shape} ですが、{expected.shape} であるべきです。", key="wrong_shape")
    got = _as_float_array(what, got, scalar)
    mistakes = list(mistakes)
    ok = got.shape == expected.shape and (
        _matches(got, expected) or any(_matches(got, alt) for alt in alternatives)
        or any(_matches(got, m.value) for m in excused))
    matched = {} if ok else {m.key: None if m.value is None else _matches(got, m.value) for m in mistakes}
    # measured now: the check's loop variables the function reads change with the next input
    witness = gradient_check(got) if gradient_check is not None and not ok and got.shape == expected.shape else ""
    case = _Case(what, got, expected, ok, mistakes, matched, witness, where)
    cases = _CASES.get()
    if cases is None:
        _verdict([case])
    else:
        cases.append(case)


def _verdict(cases: list[_Case]) -> None:
    from bpkit.checks.describe import describe

    failing = [c for c in cases if not c.ok]
    if not failing:
        return
    keys = list(dict.fromkeys(m.key for c in failing for m in c.mistakes))
    for key in keys:
        predictions = [c.matched[key] for c in failing if c.matched.get(key) is not None]
        if predictions and all(predictions):
            case = next(c for c in failing if c.matched.get(key))
            m = next(m for m in case.mistakes if m.key == key)
            detail = (f"shape / 形状: {case.got.shape}, expected / 期待値: {case.expected.shape}"
                      if case.got.shape != case.expected.shape else _summary(case.got, case.expected))
            fail(m.en, m.ja, detail, key=m.key)
    first = failing[0]
    if first.got.shape != first.expected.shape:
        transposed = first.got.ndim == 2 and first.got.T.shape == first.expected.shape and bool(
            np.allclose(first.got.T, first.expected, rtol=RTOL, atol=ATOL))
        fail(f"{first.what} has shape {first.got.shape}, but shape {first.expected.shape} was expected"
             + (": it is the transpose of the expected answer." if transposed else "."),
             f"{first.what} の形状が {first.got.shape} ですが、{first.expected.shape} であるべきです"
             + ("（期待値の転置になっています）。" if transposed else "。"), key="wrong_shape")
    if not np.all(np.isfinite(first.got)):
        fail(f"{first.what} contains inf or nan. Look for overflow in exp or log of 0.",
             f"{first.what} に inf または nan が含まれています。exp のオーバーフローや log(0) を確認してください。",
             _summary(first.got, first.expected), key="not_finite")
    same_shape = [c for c in failing if c.got.shape == c.expected.shape and np.all(np.isfinite(c.got))]
    passing = [c.what for c in cases if c.ok]
    said = describe([(c.what, c.got, c.expected, c.where) for c in same_shape], passing)
    en, ja = (f"{first.what} does not match the expected values",
              f"{first.what} の値が期待値と一致しません")
    en, ja = (f"{en}: {said[0]}", f"{ja}。{said[1]}") if said else (f"{en}.", f"{ja}。")
    detail = _summary(first.got, first.expected)
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
             f"{what} が入力配列をその場で書き換えました。コピーを使う（または np.where を使う）ようにしてください。",
             key="modified_input")
