# based on: aoki
# pattern: dx = dout @ W (no transpose) and dW divided by the batch size; dW and db are stored before
#   dx is computed, so they can be graded whatever dx does.
# source: issue 21 (pairs of mistakes in one class); affine_dx_uses_W and affine_dW_divided_by_N
# expect: affine_backward_dx_is_dout_times_W_transposed affine.dx_uses_W
# expect: affine_backward_dW_is_x_transposed_times_dout affine.dW_divided_by_N

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
        self.dW = np.dot(self.x.T, dout) / dout.shape[0]
        self.db = np.sum(dout, axis=0)
        dx = np.dot(dout, self.W)
        return dx.reshape(*self.original_x_shape)
