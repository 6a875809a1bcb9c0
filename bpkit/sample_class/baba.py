# based on: solution
# A cell Baba has no code for (a behaviour added to the course later) is the instructor's solution.
# Baba writes correct code that looks nothing like the book: loops, einsum,
# np.clip, np.where, np.mean, Python floats, own attribute names, and an inline
# sigmoid that overflows (with a RuntimeWarning) for x near -1000.
# Expected: full marks.

# %% softmax
def softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)

# %% cross_entropy_error
def cross_entropy_error(y, t):
    y2 = np.atleast_2d(y)
    n = y2.shape[0]
    if np.size(t) == y2.size:
        labels = np.reshape(t, y2.shape).argmax(axis=1)
    else:
        labels = np.reshape(t, (n,))
    losses = [-np.log(np.clip(y2[i, labels[i]], 1e-7, None)) for i in range(n)]
    return float(np.mean(losses))

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.empty(x.shape)
    for idx in np.ndindex(*x.shape):
        keep = float(x[idx])
        x[idx] = keep + h
        up = f(x)
        x[idx] = keep - h
        down = f(x)
        x[idx] = keep
        grad[idx] = (up - down) / (2 * h)
    return grad

# %% MulLayer
class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.a, self.b = x, y
        return np.multiply(x, y)

    def backward(self, dout):
        return np.multiply(dout, self.b), np.multiply(dout, self.a)

# %% AddLayer
class AddLayer:
    def __init__(self):
        pass

    def forward(self, x, y):
        return np.add(x, y)

    def backward(self, dout):
        return dout, dout

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, 0.0)

    def backward(self, dout):
        return dout * self.positive

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.saved = 1.0 / (1.0 + np.exp(-x))
        return self.saved

    def backward(self, dout):
        return dout * self.saved * (1.0 - self.saved)

# %% Affine
class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.in_shape = x.shape
        self.flat = x.reshape(len(x), -1)
        return np.einsum("nd,dm->nm", self.flat, self.W) + self.b

    def backward(self, dout):
        dW = np.zeros_like(self.W, dtype=float)
        for n in range(dout.shape[0]):
            dW += np.outer(self.flat[n], dout[n])
        self.dW = dW
        self.db = dout.sum(0)
        return np.matmul(dout, self.W.T).reshape(self.in_shape)

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.probs = softmax(x)
        n, c = self.probs.shape
        self.target = t if t.shape == self.probs.shape else np.eye(c)[t]
        self.loss = cross_entropy_error(self.probs, self.target)
        return self.loss

    def backward(self, dout=1):
        return dout * (self.probs - self.target) / len(self.probs)

# %% TwoLayerNet
# The two-layer network, written differently from the book: default_rng, a dict and
# OrderedDict(keyword=...), reversed(), np.mean, Python floats, a dict() of grads. Expected: full marks.
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        rng = np.random.default_rng()
        self.params = {
            "W1": rng.standard_normal((input_size, hidden_size)) * weight_init_std,
            "b1": np.zeros(hidden_size),
            "W2": rng.standard_normal((hidden_size, output_size)) * weight_init_std,
            "b2": np.zeros(output_size),
        }
        self.layers = OrderedDict(
            Affine1=Affine(self.params["W1"], self.params["b1"]),
            Relu1=Relu(),
            Affine2=Affine(self.params["W2"], self.params["b2"]),
        )
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        out = x
        for name in self.layers:
            out = self.layers[name].forward(out)
        return out

    def loss(self, x, t):
        return float(self.lastLayer.forward(self.predict(x), t))

    def accuracy(self, x, t):
        labels = t if t.ndim == 1 else t.argmax(axis=-1)
        return float(np.mean(self.predict(x).argmax(axis=-1) == labels))

    def numerical_gradient(self, x, t):
        f = lambda _: self.loss(x, t)
        return {key: numerical_gradient(f, self.params[key]) for key in ("W1", "b1", "W2", "b2")}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward()
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        first, second = self.layers["Affine1"], self.layers["Affine2"]
        return dict(W1=first.dW, b1=first.db, W2=second.dW, b2=second.db)
