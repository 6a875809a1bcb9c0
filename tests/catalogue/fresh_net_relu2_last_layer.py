# based on: aoki
# pattern: a second ReLU after Affine2 in the layers (lower-case keys affine1, relu1, affine2, relu2),
#   and the loss layer kept as self.last_layer: the scores reach SoftmaxWithLoss clipped at 0. Every
#   method is consistent with that network; the structure is graded once, in the init cell.
# source: a learner's TwoLayerNet(Module) in the code index with layers affine1, relu1, affine2, relu2
#   and last_layer (repository not named); the conv nets' 'Relu2' blocks copied into a two-layer net
# expect: net_init_params_and_scale net.extra_layer

# %% TwoLayerNet
class TwoLayerNet:

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers['affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['relu1'] = Relu()
        self.layers['affine2'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['relu2'] = Relu()
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {'W1': self.layers['affine1'].dW, 'b1': self.layers['affine1'].db,
                'W2': self.layers['affine2'].dW, 'b2': self.layers['affine2'].db}
