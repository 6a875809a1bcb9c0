# based on: aoki
# pattern: correct but slow: Affine's forward and backward written with pure Python loops over every
#   element (no @, no np.dot, no np.sum).
# source: issue 21 (correct-but-slow implementations must pass with a wide margin)

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
        n, d = self.x.shape
        m = self.W.shape[1]
        out = np.zeros((n, m))
        for i in range(n):
            for j in range(m):
                total = self.b[j]
                for k in range(d):
                    total += self.x[i, k] * self.W[k, j]
                out[i, j] = total
        return out

    def backward(self, dout):
        n, d = self.x.shape
        m = self.W.shape[1]
        dx = np.zeros((n, d))
        self.dW = np.zeros((d, m))
        self.db = np.zeros(m)
        for i in range(n):
            for j in range(m):
                self.db[j] += dout[i, j]
                for k in range(d):
                    dx[i, k] += dout[i, j] * self.W[k, j]
                    self.dW[k, j] += self.x[i, k] * dout[i, j]
        return dx.reshape(*self.original_x_shape)
