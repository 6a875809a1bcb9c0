# based on: aoki
# pattern: dW = dout.T @ x and db = np.sum(dout) over every element.
# source: issue 21 (pairs of mistakes in one class); fujita's Affine
# expect: affine_backward_dW_is_x_transposed_times_dout affine.dW_transposed
# expect: affine_backward_db_sums_dout_over_the_batch affine.db_sum_all

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
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(dout.T, self.x)
        self.db = np.sum(dout)
        return dx.reshape(*self.original_x_shape)
