# based on: aoki
# threat: changing the grader's inputs in place (zero x, y and dout, then return the right answer for zeros)
# MulLayer and AddLayer zero the arrays they are given (all but the visible
# examples' numbers and (2,)-arrays, which they compute honestly) and return
# the "right" answer for the zeroed arrays. The old judge mirrored the zeros
# back into its own inputs and computed the expected values after the call:
# full marks. Now the grader passes copies and computes every expected value
# from its own arrays, so both cells are lost.
# expect: mul_layer_backward_gives_each_input_the_other wrong_values
# expect: add_layer_passes_dout_to_both_inputs wrong_values

# %% MulLayer
def _zero(*arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and a.shape != (2,):
            a *= 0


class MulLayer:
    def forward(self, x, y):
        _zero(x, y)
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        _zero(dout)
        return dout * self.y, dout * self.x

# %% AddLayer
class AddLayer:
    def forward(self, x, y):
        _zero(x, y)
        return x + y

    def backward(self, dout):
        _zero(dout)
        return dout, dout
