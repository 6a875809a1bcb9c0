# based on: aoki
# pattern: the second book's layer style: Affine keeps self.params = [W, b] and writes its gradients into
#   self.grads = [dW, db] (self.grads[0][...] = dW), so self.dW and self.db, which this book's
#   interface and TwoLayerNet.gradient read, never exist.
# source: learners' Affine layers in the code index with self.params = [W, b] and
#   self.grads = [np.zeros_like(W), np.zeros_like(b)] (comman.functions imports; repositories not named)
# expect: affine_backward_dW_is_x_transposed_times_dout affine.grads_in_list
# expect: affine_backward_db_sums_dout_over_the_batch affine.grads_in_list

# %% Affine
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None
        self.shape = None

    def forward(self, x):
        self.shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        W, b = self.params
        return np.dot(x, W) + b

    def backward(self, dout):
        W, b = self.params
        dx = np.dot(dout, W.T)
        self.grads[0][...] = np.dot(self.x.T, dout)
        self.grads[1][...] = np.sum(dout, axis=0)
        return dx.reshape(*self.shape)
