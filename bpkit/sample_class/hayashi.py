# based on: aoki
# Hayashi's notebook is broken in places: a syntax error in the Sigmoid cell
# (so Sigmoid is never defined) and a cross-entropy that divides by the number
# of elements and uses log10.

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    picked = y[np.arange(y.shape[0]), t]
    return -np.sum(np.log10(picked + 1e-7)) / y.shape[0]

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x)
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)
