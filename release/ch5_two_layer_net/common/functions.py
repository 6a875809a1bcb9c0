"""Functions from chapters 3-4, given for chapter 5 (as in the book's common/functions.py)."""
import numpy as np


def sigmoid(x):
    # The book's formula. np.exp(-x) overflows (with a RuntimeWarning) for
    # x below about -709, but the result, 0.0, is still right.
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)  # guard against overflow
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:  # one-hot targets -> integer labels
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
