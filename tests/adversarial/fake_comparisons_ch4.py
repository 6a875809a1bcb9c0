# based on: aoki
# threat: objects that fake comparisons (float and ndarray subclasses, __eq__, __array_ufunc__)
# cross_entropy_error returns a float whose comparisons are always true and
# whose differences are always 0; softmax returns an ndarray subclass that
# answers every ufunc and comparison with "equal".
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values
# expect: cross_entropy_one_hot_matches_book_examples wrong_values
# expect: cross_entropy_accepts_integer_labels wrong_values
# expect: cross_entropy_accepts_single_sample wrong_values
# expect: cross_entropy_finite_for_zero_probability constant
# expect: cross_entropy_does_not_modify_inputs constant

# %% softmax
class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc in (np.less, np.less_equal, np.equal, np.isclose, np.isfinite):
            return np.ones(np.shape(inputs[0]), dtype=bool)
        return np.zeros(np.shape(inputs[0]))

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.allclose, np.array_equal):
            return True
        return np.zeros(np.shape(args[0])) if args else 0.0


def softmax(x):
    return np.zeros(np.shape(x)).view(AlwaysEqual)

# %% cross_entropy_error
class Liar(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True
    __hash__ = float.__hash__

    def __sub__(self, other):
        return Liar(0.0)

    __rsub__ = __sub__

    def __abs__(self):
        return Liar(0.0)


def cross_entropy_error(y, t):
    return Liar(0.0)
