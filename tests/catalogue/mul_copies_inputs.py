# based on: aoki
# pattern: forward keeps copies, self.x = x.copy(): fine for arrays, AttributeError for the book's Python
#   numbers (MulLayer().forward(100, 2) in the apple example).
# source: issue 21 (a visible example's assertion no hidden check made)
# expect: mul_layer_backward_gives_each_input_the_other raised

# %% MulLayer
class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x.copy()
        self.y = y.copy()
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x
