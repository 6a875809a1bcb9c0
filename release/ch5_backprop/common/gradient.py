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


def relative_error(a, b):
    """Largest elementwise |a - b| / (|a| + |b|), ignoring elements where both are ~0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def gradient_check(name, analytic, forward, x, dout=1.0, tol=1e-6):
    """Assert that `analytic` is the gradient of sum(forward(x) * dout) with respect to x.

    - name: what is checked, e.g. "Relu dx" (used in the message).
    - analytic: your backward pass's gradient, same shape as x.
    - forward: function of x returning the layer's output (or a scalar loss).
    - x: float array; perturbed in place by numerical_gradient and restored.
    - dout: the upstream gradient that produced `analytic`.
    """
    numeric = numerical_gradient(lambda x_: np.sum(forward(x_) * dout), x)
    assert np.shape(analytic) == np.shape(numeric), (
        f"{name}: shape {np.shape(analytic)} but the gradient has shape {np.shape(numeric)} / "
        f"{name} の形状が {np.shape(analytic)} ですが、勾配の形状は {np.shape(numeric)} です")
    err = relative_error(analytic, numeric)
    assert err < tol, (
        f"{name}: relative error {err:.1e} against the numerical gradient (should be < {tol:.0e}) / "
        f"{name} と数値微分の相対誤差が {err:.1e} です（{tol:.0e} 未満になるはず）\n"
        f"backward: {np.round(analytic, 5)}\nnumerical: {np.round(numeric, 5)}")

