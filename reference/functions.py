"""Activation and loss functions (book chapters 3-4)."""
import numpy as np

__all__ = ["sigmoid", "softmax", "cross_entropy_error"]

#: Added inside the log so that a zero probability gives a large, finite loss.
DELTA = 1e-7


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), computed without overflow.

    Inputs:
    - x: array of any shape.

    Returns:
    - y: array of x's shape with values in [0, 1].
    """
    x = np.asarray(x, dtype=np.float64)
    # exp(-log(1 + exp(-x))) never overflows: logaddexp is stable for |x| ~ 1e3.
    return np.exp(-np.logaddexp(0.0, -x))


def softmax(x):
    """Softmax over the last axis.

    Inputs:
    - x: scores of shape (C,) or (N, C).

    Returns:
    - y: probabilities of x's shape; every row sums to 1.
    """
    x = np.asarray(x, dtype=np.float64)
    shifted = x - np.max(x, axis=-1, keepdims=True)  # exp(<= 0) cannot overflow
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """Mean cross-entropy -log(y[true class] + 1e-7) over the batch.

    Inputs:
    - y: predicted probabilities of shape (C,) or (N, C).
    - t: either one-hot targets of y's shape, or integer labels of shape (N,)
      (a single integer label, shape () or (1,), when y has shape (C,)).

    Returns:
    - loss: a scalar, the average over the N samples. y and t are not modified.
    """
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.size == y.size else t.reshape(1)
    labels = t.argmax(axis=1) if t.shape == y.shape else t.astype(np.intp)
    n = y.shape[0]
    return -np.mean(np.log(y[np.arange(n), labels] + DELTA))
