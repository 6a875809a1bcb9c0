"""The wire protocol between the judge (bpkit.judging.judge, grading side)
and the probe (bpkit.probe, in the student's sandbox): both import it, and
the sandbox shows this file next to the probe.

A message is a JSON header and binary blobs, each length-prefixed and
capped (MAX_*); values inside headers are encoded by Codec.  Exceptions
cross as data (error_info / exception_from).  Standard library and NumPy
only.

What crosses, and how (the argument types a check may pass to student code)
---------------------------------------------------------------------------
=====================================  =====================================
value                                  on the wire
=====================================  =====================================
None, bool, int, float, str            by value (JSON; str cut at MAX_TEXT)
NumPy numeric arrays and scalars       by value, ``.npy`` (no pickle, <= 4 MB)
tuple, list (<= MAX_ITEMS, nested      by value, item by item
<= MAX_DEPTH)
dict with str or small int keys        by value, judge -> sandbox only
(<= MAX_ITEMS): ``params``, ``grads``  (Codec(dicts=True)); a student's dict
                                       comes back as a reference the judge
                                       reads with getitem/keys and writes
                                       with assign
the check's own function (``f``)       a callback, only beside an array
                                       argument (numerical_gradient's f)
anything else (a student's object)     an opaque reference
=====================================  =====================================

Arguments are copies in the sandbox; the probe sends back, after every call,
the arrays and dicts it was given (``sync``), and the judge copies them into
the check's own only where the check shares them on purpose
(``bpkit.checks.core.InOut``): an array in place, a dict entry by entry (in
place where the student's code changed the array in place, a new value where
it rebound the key, removed where it deleted it), so a check sees what it
would see in-process.  The judge refuses to send anything else
(``bpkit.judging.judge.Unsendable``: the course's mistake, never the
student's)."""
from __future__ import annotations

import builtins
import io
import json
import os
import socket
import struct

import numpy as np

__all__ = ["CheckFailure", "ENV", "SOCKET_NAME", "MAX_KEY", "MAX_TEXT", "MAX_ITEMS", "MAX_DEPTH", "ProtocolError", "send", "receive", "npy",
           "load_npy", "Blobs", "take_blob", "Codec", "student_line", "error_info", "exception_from"]

#: The environment variable naming the judge's Unix socket.
ENV = "BPKIT_JUDGE"


#: The judge socket's file name in a kernel's directory (which the kernel's sandbox shows it).
SOCKET_NAME = "judge.sock"
MAX_HEADER = 1 << 20  # bytes of JSON per message
MAX_BLOB = 4 << 20  # bytes per array (the checks' arrays are tiny)
MAX_BLOBS = 256
MAX_MESSAGE = 16 << 20  # bytes of arrays per message
MAX_TEXT = 4000  # characters of a string or exception message
MAX_DEPTH = 4  # nesting of tuples and lists
MAX_ITEMS = 64  # items of a tuple, list or dict
MAX_KEY = 100  # characters of a key (getitem, a dict's keys)


class CheckFailure(AssertionError):
    """A graded behaviour is wrong; the message explains it in English and
    Japanese.  One class for the kit: the checks raise it in the judge, the
    probe raises it in the kernel."""


class ProtocolError(Exception):
    """A message that does not follow the wire format."""


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


class Blobs(list):
    """The binary blobs of one message.  Each may be decoded once (take):
    a header that names one blob many times (35 000 references to one
    4 MB array in a 1 MB header) would otherwise decode a new array each
    time, so what a message decodes to is bounded by its own size."""

    def __init__(self, blobs=()):
        super().__init__(blobs)
        self._taken: set[int] = set()

    def take(self, index) -> bytes:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self):
            raise ProtocolError("a value names an array the message does not hold")
        if index in self._taken:
            raise ProtocolError("a value names the same array twice")
        self._taken.add(index)
        return self[index]


def take_blob(blobs, index) -> bytes:
    """Blob `index` of a message, at most once (see Blobs; a plain list is
    wrapped by Codec.decode)."""
    return blobs.take(index) if isinstance(blobs, Blobs) else Blobs(blobs).take(index)


def receive(sock: socket.socket) -> tuple[dict, Blobs]:
    size, count = struct.unpack(">II", _exactly(sock, 8))
    if size > MAX_HEADER or count > MAX_BLOBS:
        raise ProtocolError(f"message too large ({size} bytes, {count} arrays)")
    header = json.loads(_exactly(sock, size).decode("utf-8"))
    if not isinstance(header, dict):
        raise ProtocolError("a message header must be a JSON object")
    blobs, total = Blobs(), 0
    for _ in range(count):
        (length,) = struct.unpack(">Q", _exactly(sock, 8))
        total += length
        if length > MAX_BLOB or total > MAX_MESSAGE:
            raise ProtocolError(f"arrays too large ({total} bytes)")
        blobs.append(_exactly(sock, length))
    return header, blobs


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def load_npy(blob: bytes) -> np.ndarray:
    """A numeric array from .npy bytes.  The header is checked before any
    memory is set aside: NumPy would allocate the shape the header claims
    (a 100-byte blob could claim terabytes), so the data it claims must be
    in the blob."""
    buffer = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(buffer)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(buffer, max_header_size=1000)
    except (ValueError, TypeError, SyntaxError) as exc:
        raise ProtocolError(f"not an .npy array ({str(exc)[:100]})") from None
    if dtype.kind not in "biufc" or dtype.itemsize == 0 or dtype.hasobject:
        raise ProtocolError("only numeric arrays are exchanged")
    count = 1
    for n in shape:
        count *= int(n)
    if count * dtype.itemsize > len(blob) - buffer.tell():
        raise ProtocolError("an array's header claims more data than it holds")
    array = np.load(io.BytesIO(blob), allow_pickle=False)
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufc":
        raise ProtocolError("only numeric arrays are exchanged")
    return array


class Codec:
    """Turns values into JSON-able descriptions plus .npy blobs and back.

    Data (None, bool, int, float, str, NumPy scalars and numeric arrays,
    tuples and lists of them; with dicts=True, dicts of them with string or
    small integer keys) travels by value.  Anything else stays where it
    lives and travels as a reference: ``make_ref(obj)`` names it,
    ``resolve_ref(id)`` turns a name back into a local object or proxy.
    The judge encodes with dicts=True (a check's ``params`` reach the
    student's code as a dict); the probe sends a student's dicts as
    references (``net.params`` is written in place through them).
    """

    def __init__(self, make_ref, resolve_ref, dicts: bool = False):
        self.make_ref, self.resolve_ref, self.dicts = make_ref, resolve_ref, dicts

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
                blobs.append(npy(np.array(array, order="C")))
                return {"t": "ndarray" if isinstance(value, np.ndarray) else "scalar", "b": len(blobs) - 1}
        if isinstance(value, (tuple, list)) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
            return {"t": "tuple" if isinstance(value, tuple) else "list",
                    "items": [self.encode(v, blobs, depth + 1) for v in value]}
        if self.dicts and type(value) is dict and depth < MAX_DEPTH and len(value) <= MAX_ITEMS and all(
                _is_key(k) for k in value):
            return {"t": "dict", "items": [[k, self.encode(v, blobs, depth + 1)] for k, v in value.items()]}
        return self.make_ref(value)

    def decode(self, spec, blobs: list, depth: int = 0):
        """The value `spec` describes; each blob is decoded at most once per
        message (Blobs), so the result is no larger than the message."""
        if not isinstance(blobs, Blobs):
            blobs = Blobs(blobs)
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
            array = load_npy(blobs.take(spec.get("b")))
            return array if kind == "ndarray" else array[()]
        if kind in ("tuple", "list"):
            items = spec["items"]
            if not isinstance(items, list) or len(items) > MAX_ITEMS:
                raise ProtocolError("malformed sequence")
            values = [self.decode(v, blobs, depth + 1) for v in items]
            return tuple(values) if kind == "tuple" else values
        if kind == "dict":
            items = spec["items"]
            if not isinstance(items, list) or len(items) > MAX_ITEMS or not all(
                    isinstance(i, list) and len(i) == 2 and _is_key(i[0]) for i in items):
                raise ProtocolError("malformed dict")
            return {key: self.decode(v, blobs, depth + 1) for key, v in items}
        if kind in ("ref", "callback"):
            return self.resolve_ref(spec)
        raise ProtocolError(f"unknown value kind {kind!r}")


def _is_key(key) -> bool:
    """A dict key that crosses: a short string or a small integer."""
    return (isinstance(key, str) and len(key) <= MAX_KEY
            or isinstance(key, int) and not isinstance(key, bool) and abs(key) < 1 << 31)


def student_line(exc: BaseException) -> str:
    """The line of the student's own code where `exc` was raised: the last
    frame of its traceback outside NumPy, the standard library and bpkit."""
    import sysconfig
    import traceback

    skip = tuple(p for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
                 if p) + (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),)  # bpkit/
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
