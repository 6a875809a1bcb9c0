# based on: aoki
# pattern: Sigmoid written as statements only: forward stores self.out and backward computes
#   dx, but neither has a return, so both give None.
# source: bernard-choi/CS231n 2_Backpropagation_and_NN/Sigmoid.py
# should say (forward cell): "Sigmoid.forward returned None: did you forget `return out`?";
#   (backward cell): "Sigmoid.backward returned None: did you forget `return dx`?" /
#   「Sigmoid.forward が None を返しました。`return out` を書き忘れていませんか？」／
#   「Sigmoid.backward が None を返しました。`return dx` を書き忘れていませんか？」
#   Two slips of one kind, two cells: it is two missing returns, not one mistake.
# expect: sigmoid_forward_computes_the_logistic_function returned_none
# expect: sigmoid_backward_uses_the_output returned_none

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = sigmoid(x)
        self.out = out

    def backward(self, dout):
        dx = dout * (1.0 - self.out) * self.out
