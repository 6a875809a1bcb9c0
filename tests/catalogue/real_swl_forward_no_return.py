# based on: aoki
# pattern: SoftmaxWithLoss.forward sets self.loss and forgets `return self.loss`, so forward
#   gives None; backward (which only needs self.y and self.t) is right.
# source: czh9919/Study-notes Deep_Learning/SoftmaxWithLoss.py;
#   JbnuLikelionforPytorch/JJH_DEEPLEARNING 1-Chap.5/backpg_softmaxloss.py
# should say: "SoftmaxWithLoss.forward returned None: did you forget `return self.loss`?" /
#   「SoftmaxWithLoss.forward が None を返しました。`return self.loss` を書き忘れていませんか？」
# expect: softmax_with_loss_forward_gives_the_mean_loss returned_none

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

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx
