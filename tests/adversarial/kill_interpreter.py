# based on: aoki
# threat: killing the interpreter
# SoftmaxWithLoss.backward kills its own kernel when the grader calls it with
# a batch bigger than the visible example's.  The cells checked before keep
# their points.
# expect: softmax_with_loss_backward_gives_y_minus_t_over_N sandbox

# %% SoftmaxWithLoss
import os
import signal


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
        if self.y.shape[0] > 2:
            os.kill(os.getpid(), signal.SIGKILL)
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / batch_size
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size
