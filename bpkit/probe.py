"""What a hidden test cell calls: ``check("ch4.softmax_1d", softmax)``.

This is the only part of bpkit a student's kernel can import when grading
runs sandboxed (see bpkit.sandbox): it needs nothing but the standard library
and NumPy, and holds no answers.

- Sandboxed (the environment names a judge socket, BPKIT_JUDGE): the judge,
  a separate process that never runs student code, drives the check.  It asks
  this side to call the student's function or class with inputs it chooses;
  this side answers with plain data (NumPy arrays as ``.npy`` bytes, never
  pickle).  The judge compares the answers with the reference itself and
  sends back pass or fail, nothing more (a failure raises CheckFailure with
  NOT_PASSED; the diagnosis, which shows hidden inputs and expected values,
  is added to the graded notebook by the grading side).  Whatever happens in
  this process, the score is the judge's.
- Not sandboxed (the instructor's own validation, or grading with
  ``--no-sandbox``): the check runs right here, in this process.

Wire format (both directions): a message is a JSON header and binary blobs,
each length-prefixed; values inside headers are encoded by :func:`encode`.
"""
from __future__ import annotations

import builtins
import io
import json
import os
import socket
import struct
import warnings

import numpy as np

__all__ = ["check", "ask_judge", "CheckFailure", "send", "receive", "Codec", "ProtocolError", "error_info",
           "exception_from", "load_npy", "student_line", "ENV", "SOCKET_NAME", "NOT_PASSED"]

#: The environment variable naming the judge's Unix socket.
ENV = "BPKIT_JUDGE"
#: The judge socket's file name in a kernel's directory (bound into the sandbox as /run/judge.sock).
SOCKET_NAME = "judge.sock"

MAX_HEADER = 1 << 20  # bytes of JSON per message
MAX_BLOB = 4 << 20  # bytes per array (the checks' arrays are tiny)
MAX_BLOBS = 256
MAX_MESSAGE = 16 << 20  # bytes of arrays per message
MAX_TEXT = 4000  # characters of a string or exception message
MAX_DEPTH = 4  # nesting of tuples and lists
MAX_ITEMS = 64  # items of a tuple or list


class CheckFailure(AssertionError):
    """A graded behaviour is wrong; the message explains it in English and
    Japanese (bpkit.checks raise this same class)."""


#: What a failed cell shows while the notebook runs: the judge tells the
#: sandbox pass or fail only; the grading side replaces this with the
#: judge's diagnosis in the graded notebook and the feedback.
NOT_PASSED = ("This cell did not pass the grader's check; the reason is added when grading finishes.\n"
              "このセルは採点プログラムのチェックに合格しませんでした。理由は採点の終了時に追記されます。\n"
              "[judged]")


class ProtocolError(Exception):
    """A message that does not follow the wire format."""


# ----------------------------------------------------------------- wire ---

def send(sock: socket.socket, header: dict, blobs: list[bytes] = ()) -> None:
    text = json.dumps(header, allow_nan=False).encode("utf-8")
    parts = [struct.pack(">II", len(text), len(blobs)), text]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    sock.sendall(b"".join(parts))


def _exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> tuple[dict, list[bytes]]:
    size, count = struct.unpack(">II", _exactly(sock, 8))
    if size > MAX_HEADER or count > MAX_BLOBS:
        raise ProtocolError(f"message too large ({size} bytes, {count} arrays)")
    header = json.loads(_exactly(sock, size).decode("utf-8"))
    if not isinstance(header, dict):
        raise ProtocolError("a message header must be a JSON object")
    blobs, total = [], 0
    for _ in range(count):
        (length,) = struct.unpack(">Q", _exactly(sock, 8))
        total += length
        if length > MAX_BLOB or total > MAX_MESSAGE:
            raise ProtocolError(f"arrays too large ({total} bytes)")
        blobs.append(_exactly(sock, length))
    return header, blobs


# ---------------------------------------------------------------- values ---

def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def load_npy(blob: bytes) -> np.ndarray:
    array = np.load(io.BytesIO(blob), allow_pickle=False)
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufc":
        raise ProtocolError("only numeric arrays are exchanged")
    return array


class Codec:
    """Turns values into JSON-able descriptions plus .npy blobs and back.

    Data (None, bool, int, float, str, NumPy scalars and numeric arrays,
    tuples and lists of them) travels by value.  Anything else stays where
    it lives and travels as a reference: ``make_ref(obj)`` names it,
    ``resolve_ref(id)`` turns a name back into a local object or proxy.
    """

    def __init__(self, make_ref, resolve_ref):
        self.make_ref, self.resolve_ref = make_ref, resolve_ref

    def encode(self, value, blobs: list, depth: int = 0) -> dict:
        if value is None:
            return {"t": "none"}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, int) and not isinstance(value, bool):
            return {"t": "int", "v": str(int(value))}
        if isinstance(value, float):
            return {"t": "float", "v": repr(float(value))}
        if isinstance(value, str):
            return {"t": "str", "v": str(value)[:MAX_TEXT]}
        if isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
            if array.dtype.kind in "biufc":
                blobs.append(_npy(np.array(array, order="C")))
                return {"t": "ndarray" if isinstance(value, np.ndarray) else "scalar", "b": len(blobs) - 1}
        if isinstance(value, (tuple, list)) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
            return {"t": "tuple" if isinstance(value, tuple) else "list",
                    "items": [self.encode(v, blobs, depth + 1) for v in value]}
        return self.make_ref(value)

    def decode(self, spec, blobs: list, depth: int = 0):
        if not isinstance(spec, dict) or depth > MAX_DEPTH:
            raise ProtocolError("malformed value")
        kind = spec.get("t")
        if kind == "none":
            return None
        if kind == "bool":
            return bool(spec["v"])
        if kind == "int":
            text = str(spec["v"])
            if len(text) > 30:
                raise ProtocolError("integer too large")
            return int(text)
        if kind == "float":
            return float(str(spec["v"])[:40])
        if kind == "str":
            return str(spec["v"])[:MAX_TEXT]
        if kind in ("ndarray", "scalar"):
            array = load_npy(blobs[int(spec["b"])])
            return array if kind == "ndarray" else array[()]
        if kind in ("tuple", "list"):
            items = spec["items"]
            if not isinstance(items, list) or len(items) > MAX_ITEMS:
                raise ProtocolError("malformed sequence")
            values = [self.decode(v, blobs, depth + 1) for v in items]
            return tuple(values) if kind == "tuple" else values
        if kind in ("ref", "callback"):
            return self.resolve_ref(spec)
        raise ProtocolError(f"unknown value kind {kind!r}")


def student_line(exc: BaseException) -> str:
    """The line of the student's own code where `exc` was raised: the last
    frame of its traceback outside NumPy, the standard library and bpkit."""
    import sysconfig
    import traceback

    skip = tuple(p for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
                 if p) + (os.path.dirname(os.path.abspath(__file__)),)
    try:
        frames = traceback.extract_tb(exc.__traceback__)
    except Exception:
        return ""
    own = [f for f in frames if not os.path.abspath(f.filename).startswith(skip)
           and "/reference/" not in f.filename and "/numpy/" not in f.filename]
    return (own[-1].line or "").strip()[:200] if own else ""


def error_info(exc: BaseException) -> dict:
    """An exception as data: its class name, the builtin classes it derives
    from (numpy's AxisError is a ValueError and an IndexError), its message
    and the line of the student's code that raised it."""
    builtin = [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"]
    return {"type": type(exc).__name__[:100], "bases": builtin[:20], "message": str(exc)[:MAX_TEXT],
            "line": student_line(exc)}


def exception_from(info) -> Exception:
    """The inverse of error_info: an exception like the one raised on the
    other side, a builtin class when it is one (so the checks' hints for
    IndexError etc. apply), else a class of the same name deriving from the
    same builtin classes."""
    info = info if isinstance(info, dict) else {}
    name = str(info.get("type", "Exception"))[:100]
    message = str(info.get("message", ""))[:MAX_TEXT]
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        bases = [getattr(builtins, str(b), None) for b in (info.get("bases") or [])][:20]
        bases = [b for b in bases if isinstance(b, type) and issubclass(b, Exception)]
        leaves = tuple(b for b in bases if not any(o is not b and issubclass(o, b) for o in bases)) or (Exception,)
        try:
            cls = type(name if name.isidentifier() else "Exception", leaves, {})
        except TypeError:  # bases that cannot be combined
            cls = type(name if name.isidentifier() else "Exception", leaves[:1], {})
    try:
        exc = cls(message)
    except Exception:  # a builtin class with other arguments (UnicodeDecodeError, ...)
        exc = type(cls.__name__, (Exception,), {})(message)
    exc.student_line = str(info.get("line") or "")[:200]
    return exc


# ----------------------------------------------------- the student's side ---

class _Session:
    """One check, served on one connection: the student's objects live
    here, the judge refers to them by number."""

    def __init__(self, sock: socket.socket, root):
        self.sock = sock
        self.objects = {0: root}
        self.slots: list[np.ndarray] = []  # arrays the judge passed in, mirrored back
        self.codec = Codec(self._make_ref, self._resolve)

    def _make_ref(self, value) -> dict:
        key = len(self.objects)
        self.objects[key] = value
        return {"t": "ref", "id": key, "type": type(value).__name__[:100], "callable": callable(value)}

    def _resolve(self, spec: dict):
        if spec["t"] == "ref":
            return self.objects[int(spec["id"])]
        return self._callback(int(spec["id"]))

    def _callback(self, key: int):
        def judge_function(*args):
            blobs: list[bytes] = []
            header = {"op": "callback", "id": key, "args": [self.codec.encode(a, blobs) for a in args]}
            header["sync"] = self._sync(blobs)
            send(self.sock, header, blobs)
            reply, reply_blobs = receive(self.sock)
            if not reply.get("ok"):
                raise exception_from(reply.get("error"))
            return self.codec.decode(reply["value"], reply_blobs)
        return judge_function

    def _sync(self, blobs: list) -> list[int]:
        indices = []
        for array in self.slots:
            blobs.append(_npy(np.asarray(array)))
            indices.append(len(blobs) - 1)
        return indices

    def _decode_args(self, specs, blobs):
        values = [self.codec.decode(s, blobs) for s in specs]
        for value in values:
            if isinstance(value, np.ndarray):
                value.flags.writeable = True
                self.slots.append(value)
        return values

    def serve(self) -> dict:
        """Answer the judge's requests until it sends its verdict."""
        while True:
            request, blobs = receive(self.sock)
            if request.get("op") == "verdict":
                return request
            self.slots = []
            reply_blobs: list[bytes] = []
            try:
                target = self.objects[int(request["target"])]
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if request["op"] == "getattr":
                        value = getattr(target, str(request["name"]))
                    elif request["op"] == "getitem":  # net.params["W1"], grads["b2"], layers["Affine1"]
                        value = target[_item_key(request.get("key"))]
                    elif request["op"] == "assign":  # the judge sets parameters in place
                        _assign(target, request, self.codec.decode(request.get("value"), blobs))
                        value = None
                    elif request["op"] == "names":  # for "did you mean ...?" hints
                        value = sorted(n for n in dir(target) if not n.startswith("_"))[:MAX_ITEMS]
                    else:
                        args = self._decode_args(request.get("args", []), blobs)
                        value = target(*args)
                reply = {"ok": True, "value": self.codec.encode(value, reply_blobs)}
            except Exception as exc:  # the student's exception, reported by name
                reply_blobs = []
                reply = {"ok": False, "error": error_info(exc)}
            reply["sync"] = self._sync(reply_blobs)
            send(self.sock, reply, reply_blobs)


MAX_KEY = 100  # characters of a key the judge reads with getitem


def _item_key(key):
    """A key of getitem/assign: a short string or a small integer, nothing else."""
    if isinstance(key, str) and len(key) <= MAX_KEY:
        return key
    if isinstance(key, int) and not isinstance(key, bool) and abs(key) < 1 << 31:
        return key
    raise TypeError("a key must be a short string or a small integer")


def _assign(target, request: dict, value) -> None:
    """target[key][...] = value (or getattr(target, name)[...] = value): the
    array the student's object already holds is changed in place, so every
    other reference to it (the layers share net.params' arrays) sees it."""
    name = request.get("name")
    if name is not None:
        if not isinstance(name, str) or len(name) > MAX_KEY or name.startswith("_"):
            raise TypeError("an attribute name must be a short public name")
        dest = getattr(target, name)
    else:
        dest = target[_item_key(request.get("key"))]
    if not isinstance(value, np.ndarray):
        raise TypeError("only arrays are assigned")
    if not isinstance(dest, np.ndarray) or dest.shape != value.shape:
        raise ValueError(f"cannot assign an array of shape {value.shape} to "
                         + (f"an array of shape {dest.shape}" if isinstance(dest, np.ndarray)
                            else f"a {type(dest).__name__}"))
    dest[...] = value


def check(name: str, obj) -> None:
    """Grade `obj` (the student's function or class) with the check `name`,
    e.g. "ch5.relu_backward".  Raises CheckFailure when it is wrong."""
    path = os.environ.get(ENV)
    if not path:
        _check_here(name, obj)
        return
    verdict = ask_judge(path, name, obj)
    if verdict.get("passed") is not True:
        raise CheckFailure(NOT_PASSED) from None


def ask_judge(path: str, name: str, obj) -> dict:
    """Serve the judge at `path` for check `name` on `obj`; return its verdict."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            send(sock, {"op": "check", "name": name})
            return _Session(sock, obj).serve()
    except (OSError, ConnectionError, ProtocolError, ValueError):  # the judge hung up (its verdict stands)
        return {"passed": False}


def _check_here(name: str, obj) -> None:
    from bpkit.checks import registry  # the checks, only when there is no judge (the instructor's notebook)

    registry.get(name).function(obj)
