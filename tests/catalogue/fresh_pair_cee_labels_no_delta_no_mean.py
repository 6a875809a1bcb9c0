# based on: aoki
# pattern: the labels formula without the 1e-7 and without / batch_size: one mistake for the
#   zero-probability cell, one for the one-hot cell.
# source: code-index search result for "maybe y and t are batch" (a learner's functions.py with
#   softmax and cross_entropy_error for batches, repository not named)
# expect: cross_entropy_one_hot_matches_book_examples cee.no_batch_mean
# expect: cross_entropy_finite_for_zero_probability cee.no_delta

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t]))
