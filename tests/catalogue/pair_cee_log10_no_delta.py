# based on: aoki
# pattern: log10 instead of the natural log, and no 1e-7 inside it.
# source: issue 21 (pairs of mistakes in one function); log10 as in hayashi, no 1e-7 as in goto
# expect: cross_entropy_one_hot_matches_book_examples cee.log10
# expect: cross_entropy_finite_for_zero_probability cee.no_delta

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log10(y[np.arange(batch_size), t])) / batch_size
