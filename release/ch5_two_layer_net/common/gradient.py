"""Numerical gradient from chapter 4 (as in the book's common/gradient.py),
and the book's gradient check, one line per parameter."""
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


def compare_gradients(backprop, numerical):
    """The book's gradient_check.py: for each parameter, the mean of
    |backprop - numerical|, one line each ("OK / 一致" below 1e-6: a correct
    gradient is about 1e-7 off here).  Each shape is checked first, and a
    gradient of the wrong shape is named, with the parameter whose shape it has.

    - backprop: the dict net.gradient(x, t) returned.
    - numerical: the dict net.numerical_gradient(x, t) returned.
    """
    if not isinstance(backprop, dict):
        print(f"gradient returned {type(backprop).__name__}, not a dict / "
              f"gradient の戻り値が辞書ではなく {type(backprop).__name__} です")
        return
    for key, numeric in numerical.items():
        got = backprop.get(key)
        if got is None:
            print(f"{key}: missing from the dict gradient returned / gradient が返した辞書に {key} がありません")
        elif np.shape(got) != numeric.shape:
            like = ", ".join(k for k, v in numerical.items() if k != key and v.shape == np.shape(got))
            print(f"{key}: its gradient has shape {np.shape(got)}, but {key} has shape {numeric.shape}"
                  + (f" ({np.shape(got)} is the shape of {like})" if like else "")
                  + f" / {key} の勾配の形状が {np.shape(got)} ですが、{key} の形状は {numeric.shape} です"
                  + (f"（{np.shape(got)} は {like} の形状です）" if like else ""))
        else:
            diff = float(np.average(np.abs(np.asarray(got, dtype=float) - numeric)))
            verdict = "OK / 一致" if diff < 1e-6 else "differs / 不一致"
            print(f"{key}: {verdict} (mean |backprop - numerical| = {diff:.1e})")
