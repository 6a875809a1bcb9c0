# based on: aoki
# pattern: weight decay (chapter 6) added to the loss, 0.5 * lambda * sum(W ** 2) for W1 and W2, while
#   gradient still backpropagates the plain loss. The loss cell names the extra term; the gradient is
#   right; the SGD cell excuses the term (graded in the loss cell).
# source: a Japanese learner's two_layer_net.py in the code index with weight_decay_lambda=0.1 and
#   __weight_decay() added in loss (file 10989649510, repository not named)
# expect: net_loss_cross_entropy net.loss_weight_decay

# %% TwoLayerNet
class TwoLayerNet:

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, weight_decay_lambda=0.1):
        self.weight_decay_lambda = weight_decay_lambda
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W2'], self.params['b2'])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def _decay(self):
        total = 0.0
        for key in ('W1', 'W2'):
            total += 0.5 * self.weight_decay_lambda * np.sum(self.params[key] ** 2)
        return total

    def loss(self, x, t):
        y = self.predict(x)
        return self.lastLayer.forward(y, t) + self._decay()

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W2'], grads['b2'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads
