# based on: aoki
# masks where dout <= 0
# expect: relu_backward_masks_gradient relu.mask_from_dout

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
        dx = dout.copy()
        dx[dout <= 0] = 0
        return dx
