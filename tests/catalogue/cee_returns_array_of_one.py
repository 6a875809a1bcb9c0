# based on: aoki
# pattern: np.sum(..., keepdims=True) returns the loss as an array of shape (1,), not one number: the
#   examples of the labels and single-sample cells assert np.ndim(e) == 0; the one-hot cell grades it.
# source: issue 21 (a visible example's assertion no hidden check made)
# expect: cross_entropy_one_hot_matches_book_examples wrong_type

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7), keepdims=True) / batch_size
