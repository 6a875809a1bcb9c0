# based on: aoki
# pattern: dx = np.dot(dout, self.x.T): the input x where the weights W belong (x and W
#   mixed up when "transposing the other one"); with dout (N, M) and x.T (D, N) it only runs
#   when M == D and then gives an (N, N) array. (The learner's file also forgot `return dx`;
#   here only the x-for-W slip is kept.)
# source: code-index file 17813575627 (a learner's ch5 layer file with MulLayer and Affine,
#   main1/main2; the index does not name its repository)
# should say: "Affine.backward uses x.T instead of W.T for dx: dx = dout @ W.T has x's shape
#   (N, D); x.T belongs in dW = x.T @ dout." /
#   「Affine.backward の dx で W.T ではなく x.T を使っています。dx = dout @ W.T で、x と同じ形状 (N, D) です。
#   x.T を使うのは dW = x.T @ dout のほうです。」
# graded as: the message names the line that raised (the reshape of a dx of the wrong shape) and the input shape; dW and db, stored before the error, are graded on their own
# expect: affine_backward_dx_is_dout_times_W_transposed raised

# %% Affine
class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        out = np.dot(x, self.W) + self.b
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.x.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
        return dx
