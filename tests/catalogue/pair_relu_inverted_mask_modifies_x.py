# based on: aoki
# pattern: forward zeroes x itself (x[x <= 0] = 0) and backward zeroes where x > 0.
# source: issue 21 (pairs of mistakes in one class); relu_forward_modifies_x and relu_inverted_mask
# expect: relu_forward_zeroes_non_positive_inputs modified_input
# expect: relu_backward_masks_gradient relu.inverted_mask

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        x[self.mask] = 0
        return x

    def backward(self, dout):
        dx = dout.copy()
        dx[~self.mask] = 0
        return dx
