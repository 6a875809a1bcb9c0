# based on: aoki
# threat: (detector) a later kernel of the same worker looks for what an earlier one left
# Graded after a_leave_behind in the same worker.  Its softmax cell looks for
# every trace a_leave_behind tries to leave and prints what it found; if it
# finds anything, its softmax turns wrong, so a leak would cost it points.
# Expected: full marks and "LEFTOVERS: []".

# %% softmax
import builtins
import glob
import os
import socket

LEFTOVERS = []
for _path in ["/tmp/bpkit-planted", os.path.expanduser("~/bpkit-planted"), "../bpkit-planted",
              "/run/kernels/bpkit-planted", "/run/bpkit-planted",
              os.path.expanduser("~/.ipython/profile_default/startup/00-planted.py")]:
    if os.path.exists(_path):
        LEFTOVERS.append(_path)
LEFTOVERS += [p for p in glob.glob("/tmp/*") + glob.glob(os.path.expanduser("~/*"))
              if "planted" in p and p not in LEFTOVERS]
try:
    _client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    _client.connect("\0bpkit-planted")
    LEFTOVERS.append("abstract socket")
except OSError:
    pass
if os.environ.get("BPKIT_PLANTED"):
    LEFTOVERS.append("environment")
if float(np.exp(np.zeros(1))[0]) != 1.0:
    LEFTOVERS.append("numpy patched")
if builtins.sum([1, 2]) != 3:
    LEFTOVERS.append("builtins patched")
_others = [e for e in os.listdir("/run/kernels") if e.startswith("k-")] if os.path.isdir("/run/kernels") else []
if _others:
    LEFTOVERS.append(f"other kernels' folders: {_others}")
print("LEFTOVERS:", LEFTOVERS)
print("WARM:", os.path.isdir("/run/kernels"))  # forked by the worker's nursery (a cold sandbox has /run/kernel.json)


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True) + (1.0 if LEFTOVERS else 0.0)
