# based on: aoki
# pattern: the layers named 'Affine_1', 'ReLU', 'Affine_2' (and read back by those names in gradient):
#   the network is right, but not the book's layer names, which the init cell's example and the book's
#   gradient check read. Graded once, in the init cell.
# source: a learner's TwoLayerNet in the code index with self.layers['Relu'] = Relu() (np.sqrt(2 / n)
#   weights, repository not named); TheYankkk/DL_learn BP_MNIST.py (its own Relu class in the net's file)
# expect: net_init_params_and_scale net.layer_names

# %% TwoLayerNet
class TwoLayerNet:

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers['Affine_1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['ReLU'] = Relu()
        self.layers['Affine_2'] = Affine(self.params['W2'], self.params['b2'])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
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
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        first, second = self.layers['Affine_1'], self.layers['Affine_2']
        return {'W1': first.dW, 'b1': first.db, 'W2': second.dW, 'b2': second.db}
