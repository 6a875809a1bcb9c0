# based on: aoki
# pattern: backward returns y - t for every target: no division by the batch size, and labels are
#   subtracted as if they were one-hot. Both are graded in the backward cell, which names both (issue 23:
#   the labels' exception and the one-hot values are weighed together).
# source: issue 21 (pairs of mistakes in one class); swl_one_hot_only and swl_no_batch_mean
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
        return self.y - self.t
