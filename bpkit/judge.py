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
"""
from __future__ import annotations

import importlib
import re
import socket
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bpkit.probe import Codec, ProtocolError, error_info, exception_from, load_npy, receive, send

__all__ = ["Judge", "Verdict", "Remote", "SandboxGone", "CALL_TIMEOUT", "check_names", "checks_in_cell"]

#: Seconds the judge waits for one answer from the sandbox.
CALL_TIMEOUT = 30.0

_NAME = re.compile(r"^ch[45]\.\w{1,60}$")
_CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](ch[45]\.\w+)["']""")


def check_names() -> dict[str, object]:
    """Every check a cell may ask for: "ch4.softmax_1d" -> check function."""
    found = {}
    for chapter in ("ch4", "ch5"):
        module = importlib.import_module(f"bpkit.checks.{chapter}")
        for name in module.__all__:
            if name.startswith("check_"):
                found[f"{chapter}.{name[len('check_'):]}"] = getattr(module, name)
    return found


def checks_in_cell(source: str) -> list[str]:
    """The check names a (trusted, instructor's) grade cell calls."""
    return _CHECK_CALL.findall(source)


class SandboxGone(BaseException):
    """The sandbox stopped answering (timeout, closed, or not plain data).

    A BaseException, so the checks' own ``except Exception`` (which turns a
    student's exception into a named mistake) lets it through.
    args: (English reason, Japanese reason).
    """


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

    def to_dict(self) -> dict:
        return asdict(self)


class Remote:
    """A student's object that lives in the sandbox (a function, a class, an
    instance or a bound method).  Calls and attribute reads are requests."""

    def __init__(self, connection: "_Connection", key: int, remote_type: str = "object"):
        self._connection, self._key = connection, key
        self.remote_type = remote_type

    def __call__(self, *args):
        return self._connection.request({"op": "call", "target": self._key}, args)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # no RPC for NumPy's and Python's protocol probes
            raise AttributeError(name)
        return self._connection.request({"op": "getattr", "target": self._key, "name": name})

    def __repr__(self) -> str:
        return f"<student's {self.remote_type}>"


class _Connection:
    """The judge's end of one check's connection."""

    def __init__(self, sock: socket.socket, timeout: float = CALL_TIMEOUT):
        self.sock, self.timeout = sock, timeout
        self.callbacks: dict[int, object] = {}
        self.codec = Codec(self._make_ref, self._resolve)
        self.data_only = Codec(self._make_ref, self._refuse)

    def _make_ref(self, value) -> dict:
        if isinstance(value, Remote) and value._connection is self:
            return {"t": "ref", "id": value._key}
        if callable(value):  # a function of the check's, e.g. f for numerical_gradient
            key = len(self.callbacks)
            self.callbacks[key] = value
            return {"t": "callback", "id": key}
        raise TypeError(f"the judge cannot send a {type(value).__name__}")

    def _resolve(self, spec: dict):
        if spec.get("t") != "ref":
            raise ProtocolError("the sandbox cannot send functions of its own to call back")
        return Remote(self, int(spec["id"]), str(spec.get("type", "object"))[:100])

    def _refuse(self, spec: dict):
        raise TypeError(f"expected numbers or arrays, got a {str(spec.get('type', 'object'))[:100]}")

    def _receive(self) -> tuple[dict, list[bytes]]:
        try:
            return receive(self.sock)
        except (socket.timeout, TimeoutError):
            raise SandboxGone(f"the student's code did not answer within {self.timeout:g} s (an endless loop?)",
                              f"{self.timeout:g} 秒以内に応答がありませんでした（無限ループ？）") from None
        except (OSError, ConnectionError):
            raise _gone_stopped() from None
        except (ProtocolError, ValueError, KeyError, TypeError) as exc:
            raise _gone_not_data(exc) from None

    def request(self, header: dict, args=()):
        blobs: list[bytes] = []
        if header["op"] == "call":
            header["args"] = [self.codec.encode(a, blobs) for a in args]
        arrays = [a for a in args if isinstance(a, np.ndarray)]
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
            if header["op"] == "getattr" and isinstance(error, AttributeError):
                raise AttributeError(str(error))
            raise error

    def _mirror(self, arrays: list[np.ndarray], indices: list, blobs: list[bytes]) -> None:
        """Copy in-place changes the student's code made to the arguments it
        was given into the judge's own arrays (numerical_gradient perturbs x
        in place, and a check looks at x after the call)."""
        if len(indices) != len(arrays):
            raise ProtocolError("argument arrays were not sent back")
        for mine, index in zip(arrays, indices):
            theirs = load_npy(blobs[int(index)])
            if theirs.shape == mine.shape and theirs.dtype.kind in "biuf":
                mine[...] = theirs
            else:  # reshaped or retyped in place: the caller sees a changed array
                mine[...] = np.nan if mine.dtype.kind == "f" else -1

    def _answer(self, request: dict, blobs: list[bytes]) -> None:
        """Run one of the check's own functions for the student's code."""
        from bpkit.checks.core import quietly

        reply_blobs: list[bytes] = []
        try:
            function = self.callbacks[int(request["id"])]
            args = [self.data_only.decode(a, blobs) for a in request.get("args", [])]
            with quietly():
                value = function(*args)
            reply = {"ok": True, "value": self.codec.encode(value, reply_blobs)}
        except ProtocolError:
            raise
        except Exception as exc:  # e.g. f called with an array of the wrong shape
            reply_blobs = []
            reply = {"ok": False, "error": error_info(exc)}
        try:
            send(self.sock, reply, reply_blobs)
        except OSError:
            raise _gone_stopped() from None


class Judge:
    """Serve checks for one submission on ``directory/judge.sock``.

    verdicts: check name -> every verdict given for it, in order.
    timeout: seconds to wait for each answer from the sandbox.
    """

    def __init__(self, directory: Path, timeout: float = CALL_TIMEOUT):
        self.directory, self.timeout = Path(directory), timeout
        self.path = str(self.directory / "judge.sock")
        self.verdicts: dict[str, list[Verdict]] = {}
        self.refused: list[str] = []  # requests that named no known check
        self._checks = check_names()
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
        self._thread.join(timeout=self.timeout + 5)

    def _serve(self) -> None:
        while not self._stopping.is_set():
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
        if header.get("op") != "check" or not _NAME.match(name) or name not in self._checks:
            self.refused.append(name)
            send(sock, {"op": "verdict", "passed": False, "message": f"unknown check {name!r}", "notes": ""})
            return
        connection = _Connection(sock, self.timeout)
        verdict = self.run(name, Remote(connection, 0, "object"))
        self.verdicts.setdefault(name, []).append(verdict)
        try:
            send(sock, {"op": "verdict", **verdict.to_dict()})
        except OSError:
            pass

    def run(self, name: str, student) -> Verdict:
        """Run check `name` against `student` (a Remote) and return the verdict."""
        from bpkit.checks.core import CheckFailure, collecting_notes

        notes: list[str] = []
        try:
            with collecting_notes(notes):
                self._checks[name](student)
        except CheckFailure as exc:
            return Verdict(False, str(exc), "\n".join(notes))
        except SandboxGone as exc:
            en, ja = (exc.args + ("", ""))[:2]
            return Verdict(False, f"The grader stopped checking: {en}.\n採点を中断しました：{ja}。\n[sandbox]",
                           "\n".join(notes))
        except Exception as exc:  # should not happen: report, never crash the judge
            return Verdict(False, f"The check could not finish ({type(exc).__name__}: {exc}).\n"
                                  f"チェックを完了できませんでした（{type(exc).__name__}: {exc}）。\n[judge_error]",
                           "\n".join(notes))
        return Verdict(True, "", "\n".join(notes))
