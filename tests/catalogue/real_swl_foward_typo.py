# based on: aoki
# pattern: SoftmaxWithLoss with `def foward(self, x, t):` (forward misspelt): the class has
#   no forward, so the layer cannot be used at all (backward needs forward's y and t).
#   (The learner's forward also lacked `return self.loss`; only the name slip is kept here.)
# source: JbnuLikelionforPytorch/JJH_DEEPLEARNING 1-Chap.5/backpg_softmaxloss.py
# should say: "SoftmaxWithLoss has no method forward, but it has foward: a typo? Rename it
#   def forward(self, x, t):." /
#   「SoftmaxWithLoss に forward メソッドがありませんが、foward があります。つづりの間違いでは？
#   def forward(self, x, t): に直してください。」
# expect: softmax_with_loss_forward_gives_the_mean_loss method_name_typo
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N method_name_typo

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def foward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx
