# based on: aoki
# the layers reversed with [::-1], np.mean for the accuracy, labels taken with argmax(axis=-1),
# the gradient dict built in a loop over the Affine layers

# %% TwoLayerNet
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = np.random.randn(input_size, hidden_size) * weight_init_std
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = np.random.randn(hidden_size, output_size) * weight_init_std
        self.params['b2'] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W2'], self.params['b2'])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        h = x
        for layer in list(self.layers.values()):
            h = layer.forward(h)
        return h

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        if t.ndim == 2:
            t = t.argmax(axis=-1)
        return np.mean(np.argmax(self.predict(x), axis=-1) == t)

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t)
        return {k: numerical_gradient(loss_W, self.params[k]) for k in ('W1', 'b1', 'W2', 'b2')}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in list(self.layers.values())[::-1]:
            dout = layer.backward(dout)
        grads = {}
        for i in (1, 2):
            grads[f'W{i}'] = self.layers[f'Affine{i}'].dW
            grads[f'b{i}'] = self.layers[f'Affine{i}'].db
        return grads
