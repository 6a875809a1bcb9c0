# based on: aoki
# np.where and a private attribute name

# %% Relu
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self._keep = x > 0
        return np.where(self._keep, x, 0)

    def backward(self, dout):
        return np.where(self._keep, dout, 0)
