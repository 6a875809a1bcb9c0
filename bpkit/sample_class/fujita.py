# based on: aoki
# Fujita gets the chapter 5 layers subtly wrong: an inverted ReLU mask, the
# input x in the sigmoid derivative, a transposed dW and db summed over
# everything.

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[~self.mask] = 0
        return dx

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.x = x
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)

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
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(dout.T, self.x)
        self.db = np.sum(dout)
        return dx.reshape(*self.original_x_shape)
