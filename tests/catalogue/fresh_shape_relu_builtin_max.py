# based on: aoki
# pattern: the scalar ReLU of chapter 3 in the layer, max(0, x): Python's built-in max compares the
#   whole array with 0, which NumPy refuses. Both ReLU cells call forward.
# source: Jang-Boa/DL-from-Scratch is cited already; the scalar relu(x) = max(0, x) of learners'
#   chapter-3 notes (freebz/Deep-Learning-from-Scratch ch03 style), used inside the layer as reported
#   in issue 23
# expect: relu_forward_zeroes_non_positive_inputs builtin_on_array
# expect: relu_backward_masks_gradient builtin_on_array

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        return max(0, x)

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
