# based on: aoki
# threat: answers that skip the computation (issue 20): every pass returns the right shape filled with one
#   entry of its input, and Affine stores dW and db of the right shapes the same way
# Each uses its input and has the right shape, but computes nothing: every grade cell must be lost.
# expect: mul_layer_backward_gives_each_input_the_other wrong_values
# expect: add_layer_passes_dout_to_both_inputs wrong_values
# expect: relu_forward_zeroes_non_positive_inputs wrong_values
# expect: relu_backward_masks_gradient wrong_values
# expect: sigmoid_forward_computes_the_logistic_function wrong_values
# expect: sigmoid_backward_uses_the_output wrong_values
# expect: affine_forward_computes_xW_plus_b wrong_values
# expect: affine_backward_dx_is_dout_times_W_transposed wrong_values
# expect: affine_backward_dW_is_x_transposed_times_dout wrong_values
# expect: affine_backward_db_sums_dout_over_the_batch wrong_values
# expect: affine_handles_image_shaped_input wrong_values
# expect: softmax_with_loss_forward_gives_the_mean_loss wrong_values
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N wrong_values

# %% MulLayer
class MulLayer:
    def forward(self, x, y):
        self.x = x
        return x * 0 + np.ravel(x)[0]

    def backward(self, dout):
        return dout * 0 + np.ravel(dout)[0], dout * 0 + np.ravel(dout)[0]

# %% AddLayer
class AddLayer:
    def forward(self, x, y):
        return x * 0 + np.ravel(y)[0]

    def backward(self, dout):
        return dout * 0 + np.ravel(dout)[-1], dout * 0 + np.ravel(dout)[-1]

# %% Relu
class Relu:
    def forward(self, x):
        return np.full(np.shape(x), np.ravel(x)[1])

    def backward(self, dout):
        return np.full(np.shape(dout), np.ravel(dout)[1])

# %% Sigmoid
class Sigmoid:
    def forward(self, x):
        return np.full(np.shape(x), np.ravel(x)[1])

    def backward(self, dout):
        return np.full(np.shape(dout), np.ravel(dout)[1])

# %% Affine
class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.original_x_shape = x.shape
        return np.full((x.shape[0], self.W.shape[1]), np.ravel(x)[1])

    def backward(self, dout):
        self.dW = np.full(self.W.shape, np.ravel(dout)[1])
        self.db = np.full(self.b.shape, np.ravel(dout)[1])
        return np.full(self.original_x_shape, np.ravel(dout)[1])

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def forward(self, x, t):
        self.x = x
        return np.ravel(x)[1]

    def backward(self, dout=1):
        return np.full(np.shape(self.x), np.ravel(self.x)[1])
