# based on: aoki
# backward returns the forward output
# expect: relu_backward_masks_gradient relu.returns_forward_output

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, dout):
        return self.out
