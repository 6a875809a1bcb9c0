# based on: aoki
# pattern: Affine.forward computes np.dot(x, self.X): capital X for the weights self.W, so
#   forward raises AttributeError and nothing after it runs (backward never gets an x).
# source: o93/aizero affine.py
# should say: "Affine.forward raised AttributeError: Affine has no attribute X: the weights
#   are self.W." /
#   「Affine.forward で AttributeError が発生しました。Affine に X という属性はありません。重みは self.W です。」
# graded as: the code cannot run: each cell names the line and the AttributeError (no suggestion: `X` could mean x or W)
# expect: affine_forward_computes_xW_plus_b raised
# expect: affine_backward_dx_is_dout_times_W_transposed raised
# expect: affine_backward_dW_is_x_transposed_times_dout raised
# expect: affine_backward_db_sums_dout_over_the_batch raised
# expect: affine_handles_image_shaped_input raised

# %% Affine
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
        out = np.dot(x, self.X) + self.b
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)
