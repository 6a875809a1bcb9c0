# based on: aoki
# returns only dx
# expect: mul_layer_backward_gives_each_input_the_other not_a_pair

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
        return dout * self.y
