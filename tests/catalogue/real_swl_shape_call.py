# based on: aoki
# pattern: `batch_size = self.t.shape(0)`: round brackets on the shape tuple, so backward
#   raises TypeError: 'tuple' object is not callable.
# source: tetuyoko/dl softmax_withloss.py
# should say: "SoftmaxWithLoss.backward calls self.t.shape(0), but shape is a tuple, not a
#   function: index it, self.t.shape[0]." /
#   「SoftmaxWithLoss.backward が self.t.shape(0) と書いていますが、shape は関数ではなくタプルです。
#   self.t.shape[0] と添字で取り出してください。」
# graded as: names the line `batch_size = self.t.shape(0)` and the TypeError
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N raised

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
        batch_size = self.t.shape(0)
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx
