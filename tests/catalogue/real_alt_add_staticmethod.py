# based on: aoki
# pattern: correct but different: AddLayer's forward and backward as @staticmethod (no state
#   is needed), backward returning dout twice without `* 1`. Must get full marks.
# source: SysuJayce/Deep-Learning-From-Scratch (layer_naive.py, AddLayer with @staticmethod)

# %% AddLayer
class AddLayer:
    def __init__(self):
        pass

    @staticmethod
    def forward(x, y):
        return x + y

    @staticmethod
    def backward(dout):
        return dout, dout
