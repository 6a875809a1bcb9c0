"""Numerical differentiation (book chapter 4)."""
import numpy as np

__all__ = ["numerical_gradient", "H"]

#: Step of the central difference.  Much smaller steps lose the difference
#: f(x+h) - f(x-h) to float64 rounding; much larger ones to truncation error.
H = 1e-4


def numerical_gradient(f, x, h=H):
    """Gradient of a scalar function by central differences.

    Each element of x is perturbed in place, f(x) is evaluated, and the element
    is restored, so f may ignore its argument and read x through a closure
    (f = lambda w: net.loss(x, t) with x = net.W).

    Inputs:
    - f: callable taking x and returning a scalar.
    - x: float array of any shape; unchanged on return.
    - h: the step (the book's interface has only f and x; the checks use a
      smaller step in float64 for tighter gradient checks).

    Returns:
    - grad: array of x's shape, d f / d x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
