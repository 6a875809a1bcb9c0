# based on: aoki
# pattern: Relu.forward stores its mask in self.x (`self.x = (x <= 0)`) but then uses
#   self.mask, still None: out[None] = 0 zeroes EVERYTHING, and backward's dout[None] = 0 too,
#   so forward and backward both return all zeros.
# source: Jang-Boa/DL-from-Scratch Activation/relu.py
# should say: "Relu saves its mask as self.x but reads self.mask, which is still None, and
#   out[None] = 0 sets every element to 0. Save it as self.mask = (x <= 0)." /
#   「Relu がマスクを self.x に保存していますが、読んでいるのは None のままの self.mask です。out[None] = 0 は
#   すべての要素を 0 にします。self.mask = (x <= 0) として保存してください。」
# graded as: both passes return zeros (self.mask stays None); each cell says the answer is all zeros
# expect: relu_forward_zeroes_non_positive_inputs wrong_values
# expect: relu_backward_masks_gradient wrong_values

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.x = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        dx = dout
        return dx
