# based on: aoki
# threat: sandbox resources outside its caps (host memory filled through /dev, /dev/shm, memfd, shared memory)
# softmax is wrong; the cell tries to put ~1 GB of host memory into files in
# /dev and /dev/shm (an unsized tmpfs would take it, past the kernel's
# address-space limit), and into memfd files and System V shared memory,
# reports how much it managed, and frees it again.
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values

# %% softmax
import ctypes
import errno
import os

FILLED = {}
_CHUNK = b"x" * (1 << 20)


def _fill(label, folder, total=1 << 30, per_file=60 << 20):
    written, outcome, index = 0, "1 GB", 0
    try:
        while written < total:
            with open(os.path.join(folder, f"fill{index}"), "wb") as f:
                for _ in range(per_file >> 20):
                    f.write(_CHUNK)
                    f.flush()
                    written += len(_CHUNK)
            index += 1
    except OSError as exc:
        outcome = errno.errorcode.get(exc.errno, str(exc))
    for i in range(index + 1):
        try:
            os.unlink(os.path.join(folder, f"fill{i}"))
        except OSError:
            pass
    FILLED[label] = [written, outcome]


_fill("/dev", "/dev")
_fill("/dev/shm", "/dev/shm")
try:
    _fds = []
    for _ in range(16):
        _fds.append(os.memfd_create("fill"))
        os.write(_fds[-1], _CHUNK * 60)
    FILLED["memfd"] = [len(_fds) * (60 << 20), "1 GB"]
except OSError as exc:
    FILLED["memfd"] = [0, errno.errorcode.get(exc.errno, str(exc))]
finally:
    for _fd in _fds:
        os.close(_fd)
_libc = ctypes.CDLL(None, use_errno=True)
_shm = _libc.shmget(0, ctypes.c_size_t(1 << 30), 0o1600)
FILLED["shmget"] = [0, "created" if _shm >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")]
if _shm >= 0:
    _libc.shmctl(_shm, 0, None)  # IPC_RMID
print("FILLED:", FILLED)


def softmax(x):
    return x
