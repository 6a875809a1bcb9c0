# based on: aoki
# the layers are made first and params refers to their arrays (the same arrays, so in-place
# updates reach both); layers and grads built with dict literals

# %% TwoLayerNet
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.layers = OrderedDict([
            ('Affine1', Affine(weight_init_std * np.random.randn(input_size, hidden_size), np.zeros(hidden_size))),
            ('Relu1', Relu()),
            ('Affine2', Affine(weight_init_std * np.random.randn(hidden_size, output_size), np.zeros(output_size))),
        ])
        self.params = {'W1': self.layers['Affine1'].W, 'b1': self.layers['Affine1'].b,
                       'W2': self.layers['Affine2'].W, 'b2': self.layers['Affine2'].b}
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.lastLayer.forward(y, t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t)) / x.shape[0]

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t)
        return {key: numerical_gradient(loss_W, self.params[key]) for key in self.params}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward()
        for name in reversed(self.layers):
            dout = self.layers[name].backward(dout)
        a1, a2 = self.layers['Affine1'], self.layers['Affine2']
        return {'W1': a1.dW, 'b1': a1.db, 'W2': a2.dW, 'b2': a2.db}
