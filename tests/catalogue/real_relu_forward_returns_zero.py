# based on: aoki
# pattern: Relu.forward computes out correctly and ends with `return 0` (a slip for
#   `return out`); backward is the book's.
# source: yoshinGO/deep-learning-from-scratch ch05/relu.py
# should say: "Relu.forward returns the number 0, not the array out: end forward with
#   `return out`." /
#   「Relu.forward が配列 out ではなく数 0 を返しています。forward の最後は `return out` にしてください。」
# graded as: said exactly: shape () where (5,) was expected
# expect: relu_forward_zeroes_non_positive_inputs wrong_shape

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return 0

    def backward(self, dout):
        dout[self.mask] = 0
        dx = dout
        return dx
