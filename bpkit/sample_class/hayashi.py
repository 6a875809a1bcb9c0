# based on: aoki
# Hayashi's notebook is broken in places: a syntax error in the Sigmoid cell
# (so Sigmoid is never defined) and a cross-entropy that divides by the number
# of elements and uses log10.

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    picked = y[np.arange(y.shape[0]), t]
    return -np.sum(np.log10(picked + 1e-7)) / y.shape[0]

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x)
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)

# %% TwoLayerNet
# The two-layer network: loss reuses the scores of an earlier predict (stale state), and the
# layers are built from copies of params, so in-place SGD updates never reach them.
class TwoLayerNet:

    def __init__(self, input_size, hidden_size, output_size, weight_init_std = 0.01):
        # 重みの初期化
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size) 
        self.params['b2'] = np.zeros(output_size)

        # レイヤの生成
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'].copy(), self.params['b1'].copy())
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W2'].copy(), self.params['b2'].copy())

        self.lastLayer = SoftmaxWithLoss()
        self.scores = None
        
    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        self.scores = x
        return x
        
    # x:入力データ, t:教師データ
    def loss(self, x, t):
        if self.scores is None:  # predict once, then reuse the scores
            self.predict(x)
        return self.lastLayer.forward(self.scores, t)
    
    def accuracy(self, x, t):
        y = self.predict(x)
        y = np.argmax(y, axis=1)
        if t.ndim != 1 : t = np.argmax(t, axis=1)
        
        accuracy = np.sum(y == t) / float(x.shape[0])
        return accuracy
        
    # x:入力データ, t:教師データ
    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t)
        
        grads = {}
        grads['W1'] = numerical_gradient(loss_W, self.params['W1'])
        grads['b1'] = numerical_gradient(loss_W, self.params['b1'])
        grads['W2'] = numerical_gradient(loss_W, self.params['W2'])
        grads['b2'] = numerical_gradient(loss_W, self.params['b2'])
        
        return grads
        
    def gradient(self, x, t):
        # forward
        self.loss(x, t)

        # backward
        dout = 1
        dout = self.lastLayer.backward(dout)
        
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)

        # 設定
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W2'], grads['b2'] = self.layers['Affine2'].dW, self.layers['Affine2'].db

        return grads
