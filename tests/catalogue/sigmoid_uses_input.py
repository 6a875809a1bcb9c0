# based on: aoki
# derivative with x instead of y
# expect: sigmoid_backward_uses_the_output sigmoid.uses_input

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.x = x
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.x) * self.x
