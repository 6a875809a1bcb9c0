# based on: aoki
# threat: names in the notebook namespace shadowed (np, abs, float, all, max, isinstance, ...)
# softmax forgets the exponential; then the cell rebinds every name a test
# written in the notebook would compare with, so `assert np.allclose(...)`
# and friends always pass.
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values

# %% softmax
import numpy


def softmax(x):
    return x / numpy.sum(x, axis=-1, keepdims=True)


class _YesNumpy:
    """numpy, except that every comparison says yes."""

    def __getattr__(self, name):
        return getattr(numpy, name)

    allclose = staticmethod(lambda *a, **k: True)
    isclose = staticmethod(lambda *a, **k: numpy.bool_(True))
    array_equal = staticmethod(lambda *a, **k: True)


np = _YesNumpy()
abs = lambda *a, **k: 0.0
all = lambda *a, **k: True
any = lambda *a, **k: False
max = lambda *a, **k: 0.0
float = lambda *a, **k: 0.0
isinstance = lambda *a, **k: True
AssertionError = type("AssertionError", (Exception,), {})
