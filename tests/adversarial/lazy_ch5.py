# based on: aoki
# threat: doing nothing (empty classes, passes that return zeros or their input)
# None of these compute anything; every grade cell of the notebook must be lost.
# expect: mul_layer_backward_gives_each_input_the_other missing_method
# expect: add_layer_passes_dout_to_both_inputs missing_method
# expect: relu_forward_zeroes_non_positive_inputs wrong_values
# expect: relu_backward_masks_gradient relu.no_mask
# expect: sigmoid_forward_computes_the_logistic_function wrong_values
# expect: sigmoid_backward_uses_the_output wrong_values
# expect: affine_forward_computes_xW_plus_b wrong_values
# expect: affine_backward_dx_is_dout_times_W_transposed wrong_values
# expect: affine_backward_dW_is_x_transposed_times_dout wrong_values
# expect: affine_backward_db_sums_dout_over_the_batch wrong_values
# expect: affine_handles_image_shaped_input wrong_values
# expect: softmax_with_loss_forward_gives_the_mean_loss returned_none
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N returned_none

# %% MulLayer
class MulLayer:
    pass

# %% AddLayer
class AddLayer:
    pass

# %% Relu
class Relu:
    def forward(self, x):
        return x

    def backward(self, dout):
        return dout

# %% Sigmoid
class Sigmoid:
    def forward(self, x):
        return np.zeros_like(x)

    def backward(self, dout):
        return np.zeros_like(dout)

# %% Affine
class Affine:
    def __init__(self, W, b):
        self.dW = np.zeros_like(W)
        self.db = np.zeros_like(b)

    def forward(self, x):
        return np.zeros((x.shape[0], self.db.size))

    def backward(self, dout):
        return np.zeros_like(dout)

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def forward(self, x, t):
        pass

    def backward(self, dout=1):
        pass
