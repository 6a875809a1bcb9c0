"""Numerical gradient from chapter 4 and a gradient check for your layers."""
import numpy as np


def numerical_gradient(f, x):
    """Central-difference gradient of the scalar function f at x (any shape)."""
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad


def gradient_check(name, analytic, forward, x, dout=1.0):
    """Assert that `analytic` is the gradient of sum(forward(x) * dout) with respect to x.

    - name: what is checked, e.g. "Relu dx" (used in the message).
    - analytic: your backward pass's gradient, same shape as x.
    - forward: function of x returning the layer's output (or a scalar loss).
    - x: float array; perturbed in place by numerical_gradient and restored.
    - dout: the upstream gradient that produced `analytic`.

    The central difference with h = 1e-4 is accurate to about 1e-8 here, so
    the check allows 1e-7 absolute plus 1e-5 relative; a real mistake is off
    by far more.
    """
    numeric = numerical_gradient(lambda x_: np.sum(forward(x_) * dout), x)
    assert np.shape(analytic) == np.shape(numeric), (
        f"{name}: shape {np.shape(analytic)} but the gradient has shape {np.shape(numeric)} / "
        f"{name} の形状が {np.shape(analytic)} ですが、勾配の形状は {np.shape(numeric)} です")
    err = float(np.max(np.abs(np.asarray(analytic, dtype=float) - numeric)))
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-7), (
        f"{name} differs from the numerical gradient by up to {err:.1e} / "
        f"{name} と数値微分の差が最大 {err:.1e} あります\n"
        f"backward:  {np.round(analytic, 5)}\nnumerical: {np.round(numeric, 5)}")
