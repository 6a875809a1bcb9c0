# based on: aoki
# pattern: the second book's style: self.layers is a plain list [Affine, Relu, Affine] and gradient reads
#   self.layers[0].dW; the network computes the right values, but net.layers is not the book's
#   OrderedDict of named layers. Graded once, in the init cell.
# source: the list-of-layers TwoLayerNet of a Korean learner in the code index (# TwoLayerNet의
#   params와 grads관리, repository not named), with ReLU as in this book
# expect: net_init_params_and_scale net.layer_names

# %% TwoLayerNet
class TwoLayerNet:

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)
        self.layers = [Affine(self.params['W1'], self.params['b1']), Relu(),
                       Affine(self.params['W2'], self.params['b2'])]
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        first, second = self.layers[0], self.layers[2]
        return {'W1': first.dW, 'b1': first.db, 'W2': second.dW, 'b2': second.db}
