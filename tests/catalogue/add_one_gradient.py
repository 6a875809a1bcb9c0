# based on: aoki
# returns only dout once
# expect: add_layer_passes_dout_to_both_inputs not_a_pair

# %% AddLayer
class AddLayer:
    def __init__(self):
        pass

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout
