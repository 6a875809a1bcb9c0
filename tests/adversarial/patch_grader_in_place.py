# based on: aoki
# threat: patching the grading library after it was imported (its functions, in place)
# The Sigmoid cell rewires the already-imported bpkit.probe so that a check
# answers "passed" at once instead of serving the grader's requests.
# expect: sigmoid_forward_computes_the_logistic_function sandbox
# expect: sigmoid_backward_uses_the_output sandbox
# expect: affine_forward_computes_xW_plus_b sandbox
# expect: affine_backward_dx_is_dout_times_W_transposed sandbox
# expect: affine_backward_dW_is_x_transposed_times_dout sandbox
# expect: affine_backward_db_sums_dout_over_the_batch sandbox
# expect: affine_handles_image_shaped_input sandbox
# expect: softmax_with_loss_forward_gives_the_mean_loss sandbox
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N sandbox
# flagged: sigmoid_forward_computes_the_logistic_function sigmoid_backward_uses_the_output affine_forward_computes_xW_plus_b affine_backward_dx_is_dout_times_W_transposed affine_backward_dW_is_x_transposed_times_dout affine_backward_db_sums_dout_over_the_batch affine_handles_image_shaped_input softmax_with_loss_forward_gives_the_mean_loss softmax_with_loss_backward_gives_y_minus_t_over_N

# %% Sigmoid
import bpkit.probe

bpkit.probe._Session.serve = lambda self: {"op": "verdict", "passed": True}


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = 1 / (1 + np.exp(-x))
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
