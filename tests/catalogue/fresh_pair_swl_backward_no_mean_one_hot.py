# based on: aoki
# pattern: SoftmaxWithLoss.backward returns y - t: only one-hot targets work (labels of shape (N,) do not
#   broadcast against y) and the gradient is not divided by the batch size. Both are graded in the
#   backward cell, which must name both.
# source: Hirabayashi623/DeepLearning-Phython3- src/oreilly/my/common/layer/SoftmaxWithCrosslossLayer.py
#   (the one-hot-only backward); the missing / batch_size as in issue 23's fresh set
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N swl.one_hot_only swl.no_batch_mean

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
        dx = dout * (self.y - self.t)
        return dx
