# based on: aoki
# pattern: SoftmaxWithLoss with its own softmax method: the chapter-3 softmax (one max and
#   one sum over the whole batch) instead of common/functions.py's. (The learner's class also
#   had its own one-hot-only cross_entropy_error; here the loss and backward are the book's,
#   so the whole-batch softmax is the only mistake.)
# source: code-index search result for "class SoftmaxWithLoss ... def softmax(self,x):
#   np_max = np.max(x)" (a learner's layer file; the index does not name its repository)
# should say: "SoftmaxWithLoss uses a softmax that normalises over the whole batch (np.max(x)
#   and np.sum without axis): each row of y must sum to 1, so use axis=-1, keepdims=True
#   (or the softmax from common.functions)." /
#   「SoftmaxWithLoss の softmax がバッチ全体で正規化しています（axis なしの np.max(x) と np.sum）。y の各行の和が 1
#   になるよう axis=-1, keepdims=True を使ってください（または common.functions の softmax を使ってください）。」
# expect: softmax_with_loss_forward_gives_the_mean_loss swl.softmax_whole_batch

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def softmax(self, x):
        m = np.max(x)
        e = np.exp(x - m)
        return e / np.sum(e)

    def forward(self, x, t):
        y = self.softmax(x)
        loss = cross_entropy_error(y, t)
        self.t = t
        self.y = y
        self.loss = loss
        return loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx
