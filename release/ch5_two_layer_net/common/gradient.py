"""Numerical gradient from chapter 4 (as in the book's common/gradient.py)."""
import numpy as np


def numerical_gradient(f, x):
    """Central-difference gradient of the scalar function f at x (any shape).

    Each element of x is changed in place, f(x) is evaluated and the element
    is restored, so f may ignore its argument and read x through a closure
    (f = lambda W: net.loss(x, t) with x = net.params['W1']).
    """
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad
