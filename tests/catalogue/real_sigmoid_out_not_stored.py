# based on: aoki
# pattern: Sigmoid.forward returns 1 / (1 + exp(-x)) but never saves it in self.out, so
#   backward computes with self.out = None and raises TypeError.
# source: code-index search result for "class Sigmoid ... self.out" (a learner's sigmoid layer
#   module; the index does not name its repository)
# should say: "Sigmoid.backward uses self.out, but forward never saved it (it is still None):
#   in forward, store the output with self.out = out before returning it." /
#   「Sigmoid.backward が self.out を使っていますが、forward で保存されていません（None のままです）。forward で
#   self.out = out として出力を保存してから返してください。」
# graded as: names the line that raised (self.out is None)
# expect: sigmoid_backward_uses_the_output raised

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = sigmoid(x)
        return out

    def backward(self, dout):
        dx = dout * self.out * (1 - self.out)
        return dx
