# based on: aoki
# pattern: `def backward(self.dout):` (a dot for the comma) in the Affine class: the whole
#   class cell is a SyntaxError, Affine is never defined, and every later cell that uses it
#   fails with NameError.
# source: o93/aizero affine.py (def backward(self.dout)); haneda0628/deep_learing src/DLbase.py
#   (def forward(self.x))
# should say (each Affine grade cell): "an earlier cell failed with SyntaxError (the Affine
#   cell): Affine was never defined. Fix that cell first." /
#   「前のセル（Affine のセル）が SyntaxError で失敗したため、Affine が定義されていません。まずそのセルを直してください。」
# expect: affine_forward_computes_xW_plus_b earlier_cell_failed
# expect: affine_backward_dx_is_dout_times_W_transposed earlier_cell_failed
# expect: affine_backward_dW_is_x_transposed_times_dout earlier_cell_failed
# expect: affine_backward_db_sums_dout_over_the_batch earlier_cell_failed
# expect: affine_handles_image_shaped_input earlier_cell_failed

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
        return np.dot(x, self.W) + self.b

    def backward(self.dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)
