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
    """Compare `analytic` with the gradient of sum(forward(x) * dout) and
    print one line: "OK / 一致" when they agree, else what differs.

    - name: what is checked, e.g. "Relu dx" (starts the line).
    - analytic: your backward pass's gradient, same shape as x.
    - forward: function of x returning the layer's output (or a scalar loss).
    - x: float array; perturbed in place by numerical_gradient and restored.
    - dout: the upstream gradient that produced `analytic`.

    The shape is checked first, then the values: the central difference with
    h = 1e-4 is accurate to about 1e-8 here, so the check allows 1e-7
    absolute plus 1e-5 relative; a real mistake is off by far more.  It
    prints and never raises, so a cell can check every gradient in turn.
    """
    numeric = numerical_gradient(lambda x_: np.sum(forward(x_) * dout), x)
    if analytic is None:
        print(f"{name}: None (not computed, or not stored on self) / "
              f"{name} が None です（計算されていないか、self に保存されていません）")
    elif np.shape(analytic) != numeric.shape:
        print(f"{name}: shape {np.shape(analytic)}, but the gradient has shape {numeric.shape} / "
              f"{name} の形状が {np.shape(analytic)} ですが、勾配の形状は {numeric.shape} です")
    else:
        err = float(np.max(np.abs(np.asarray(analytic, dtype=float) - numeric), initial=0.0))
        if np.allclose(analytic, numeric, rtol=1e-5, atol=1e-7):
            print(f"{name}: OK / 一致 (largest difference / 最大の差 {err:.1e})")
        else:
            print(f"{name}: differs from the numerical gradient by up to {err:.1e} / "
                  f"{name} と数値微分の差が最大 {err:.1e} あります\n"
                  f"  backward:  {np.round(analytic, 5)}\n  numerical: {np.round(numeric, 5)}")
