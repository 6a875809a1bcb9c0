# based on: aoki
# threat: memory bombs that multiply themselves (fork bombs: many processes, each under its own rlimits)
# A correct Relu whose forward pass also tries to start processes (fork,
# subprocess, multiprocessing) that would each hoard memory.  None may start;
# the score is not affected.

# %% Relu
import os
import subprocess


def _hoard():
    junk = [bytearray(1 << 30) for _ in range(2)]
    os._exit(0)


class Relu:
    forked = 0

    def __init__(self):
        self.mask = None

    def forward(self, x):
        for spawn in (os.fork, lambda: subprocess.Popen(["sleep", "60"]),
                      lambda: __import__("multiprocessing").Process(target=_hoard).start()):
            try:
                if spawn() == 0:
                    _hoard()
                Relu.forked += 1
            except OSError:
                pass
        print("FORKED:", Relu.forked)
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout
