# based on: aoki
# the @ operator, np.matmul and np.einsum

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
        self._shape = x.shape
        self._flat = x.reshape(len(x), -1)
        return self._flat @ self.W + self.b

    def backward(self, dout):
        self.dW = np.einsum("nd,nm->dm", self._flat, dout)
        self.db = dout.sum(axis=0)
        return np.matmul(dout, self.W.T).reshape(self._shape)
