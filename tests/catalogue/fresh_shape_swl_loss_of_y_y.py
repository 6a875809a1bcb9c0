# based on: aoki
# pattern: cross_entropy_error(self.y, self.y): an argument slip that makes the loss that of the
#   network's own prediction (t becomes argmax y); it is right only where every sample's true class
#   happens to be its highest score.
# source: Hirabayashi623/DeepLearning-Phython3- SoftmaxWithCrosslossLayer.py (forward passes t, not
#   self.t) and a learner's SoftmaxWithLoss in the code index (loss = cross_entropy_error(self.y,
#   self.t)); the doubled self.y as reported in issue 23
# expect: softmax_with_loss_forward_gives_the_mean_loss swl.loss_of_own_prediction

# %% SoftmaxWithLoss
class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.y)
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
