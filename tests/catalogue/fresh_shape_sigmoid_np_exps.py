# based on: aoki
# pattern: np.exps for np.exp in Sigmoid.forward: both Sigmoid cells raise AttributeError.
# source: aruzei/python-tour is cited already; here TheYankkk/DL_learn BP_MNIST.py (layers written in
#   the net's own file) and the np.exp of the book's sigmoid, misspelt as reported in issue 23
# expect: sigmoid_forward_computes_the_logistic_function attribute_typo
# expect: sigmoid_backward_uses_the_output attribute_typo

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = 1 / (1 + np.exps(-x))
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
