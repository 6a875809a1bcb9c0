# based on: aoki
# pattern: dW computed as dout.T @ x (transposed) and averaged over the batch: two mistakes in one
#   line, both graded in the dW cell.
# source: a learner's Affine in the code index with dx = np.dot(dout, self.x.T) (repository not named;
#   the slip of the transposed product); the / N as in sample fujita
# expect: affine_backward_dW_is_x_transposed_times_dout affine.dW_transposed affine.dW_divided_by_N

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
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        n = dout.shape[0]
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(dout.T, self.x) / n
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)
