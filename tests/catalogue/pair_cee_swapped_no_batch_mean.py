# based on: aoki
# pattern: the signature is (t, y) and the loss is the sum over the batch (no / batch_size): two
#   mistakes graded in the one-hot cell, named together (issue 23); the cells for labels and single samples grade neither.
# source: issue 21 (pairs of mistakes in one function); the swap as in real_cee_swapped_arguments
# expect: cross_entropy_one_hot_matches_book_examples cee.swapped_arguments cee.no_batch_mean

# %% cross_entropy_error
def cross_entropy_error(t, y):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7))
