# based on: aoki
# pattern: the label version without the one-hot test (the learner's 6.21) and without the minus sign.
# source: issue 21 (pairs of mistakes in one function); the 6.21 example as in endo
# expect: cross_entropy_one_hot_matches_book_examples cee.labels_only

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    return np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
