# based on: aoki
# pattern: correct but slow: cross-entropy with Python loops and math.log, one sample at a time, for both
#   forms of t.
# source: issue 21 (correct-but-slow implementations must pass with a wide margin)

# %% cross_entropy_error
import math


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    total = 0.0
    for i in range(y.shape[0]):
        if t.size == y.size:
            label = 0
            for j in range(y.shape[1]):
                if t[i, j] > t[i, label]:
                    label = j
        else:
            label = int(t.reshape(-1)[i])
        total -= math.log(y[i, label] + 1e-7)
    return total / y.shape[0]
