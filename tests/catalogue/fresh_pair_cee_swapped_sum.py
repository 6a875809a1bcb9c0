# based on: aoki
# pattern: the one-hot formula only (t * log(y + 1e-7), no labels branch), no / batch_size, and the
#   parameters written in the other order, def cross_entropy_error(t, y): three mistakes in one function.
#   The one-hot cell grades two of them (the order and the missing mean), the labels cell the third.
# source: KazukiEguchi/CNN loss_func.py (the one-hot formula with the 1-D reshape);
#   lfkdsk/learning-ML deep-learn/ch04 (a learner's chapter-4 functions); the (t, y) order and the
#   missing mean together as described for the fresh set of issue 23
# expect: cross_entropy_one_hot_matches_book_examples cee.swapped_arguments cee.no_batch_mean
# expect: cross_entropy_accepts_integer_labels cee.one_hot_only

# %% cross_entropy_error
def cross_entropy_error(t, y):
    delta = 1e-7
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1)
    return -np.sum(t * np.log(y + delta))
