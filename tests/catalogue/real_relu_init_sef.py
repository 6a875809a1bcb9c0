# based on: aoki
# pattern: `def __init__(sef):` (self misspelt) with `self.mask = None` in the body: the class
#   defines fine, but Relu() raises NameError: name 'self' is not defined, so every use fails.
# source: yoshinGO/deep-learning-from-scratch ch05/relu.py
# should say: "Relu() raises NameError: name 'self' is not defined: __init__'s first parameter
#   is spelt sef. Write def __init__(self):." /
#   「Relu() で NameError（name 'self' is not defined）が発生します。__init__ の第 1 引数が sef になっています。
#   def __init__(self): と書いてください。」
# graded as: the code cannot run: both cells name the line `self.mask = None` and the NameError
# expect: relu_forward_zeroes_non_positive_inputs raised
# expect: relu_backward_masks_gradient raised

# %% Relu
class Relu:
    def __init__(sef):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
