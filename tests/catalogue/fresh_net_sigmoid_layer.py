# based on: aoki
# pattern: the section 5.7 network built with a Sigmoid layer where the book has Relu1 (the section 4.5
#   network used sigmoid): layers Affine1, Sigmoid1, Affine2. Every method is consistent with that
#   network; the structure is graded once, in the init cell, which describes the layers built.
# source: lfkdsk/learning-ML deep-learn/ch04/two_layer_net_sample.py (the sigmoid hidden layer of 4.5);
#   a learner's layered net in the code index importing Sigmoid and SoftmaxWithLoss from its own files
#   (from sigmoid import Sigmoid; repository not named)
# expect: net_init_params_and_scale net.layer_structure

# %% TwoLayerNet
from common.layers import Sigmoid


class TwoLayerNet:

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['Sigmoid1'] = Sigmoid()
        self.layers['Affine2'] = Affine(self.params['W2'], self.params['b2'])
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
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W2'], grads['b2'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads
