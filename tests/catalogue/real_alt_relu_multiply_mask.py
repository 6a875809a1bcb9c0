# based on: aoki
# pattern: correct but different: forward keeps the input itself (self.x) and returns
#   np.maximum(0, x); backward multiplies dout by the boolean (self.x > 0). No self.mask at all.
#   Must get full marks.
# source: radu-dumitru/cnn-cifar-10 src/relu.py

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, d_out):
        return d_out * (self.x > 0)
