# based on: aoki
# pattern: picks the true class with the label and multiplies by the label too, without 1e-7: a
#   label of 0 counts for nothing, a label of 1 for the right amount.
# source: issue 21 (the label-0 cases); the pattern of real_cee_index_and_multiply
# expect: cross_entropy_one_hot_matches_book_examples cee.index_and_multiply
# expect: cross_entropy_finite_for_zero_probability cee.no_delta

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(t * np.log(y[np.arange(batch_size), t])) / batch_size
