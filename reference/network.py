"""The two-layer network (book sections 4.5 and 5.7), built from the layers.

``TwoLayerNet`` has the book's interface.  The checks mostly use the plain
functions below, which take the parameters as a dict (``W1``, ``b1``, ``W2``,
``b2``) and never keep state, so an expected value is a function of the
judge's own arrays only.
"""
from collections import OrderedDict

import numpy as np

from reference.functions import cross_entropy_error, softmax
from reference.gradient import numerical_gradient as _numerical_gradient
from reference.layers import Affine, Relu, SoftmaxWithLoss

__all__ = ["TwoLayerNet", "PARAMS", "predict", "loss", "gradient", "accuracy", "labels_of"]

#: The parameter names, in the order of the layers.
PARAMS = ("W1", "b1", "W2", "b2")


def labels_of(t):
    """Integer labels (N,) from labels or one-hot targets (N, C)."""
    t = np.asarray(t)
    return t.argmax(axis=1) if t.ndim == 2 else t.astype(np.intp)


def predict(params, x):
    """Scores (N, C): Affine -> ReLU -> Affine, no softmax."""
    h = np.maximum(x @ params["W1"] + params["b1"], 0)
    return h @ params["W2"] + params["b2"]


def loss(params, x, t):
    """Mean cross-entropy of softmax(predict(x)) (with the book's 1e-7)."""
    return float(cross_entropy_error(softmax(predict(params, x)), labels_of(t)))


def gradient(params, x, t):
    """The gradient of loss with respect to each parameter, by backpropagation."""
    n = x.shape[0]
    a1 = x @ params["W1"] + params["b1"]
    h = np.maximum(a1, 0)
    y = softmax(h @ params["W2"] + params["b2"])
    dscore = (y - np.eye(y.shape[1])[labels_of(t)]) / n
    dh = (dscore @ params["W2"].T) * (a1 > 0)
    return {"W1": x.T @ dh, "b1": dh.sum(axis=0), "W2": h.T @ dscore, "b2": dscore.sum(axis=0)}


def accuracy(params, x, t):
    """Fraction of samples whose highest score is the true class."""
    return float(np.mean(predict(params, x).argmax(axis=1) == labels_of(t)))


class TwoLayerNet:
    """input -> Affine1 -> Relu1 -> Affine2 -> SoftmaxWithLoss (book section 5.7)."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        self.params = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        # The layers hold the same arrays as params: an in-place update of
        # params (params[key] -= lr * grad[key]) reaches them.
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        return float(np.mean(y == labels_of(t)))

    def numerical_gradient(self, x, t):
        f = lambda _: self.loss(x, t)  # noqa: E731 -- the book's closure
        return {key: _numerical_gradient(f, self.params[key]) for key in PARAMS}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}
