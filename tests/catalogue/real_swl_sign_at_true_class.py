# based on: aoki
# pattern: the label path written `dx[np.arange(batch_size), self.t] -= -1` (a minus too
#   many: it ADDS 1 at the true class), one-hot targets turned into labels first so both
#   forms go through it; reported for issue #11.
# source: reported in issue #11 (the book's label path studied in leejw51/BumblebeeNet
#   SimpleDeepLearning/SoftmaxLayer.py; no public repository found with this slip)
# should say: "SoftmaxWithLoss.backward has the sign flipped at the true class: it adds 1
#   there instead of subtracting it. dx = (y - t) / N, i.e. dx[np.arange(N), t] -= 1." /
#   「SoftmaxWithLoss.backward の正解クラスの位置で符号が逆になっています。1 を引くところで 1 を足しています。
#   dx = (y - t) / N、つまり dx[np.arange(N), t] -= 1 です。」
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N swl.sign_at_true_class

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

    def backward(self, dout=1):
        t = self.t
        if t.size == self.y.size:
            t = t.argmax(axis=1)
        batch_size = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch_size), t] -= -1
        return dx / batch_size
