"""Layers with forward/backward passes (book chapter 5).

One layer is one small class; state cached by forward for backward is set to
None in __init__.  Shapes use N for the batch size, D for input features and
M for output features.
"""
import numpy as np

from reference.functions import cross_entropy_error, sigmoid, softmax

__all__ = ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"]


class MulLayer:
    """out = x * y (scalars or arrays of the same shape)."""

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        """Returns (dx, dy) = (dout * y, dout * x): each input gets the other."""
        return dout * self.y, dout * self.x


class AddLayer:
    """out = x + y."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        """Returns (dx, dy) = (dout, dout): addition passes the gradient on."""
        return dout * 1, dout * 1


class Relu:
    """out = max(0, x) elementwise."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        """x: array of any shape (not modified). Returns out of x's shape."""
        self.mask = x <= 0
        return np.where(self.mask, 0, x)

    def backward(self, dout):
        """dout: upstream gradient of x's shape. Returns dx; dout is not modified."""
        return np.where(self.mask, 0, dout)


class Sigmoid:
    """out = 1 / (1 + exp(-x)) elementwise."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        """dx = dout * y * (1 - y), using the cached forward output y."""
        return dout * self.out * (1.0 - self.out)


class Affine:
    """out = x @ W + b, each sample of x flattened to a row first.

    - W: weights of shape (D, M).
    - b: bias of shape (M,).
    """

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        """x: shape (N, D) or (N, d1, ..., dk) with d1*...*dk = D. Returns (N, M)."""
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        """dout: shape (N, M).

        Sets self.dW (D, M) and self.db (M,); returns dx of x's original shape.
        """
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy loss."""

    def __init__(self):
        self.y = None
        self.t = None
        self.loss = None

    def forward(self, x, t):
        """x: scores (N, C); t: one-hot (N, C) or labels (N,). Returns the loss."""
        self.y = softmax(x)
        self.t = t
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout=1):
        """Returns dx of shape (N, C): dout * (y - t) / N."""
        n = self.y.shape[0]
        t = self.t
        if t.shape != self.y.shape:
            t = np.eye(self.y.shape[1])[t]
        return dout * (self.y - t) / n
