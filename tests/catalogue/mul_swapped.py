# based on: aoki
# swapped inputs in backward
# expect: mul_layer_backward_gives_each_input_the_other mul.swapped

# %% MulLayer
class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        return dout * self.x, dout * self.y
