# based on: aoki
# threat: objects that fake comparisons (a number-like object with __eq__, an ndarray subclass)
# MulLayer returns an object equal to everything; Affine stores a dW whose
# comparisons always succeed.
# expect: mul_layer_backward_gives_each_input_the_other wrong_type
# expect: affine_backward_dW_is_x_transposed_times_dout wrong_values

# %% MulLayer
class Anything:
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        raise TypeError("no")

    def __float__(self):
        return 0.0

    def __iter__(self):
        return iter([Anything(), Anything()])

    def __len__(self):
        return 2


class MulLayer:
    def forward(self, x, y):
        return Anything()

    def backward(self, dout):
        return Anything(), Anything()

# %% Affine
class AlwaysClose(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.zeros(self.W.shape).view(AlwaysClose)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)
