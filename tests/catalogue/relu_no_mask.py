# based on: aoki
# returns dout unchanged
# expect: relu_backward_masks_gradient relu.no_mask

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        return dout
