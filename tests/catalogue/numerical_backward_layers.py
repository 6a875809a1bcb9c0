# based on: aoki
# pattern: every backward pass computed with the given common/gradient.py numerical_gradient (central
#   differences of the layer's own forward pass) instead of a formula: no backpropagation at all.
# source: issue 20 ("Decide, with evidence: backprop must be earned": 41/41 before)
# expect: mul_layer_backward_gives_each_input_the_other finite_differences
# expect: add_layer_passes_dout_to_both_inputs finite_differences
# expect: relu_backward_masks_gradient finite_differences
# expect: sigmoid_backward_uses_the_output finite_differences
# expect: affine_backward_dx_is_dout_times_W_transposed finite_differences
# expect: affine_backward_dW_is_x_transposed_times_dout finite_differences
# expect: affine_backward_db_sums_dout_over_the_batch finite_differences
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N finite_differences

# %% MulLayer
class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = np.array(x, dtype=float)
        self.y = np.array(y, dtype=float)
        return x * y

    def backward(self, dout):
        dx = numerical_gradient(lambda x_: np.sum(x_ * self.y * dout), self.x.copy())
        dy = numerical_gradient(lambda y_: np.sum(self.x * y_ * dout), self.y.copy())
        return dx, dy

# %% AddLayer
class AddLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = np.array(x, dtype=float)
        self.y = np.array(y, dtype=float)
        return x + y

    def backward(self, dout):
        dx = numerical_gradient(lambda x_: np.sum((x_ + self.y) * dout), self.x.copy())
        dy = numerical_gradient(lambda y_: np.sum((self.x + y_) * dout), self.y.copy())
        return dx, dy

# %% Relu
class Relu:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x.copy()
        return np.maximum(x, 0)

    def backward(self, dout):
        return numerical_gradient(lambda x_: np.sum(np.maximum(x_, 0) * dout), self.x.copy())

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x.copy()
        return sigmoid(x)

    def backward(self, dout):
        return numerical_gradient(lambda x_: np.sum(sigmoid(x_) * dout), self.x.copy())

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
        x, W, b = self.x.copy(), self.W.copy(), self.b.copy()
        dx = numerical_gradient(lambda x_: np.sum((np.dot(x_, W) + b) * dout), x.copy())
        self.dW = numerical_gradient(lambda W_: np.sum((np.dot(x, W_) + b) * dout), W.copy())
        self.db = numerical_gradient(lambda b_: np.sum((np.dot(x, W) + b_) * dout), b.copy())
        return dx.reshape(*self.original_x_shape)

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.x = None
        self.t = None

    def forward(self, x, t):
        self.x = x.copy()
        self.t = t
        self.loss = cross_entropy_error(softmax(x), t)
        return self.loss

    def backward(self, dout=1):
        return numerical_gradient(lambda x_: cross_entropy_error(softmax(x_), self.t) * dout, self.x.copy())
