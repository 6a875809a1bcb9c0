# based on: aoki
# pattern: `def backword(self, dout=1):` (backward misspelt): forward works, backward is
#   missing under its real name.
# source: tetuyoko/dl softmax_withloss.py
# should say: "SoftmaxWithLoss has no method backward, but it has backword: a typo? Rename it
#   def backward(self, dout=1):." /
#   「SoftmaxWithLoss に backward メソッドがありませんが、backword があります。つづりの間違いでは？
#   def backward(self, dout=1): に直してください。」
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N method_name_typo

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backword(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx
