"""What a hidden test cell calls: ``check("ch4.softmax_1d", softmax)``.

This is the only part of bpkit a student's kernel can import when grading
runs sandboxed (see bpkit.isolation.sandbox): it needs nothing but the standard library
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

The messages are bpkit.judging.wire's (the sandbox shows that file too).
"""
from __future__ import annotations

import os
import socket
import warnings

import numpy as np

from bpkit.judging.wire import (ENV, MAX_ITEMS, MAX_KEY, CheckFailure, Codec, ProtocolError, error_info, exception_from,
                                npy, receive, send)

__all__ = ["check", "ask_judge", "CheckFailure", "NOT_PASSED"]




#: What a failed cell shows while the notebook runs: the judge tells the
#: sandbox pass or fail only; the grading side replaces this with the
#: judge's diagnosis in the graded notebook and the feedback.
NOT_PASSED = ("This cell did not pass the grader's check; the reason is added when grading finishes.\n"
              "このセルは採点プログラムのチェックに合格しませんでした。理由は採点の終了時に追記されます。\n"
              "[judged]")




# ----------------------------------------------------------------- wire ---







# ---------------------------------------------------------------- values ---













# ----------------------------------------------------- the student's side ---

class _Session:
    """One check, served on one connection: the student's objects live
    here, the judge refers to them by number."""

    def __init__(self, sock: socket.socket, root):
        self.sock = sock
        self.objects = {0: root}
        # arrays and dicts the judge passed in, mirrored back after each answer: (value, the dict's
        # entries as given, to tell an array changed in place from a rebound key)
        self.slots: list[tuple] = []
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

    def _sync(self, blobs: list) -> list:
        """The arguments the judge passed, as they are now: an array as the
        index of its blob, a dict as its entries [key, value, whether it is
        the value the judge sent] (see bpkit.judging.wire)."""
        synced = []
        for value, given in self.slots:
            if isinstance(value, np.ndarray):
                blobs.append(npy(np.asarray(value)))
                synced.append(len(blobs) - 1)
                continue
            items = []
            for key in list(value)[:MAX_ITEMS]:
                try:
                    key = _item_key(key)
                except TypeError:
                    continue  # a key that cannot cross: the judge sees the entry deleted
                items.append([key, self.codec.encode(value[key], blobs, 1), key in given and value[key] is given[key]])
            synced.append({"t": "dict", "items": items})
        return synced

    def _decode_args(self, specs, blobs):
        values = [self.codec.decode(s, blobs) for s in specs]
        for value in values:
            if isinstance(value, np.ndarray):
                value.flags.writeable = True
                self.slots.append((value, None))
            elif type(value) is dict:
                self.slots.append((value, dict(value)))
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
                    elif request["op"] == "keys":  # a dict's keys, in order (net.layers' names)
                        value = _keys(target)
                    else:
                        args = self._decode_args(request.get("args", []), blobs)
                        value = target(*args, **_keywords(request.get("kwargs")))
                reply = {"ok": True, "value": self.codec.encode(value, reply_blobs)}
            except Exception as exc:  # the student's exception, reported by name
                reply_blobs = []
                reply = {"ok": False, "error": error_info(exc)}
            reply["sync"] = self._sync(reply_blobs)
            send(self.sock, reply, reply_blobs)




def _keywords(kwargs) -> dict:
    """The keyword arguments of a call: identifiers to plain numbers, at most 8."""
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict) or len(kwargs) > 8 or not all(
            isinstance(k, str) and k.isidentifier() and len(k) <= 40 and isinstance(v, (int, float))
            and not isinstance(v, bool) for k, v in kwargs.items()):
        raise TypeError("keyword arguments are identifiers with plain numbers")
    return dict(kwargs)


def _keys(target) -> list:
    """The keys of a dict (or OrderedDict) in their order: strings and small
    integers as they are, anything else by its type's name; at most MAX_ITEMS."""
    if not isinstance(target, dict):
        raise TypeError(f"a {type(target).__name__} has no keys")
    keys = []
    for key in list(target.keys())[:MAX_ITEMS]:
        try:
            keys.append(_item_key(key))
        except TypeError:
            keys.append(f"<{type(key).__name__[:40]}>")
    return keys


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
