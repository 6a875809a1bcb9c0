"""The judge: runs the hidden checks outside the student's sandbox.

One Judge serves one submission on a Unix socket.  Each time a hidden test
cell calls ``bpkit.probe.check(name, obj)`` in the sandboxed kernel, the
judge runs the same check as in-process grading would (bpkit.checks), but
the student's function or class is a :class:`Remote`: calling it, or reading
one of its attributes, is a request to the sandbox, answered with plain data
(numbers, strings, ``.npy`` arrays loaded with allow_pickle=False).  So the
verdict is computed here, by this process's own NumPy and reference, on data
it has checked itself; nothing the student's code does to its own process
(shadowed names, patched NumPy or bpkit, objects that fake comparisons) can
change it.

The judge never runs student code.  A student's answer that is slow, missing
or malformed fails the check (SandboxGone), never the judge.

What a check may pass to the student's code is listed in bpkit.judging.wire
(numbers, strings, arrays, tuples, lists, dicts of them, the check's own
function beside an array).  A check that asks for anything else
(:class:`Unsendable`), a check that raises inside the grader, and a check a
grade cell of ``source/`` names but the registry does not know are the
course's mistakes, never the student's: the verdict says so
(``Verdict.course_error``, key ``course_error``), the grading side gives the
cell its points and shows the author's message to the instructor first
(bpkit.grading.verdicts), and ``bpkit release`` refuses such a course before
any student meets it (bpkit.authoring.validate).
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bpkit.checks import registry
from bpkit.checks.core import CheckFailure, callback_refusal, collecting_notes, inout_arrays, quietly, seeded
from bpkit.judging.wire import (MAX_DEPTH, MAX_ITEMS, MAX_KEY, SOCKET_NAME, Codec, ProtocolError, error_info,
                                exception_from, load_npy, receive, send, take_blob)
from bpkit.timings import stage

__all__ = ["Judge", "Verdict", "Remote", "SandboxGone", "GraderOutOfMemory", "CostLimit", "Unsendable", "CALL_TIMEOUT",
           "MAX_REFUSED", "callback_budget", "COURSE_ERROR", "COURSE_ERROR_KEY", "unknown_check", "check_crashed"]

#: Seconds the judge waits for one answer from the sandbox.
CALL_TIMEOUT = 30.0
#: Requests the judge refuses (unknown check, another assignment's, asked twice)
#: before it stops answering this submission at all.
MAX_REFUSED = 8
#: Elements of an array the judge assigns into the sandbox (parameters of a small network).
MAX_ASSIGN = 100_000
#: Calls of one of the check's own functions (e.g. f of numerical_gradient) the
#: student's code may make in one call: CALLBACKS_PER_SQUARE per square of the
#: number of elements it was given, and at least CALLBACKS_MIN.  A numerical
#: gradient needs 2 per element; one that repeats the whole pass for every
#: element (O(n^2), slow but correct) needs 2 n^2, 288 for the largest x of
#: the checks (12 elements), so the cap is 14 times that.  It exists to stop
#: storms of callbacks (a judge kept busy), never correct code.
CALLBACKS_PER_SQUARE, CALLBACKS_MIN = 16, 4096


def callback_budget(size: int) -> int:
    """Calls of a check's function allowed in one call given `size` elements."""
    return max(CALLBACKS_MIN, CALLBACKS_PER_SQUARE * size * size)


class GraderOutOfMemory(BaseException):
    """The grading worker ran out of memory while decoding what the sandbox
    sent or running the check's own functions: the grader's problem, never
    the student's mistake.  A BaseException, so the checks' ``except
    Exception`` (which names a student's exception) lets it through; the
    judge records it (Judge.out_of_memory) and the batch retries the
    submission in a fresh worker (bpkit.grading.batch)."""


class SandboxGone(BaseException):
    """The sandbox stopped answering (closed, or not plain data).

    A BaseException, so the checks' own ``except Exception`` (which turns a
    student's exception into a named mistake) lets it through.
    args: (English reason, Japanese reason).
    """


class CostLimit(SandboxGone):
    """A resource cap stopped the check (time for one answer, time for the
    whole check, calls of the check's own function): a matter of cost, never
    of misconduct.  args: (English, Japanese), each naming the cap and the
    numbers; the verdict's key is ``cost_limit``, which is never an integrity
    finding (bpkit.grading.verdicts)."""


class Unsendable(BaseException):
    """The check asked the judge to send the student's code something the
    wire cannot carry (a set, an object of its own, a function with no array
    beside it, a keyword argument that is not a number): the course's
    mistake.  A BaseException, so the checks' ``except Exception`` (which
    names a student's exception) lets it through.  args: (the author's
    message, naming what could not be sent and what can)."""


#: What a student reads for a cell whose check failed because of the course (an author error).
COURSE_ERROR_KEY = "course_error"
COURSE_ERROR = ("This cell could not be graded because of a problem in the course's grading code, not in your code. "
                "It is not counted against you (it keeps its points), and your instructor has been told.\n"
                "このセルは、あなたのコードではなく講座の採点コードの問題のため採点できませんでした。減点はしません"
                "（このセルの点数はそのままです）。先生には知らされています。\n[course_error]")
SENDABLE = ("numbers, strings, None, NumPy arrays and scalars, tuples and lists of them, dicts of them with "
            "string keys, and the check's own function beside an array argument (bpkit/judging/wire.py)")


COST_NOT_MISCONDUCT = ("This is about the cost of the check, not about misconduct",
                       "これはチェックにかかる量の問題で、不正を疑うものではありません")


def _gone_stopped() -> SandboxGone:
    return SandboxGone("the notebook stopped answering in the middle of the check (its kernel stopped, or the "
                       "grading code inside it was changed)",
                       "確認の途中でノートブックが応答しなくなりました（カーネルが停止したか、ノートブック内の採点用コードが"
                       "変更されました）")


def _gone_not_data(exc: Exception) -> SandboxGone:
    return SandboxGone(f"the kernel answered with something that is not plain data ({exc})",
                       f"カーネルの応答が数値データではありませんでした（{exc}）")


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    notes: str = ""
    course_error: str = ""  # the course's mistake, for its author (message then is COURSE_ERROR)

    def to_dict(self) -> dict:
        return asdict(self)


class Remote:
    """A student's object that lives in the sandbox (a function, a class, an
    instance or a bound method).  Calls and attribute reads are requests."""

    _bpkit_remote = True  # bpkit.checks.core.assign_in_place sends an assign request

    def __init__(self, connection: "_Connection", key: int, remote_type: str = "object"):
        self._connection, self._key = connection, key
        self.remote_type = remote_type

    def __call__(self, *args, **kwargs):
        """Call it with plain data; keyword arguments (numbers only, such as
        TwoLayerNet(input_size=...)) go by value, never mirrored back."""
        header = {"op": "call", "target": self._key}
        if kwargs:
            if len(kwargs) > 8 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                          for v in kwargs.values()):
                raise Unsendable(f"the check calls the student's code with the keyword arguments "
                                 f"{sorted(kwargs)[:8]}: the judge passes at most 8 keyword arguments, plain "
                                 f"numbers only; pass other values as positional arguments")
            header["kwargs"] = {str(k)[:40]: float(v) if isinstance(v, float) else int(v) for k, v in kwargs.items()}
        return self._connection.request(header, args)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # no RPC for NumPy's and Python's protocol probes
            raise AttributeError(name)
        return self._connection.request({"op": "getattr", "target": self._key, "name": name})

    def __getitem__(self, key):
        """obj[key] of a dict, list or OrderedDict in the sandbox (net.params["W1"])."""
        if not (isinstance(key, str) and len(key) <= MAX_KEY
                or isinstance(key, int) and not isinstance(key, bool) and abs(key) < 1 << 31):
            raise Unsendable(f"the check reads an item of the student's object with the key {key!r}: the judge reads "
                             f"items by short string or small integer keys only")
        return self._connection.request({"op": "getitem", "target": self._key, "key": key})

    def _assign(self, key, value: np.ndarray, attribute: bool = False):
        """self[key][...] = value in the sandbox (or getattr(self, key)[...]
        = value with attribute=True): the student's array changes in place."""
        value = np.array(value, dtype=np.float64)
        if value.size > MAX_ASSIGN:
            raise Unsendable(f"the check writes an array of {value.size} elements into the student's object: the "
                             f"judge assigns arrays of at most {MAX_ASSIGN} elements")
        header = {"op": "assign", "target": self._key, ("name" if attribute else "key"): key}
        return self._connection.request(header, value=value)

    def _keys(self) -> list:
        """The keys of a dict in the sandbox, in order (strings and small
        integers; other keys as "<type>"); TypeError if it is no dict."""
        keys = self._connection.request({"op": "keys", "target": self._key})
        if not isinstance(keys, list):
            raise TypeError("not a list of keys")
        return [k if isinstance(k, int) and not isinstance(k, bool) else str(k)[:MAX_KEY] for k in keys]

    def __dir__(self) -> list[str]:
        """The object's public attribute names (for "did you mean ...?")."""
        names = self._connection.request({"op": "names", "target": self._key})
        return [str(n)[:100] for n in names] if isinstance(names, list) else []

    def __repr__(self) -> str:
        return f"<student's {self.remote_type}>"


@dataclass
class _Callback:
    """One of the check's own functions handed to the student's code (f of
    numerical_gradient), with what it may be called with: arrays of the
    shapes of the arrays passed alongside it, at most `left` more times."""

    function: object
    shapes: tuple[tuple[int, ...], ...]
    left: int
    budget: int = 0
    size: int = 0


class _Connection:
    """The judge's end of one check's connection.

    deadline: time.monotonic() by which the whole check must be over."""

    def __init__(self, sock: socket.socket, timeout: float = CALL_TIMEOUT, deadline: float | None = None,
                 seconds: float | None = None):
        self.sock, self.timeout = sock, timeout
        self.deadline = deadline if deadline is not None else time.monotonic() + 2 * timeout
        self.seconds = seconds  # the whole check's budget, for the message
        self.callbacks: dict[int, _Callback] = {}
        self._shapes: tuple = ()  # shapes of the array arguments of the call being encoded
        self.codec = Codec(self._make_ref, self._resolve, dicts=True)
        self.data_only = Codec(self._make_ref, self._refuse)

    def _make_ref(self, value) -> dict:
        if isinstance(value, Remote) and value._connection is self:
            return {"t": "ref", "id": value._key}
        if callable(value) and self._shapes:  # a function of the check's, e.g. f for numerical_gradient
            key = len(self.callbacks)
            size = sum(int(np.prod(shape)) for shape in self._shapes)
            budget = callback_budget(size)
            self.callbacks[key] = _Callback(value, self._shapes, budget, budget, size)
            return {"t": "callback", "id": key}
        what = type(value).__name__
        if callable(value):
            why = "a function crosses only beside an array argument (the f of numerical_gradient)"
        elif isinstance(value, Remote):
            why = "it belongs to another check's connection"
        elif isinstance(value, (dict, tuple, list)):
            why = (f"a {what} crosses with at most {MAX_ITEMS} items, nested at most {MAX_DEPTH} deep"
                   + (f", with string keys of at most {MAX_KEY} characters" if isinstance(value, dict) else ""))
        else:
            why = "it is not data"
        raise Unsendable(f"the check passes the student's code a {what}, which the judge cannot send ({why}); "
                         f"what crosses: {SENDABLE}")

    def _resolve(self, spec: dict):
        if spec.get("t") != "ref":
            raise ProtocolError("the sandbox cannot send functions of its own to call back")
        return Remote(self, int(spec["id"]), str(spec.get("type", "object"))[:100])

    def _refuse(self, spec: dict):
        raise TypeError(f"expected numbers or arrays, got a {str(spec.get('type', 'object'))[:100]}")

    def _receive(self) -> tuple[dict, list[bytes]]:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _gone_too_long(self.seconds)
        try:
            self.sock.settimeout(min(self.timeout, left))
            return receive(self.sock)
        except (socket.timeout, TimeoutError):
            if time.monotonic() >= self.deadline:
                raise _gone_too_long(self.seconds) from None
            raise CostLimit(f"your code did not answer within {self.timeout:g} s, the limit for one answer (an endless "
                            "loop, or far more work than this check needs)",
                            f"1 回の答えの制限時間 {self.timeout:g} 秒以内にコードが応答しませんでした（無限ループか、"
                            "このチェックに必要な量をはるかに超える計算）") from None
        except (OSError, ConnectionError):
            raise _gone_stopped() from None
        except (ProtocolError, ValueError, KeyError, TypeError) as exc:
            raise _gone_not_data(exc) from None

    def request(self, header: dict, args=(), value=None):
        blobs: list[bytes] = []
        arrays = [a for a in args if isinstance(a, np.ndarray) or type(a) is dict]  # what the probe syncs back
        if value is not None:  # assign: the array goes by value, never mirrored back
            header["value"] = self.data_only.encode(value, blobs)
        if header["op"] == "call":
            self._shapes = tuple(a.shape for a in arrays if isinstance(a, np.ndarray))
            try:
                header["args"] = [self.codec.encode(a, blobs) for a in args]
            finally:
                self._shapes = ()
        try:
            send(self.sock, header, blobs)
        except OSError:
            raise _gone_stopped() from None
        while True:
            reply, reply_blobs = self._receive()
            try:
                self._mirror(arrays, reply.get("sync") or [], reply_blobs)
                if reply.get("op") == "callback":
                    self._answer(reply, reply_blobs)
                    continue
                if reply.get("ok"):
                    return self.codec.decode(reply.get("value"), reply_blobs)
                error = exception_from(reply.get("error"))
            except (ProtocolError, ValueError, KeyError, TypeError, IndexError) as exc:
                raise _gone_not_data(exc) from None
            except MemoryError:
                raise GraderOutOfMemory() from None
            if header["op"] == "getattr" and isinstance(error, AttributeError):
                raise AttributeError(str(error))
            raise error

    def _mirror(self, arrays: list, indices: list, blobs: list[bytes]) -> None:
        """Copy in-place changes the student's code made to the arguments it
        was given into the judge's own arrays and dicts -- only into those
        the check shares on purpose (bpkit.checks.core.InOut: numerical_gradient
        perturbs x in place, and f reads it; an optimizer updates params);
        every other argument was a copy as far as the check is concerned."""
        if len(indices) != len(arrays):
            raise ProtocolError("argument arrays were not sent back")
        shared = inout_arrays()
        for mine, index in zip(arrays, indices):
            if not any(mine is s for s in shared):
                continue
            if type(mine) is dict:
                self._mirror_dict(mine, index, blobs)
                continue
            theirs = load_npy(take_blob(blobs, index))
            if theirs.shape == mine.shape and theirs.dtype.kind in "biuf":
                mine[...] = theirs
            else:  # reshaped or retyped in place: the caller sees a changed array
                mine[...] = np.nan if mine.dtype.kind == "f" else -1

    def _mirror_dict(self, mine: dict, spec, blobs) -> None:
        """The student's changes to a shared dict: an entry still holding the
        array it was given is changed in place (the check's own array sees
        it, as in-process), a rebound one is replaced, a deleted one removed."""
        if not isinstance(spec, dict) or spec.get("t") != "dict" or not isinstance(spec.get("items"), list):
            raise ProtocolError("a dict argument was not sent back")
        items = spec["items"]
        if len(items) > MAX_ITEMS or not all(isinstance(i, list) and len(i) == 3 for i in items):
            raise ProtocolError("malformed dict")
        theirs = self.codec.decode({"t": "dict", "items": [i[:2] for i in items]}, blobs)
        same = {i[0]: i[2] is True for i in items}
        for key in [k for k in mine if k not in theirs]:
            del mine[key]
        for key, value in theirs.items():
            old = mine.get(key)
            if same[key] and isinstance(old, np.ndarray):
                if isinstance(value, np.ndarray) and value.size == old.size and value.dtype.kind in "biuf":
                    try:
                        old.shape = value.shape  # reshaped in place (`params["W"].shape = ...`), as in-process
                    except (AttributeError, ValueError):
                        pass
                if isinstance(value, np.ndarray) and value.shape == old.shape and value.dtype.kind in "biuf":
                    old[...] = value
                else:  # retyped in place, or a view that cannot be reshaped: the check sees a changed array
                    old[...] = np.nan if old.dtype.kind == "f" else -1
            else:
                mine[key] = value

    def _answer(self, request: dict, blobs: list[bytes]) -> None:
        """Run one of the check's own functions for the student's code, on
        arrays of the shapes it was given (never anything bigger), a bounded
        number of times."""
        reply_blobs: list[bytes] = []
        try:
            callback = self.callbacks[int(request["id"])]
            callback.left -= 1
            if callback.left < 0:
                raise CostLimit(f"your code called the function f it was given more than {callback.budget} times in "
                                f"one call for {callback.size} elements, the limit (a numerical gradient needs 2 calls "
                                f"per element, {2 * callback.size} here)",
                                f"1 回の呼び出しの中で、渡された関数 f を {callback.size} 要素に対して制限の {callback.budget} 回を"
                                f"超えて呼びました（数値微分に必要なのは 1 要素につき 2 回、ここでは {2 * callback.size} 回です）")
            args = self._callback_args(callback, request.get("args", []), blobs)
            with quietly():
                value = callback.function(*args)
            reply = {"ok": True, "value": self.codec.encode(value, reply_blobs)}
        except ProtocolError:
            raise
        except MemoryError:
            raise GraderOutOfMemory() from None
        except Exception as exc:  # e.g. f called with an array of the wrong shape
            reply_blobs = []
            reply = {"ok": False, "error": error_info(exc)}
        try:
            send(self.sock, reply, reply_blobs)
        except OSError:
            raise _gone_stopped() from None

    def _callback_args(self, callback: _Callback, specs, blobs: list[bytes]) -> list[np.ndarray]:
        """The arguments of a callback: real arrays of one of the allowed
        shapes, checked before they are decoded (no broadcasting, no huge or
        exotic arrays reach the check's function)."""
        largest = max(int(np.prod(shape)) for shape in callback.shapes)
        if not isinstance(specs, list) or len(specs) != 1 or not isinstance(specs[0], dict) \
                or specs[0].get("t") != "ndarray":
            raise TypeError(callback_refusal(callback.shapes, "something else"))
        blob = blobs[int(specs[0]["b"])]
        if len(blob) > 8 * largest + 512:
            raise TypeError(callback_refusal(callback.shapes, "a larger array"))
        array = self.data_only.decode(specs[0], blobs)
        if array.shape not in callback.shapes or array.dtype.kind not in "biuf":
            raise TypeError(callback_refusal(callback.shapes, f"an array of shape {array.shape} and dtype {array.dtype}"))
        return [array]


ASKED_TWICE = Verdict(False, "This check was asked for more than once while the notebook ran: the grade cell "
                             "calls it once, so code of the notebook's own asked for it too.\n"
                             "このチェックがノートブックの実行中に複数回要求されました。採点セルは 1 回しか呼ばないため、"
                             "ノートブック内の別のコードも要求しています。\n[asked_twice]")




def _gone_too_long(seconds: float | None = None) -> CostLimit:
    limit = f"{seconds:g} s" if seconds is not None else "its time limit"
    limit_ja = f" {seconds:g} 秒" if seconds is not None else ""
    return CostLimit(f"the whole check took longer than {limit}, the limit for one check (the code is far slower "
                     "than this check needs)",
                     f"チェック全体が 1 つのチェックの制限時間{limit_ja}を超えました（このチェックに必要な量よりはるかに"
                     "遅いコードです）")


class Judge:
    """Serve checks for one submission on ``directory/judge.sock``.

    allowed: the checks this submission may ask for (its assignment's grade
      cells, read from source/), each once; None allows every known check
      once (tests).  Any other request -- an unknown name, another
      assignment's check, a check asked for a second time -- is refused: that
      connection ends and the request is recorded in `refused` (an integrity
      finding).  After MAX_REFUSED refusals the judge stops answering.  A
      name in `allowed` that the registry does not know is the course's
      mistake (a grade cell of source/ calls it): it is answered with a
      course_error verdict, never refused.
    salt: mixed into every hidden input (bpkit.checks.core.seeded), so
      inputs differ per course and student and cannot be computed from the
      public source.
    timeout: seconds to wait for each answer from the sandbox; a whole check
      may take at most check_seconds (default 2 * timeout).
    verdicts: check name -> its verdict (a list, for the judge file).
    What goes back into the sandbox is pass/fail only: the diagnosis (the
    hidden inputs and expected values it shows) reaches the student through
    the feedback, written on the grading side.
    """

    def __init__(self, directory: Path, timeout: float = CALL_TIMEOUT, allowed=None, salt: bytes = b"",
                 check_seconds: float | None = None):
        self.directory, self.timeout = Path(directory), timeout
        self.check_seconds = check_seconds if check_seconds is not None else 2 * timeout
        self.path = str(self.directory / SOCKET_NAME)
        self.verdicts: dict[str, list[Verdict]] = {}
        self.refused: list[dict] = []  # requests refused: {"name", "why"}, the first MAX_REFUSED
        self.refused_count = 0
        self.out_of_memory = False  # a check ran this worker out of memory (GraderOutOfMemory)
        self._checks = registry.functions()  # every check a cell may ask for
        self._allowed = set(self._checks) if allowed is None else set(allowed) & set(self._checks)
        self._unknown = set() if allowed is None else set(allowed) - set(self._checks)  # the course's mistake
        self._salt = bytes(salt)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(4)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="bpkit-judge", daemon=True)

    def __enter__(self) -> "Judge":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        try:
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        self._thread.join(timeout=self.check_seconds + 5)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            if self.refused_count >= MAX_REFUSED:  # stop answering: later connections fail at once
                self._server.close()
                return
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            with sock:
                sock.settimeout(self.timeout)
                try:
                    self._one_check(sock)
                except (SandboxGone, Exception):  # a broken request only loses that request
                    pass

    def _one_check(self, sock: socket.socket) -> None:
        header, _ = receive(sock)
        name = str(header.get("name", ""))[:80]
        if header.get("op") == "check" and name in self._unknown and name not in self.verdicts:
            self.verdicts[name] = [unknown_check(name)]  # a grade cell of source/ asks for it: the author's typo
            try:
                send(sock, {"op": "verdict", "passed": False})
            except OSError:
                pass
            return
        why = ("not a check request" if header.get("op") != "check" else
               "no such check" if not registry.NAME.match(name) or name not in self._checks else
               "not a check of this assignment" if name not in self._allowed else
               "asked for a second time" if name in self.verdicts else "")
        if why:  # ends this connection without an answer
            self.refused_count += 1
            if len(self.refused) < MAX_REFUSED:
                self.refused.append({"name": name, "why": why})
            if name in self.verdicts:  # one call is all a grade cell makes: the cell loses its points
                self.verdicts[name] = [ASKED_TWICE]
            return
        connection = _Connection(sock, self.timeout, time.monotonic() + self.check_seconds, self.check_seconds)
        verdict = self.run(name, Remote(connection, 0, "object"))
        self.verdicts[name] = [verdict]
        try:
            send(sock, {"op": "verdict", "passed": verdict.passed})
        except OSError:
            pass

    def run(self, name: str, student) -> Verdict:
        """Run check `name` against `student` (a Remote) and return the verdict."""
        notes: list[str] = []
        try:
            with stage("checks"), collecting_notes(notes), seeded(self._salt):
                self._checks[name](student)
        except CheckFailure as exc:
            return Verdict(False, str(exc), "\n".join(notes))
        except (GraderOutOfMemory, MemoryError):  # the grader's problem: this submission is graded again
            self.out_of_memory = True
            return Verdict(False, "The grader ran out of memory while checking this cell; it is graded again.\n"
                                  "採点プログラムがこのセルの確認中にメモリ不足になりました。もう一度採点します。\n"
                                  "[grader_memory]", "\n".join(notes))
        except CostLimit as exc:
            en, ja = (exc.args + ("", ""))[:2]
            return Verdict(False, f"The grader stopped checking because of a limit on cost: {en}. "
                                  f"{COST_NOT_MISCONDUCT[0]}.\n"
                                  f"コストの制限により採点を中断しました：{ja}。{COST_NOT_MISCONDUCT[1]}。\n[cost_limit]",
                           "\n".join(notes))
        except SandboxGone as exc:
            en, ja = (exc.args + ("", ""))[:2]
            return Verdict(False, f"The grader stopped checking: {en}.\n採点を中断しました：{ja}。\n[sandbox]",
                           "\n".join(notes))
        except Unsendable as exc:  # the check's own request: the course's mistake
            return Verdict(False, COURSE_ERROR, "\n".join(notes),
                           course_error=f"check {name}: {(exc.args or ('',))[0]}")
        except Exception as exc:  # the check itself raised: the course's mistake, never the student's
            return Verdict(False, COURSE_ERROR, "\n".join(notes), course_error=check_crashed(name, exc))
        return Verdict(True, "", "\n".join(notes))


def unknown_check(name: str) -> Verdict:
    """The verdict for a check a grade cell of source/ names but the registry does not know."""
    from difflib import get_close_matches

    close = get_close_matches(name, list(registry.checks()), n=1, cutoff=0.75)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return Verdict(False, COURSE_ERROR, course_error=(
        f"the grade cell calls check({name!r}), which no module of bpkit/checks/ defines: {hint}write "
        f"check_{name.partition('.')[2]} in bpkit/checks/{name.partition('.')[0]}.py and list it in that module's "
        f"__all__ (`bpkit new check {name}` writes the stub)"))


def check_crashed(name: str, exc: BaseException) -> str:
    """The author's message for a check that raised inside the grader, naming
    the line of bpkit/checks/ where it did."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/bpkit/checks/" in f.filename.replace("\\", "/")]
    where = f" at bpkit/checks/{Path(frames[-1].filename).name}:{frames[-1].lineno} (`{(frames[-1].line or '').strip()[:120]}`)" \
        if frames else ""
    return (f"check {name} raised {type(exc).__name__}: {str(exc)[:300]}{where} inside the grader: a check must fail "
            f"a wrong answer with fail()/expect_close (a message and a key), never raise; fix the check, then regrade "
            f"with `bpkit grade --force`")
