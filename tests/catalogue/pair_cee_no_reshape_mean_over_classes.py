# based on: aoki
# pattern: one-hot conversion with np.eye and np.mean over every element, and no reshape for a single
#   sample: y of shape (C,) indexes as y[np.arange(1), t] and raises.
# source: issue 21 (pairs of mistakes in one function)
# expect: cross_entropy_one_hot_matches_book_examples cee.mean_over_classes
# expect: cross_entropy_accepts_single_sample cee.no_reshape_1d

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if t.size != y.size:
        t = np.eye(y.shape[1])[t]
    return -np.mean(t * np.log(y[np.arange(y.shape[0])] + 1e-7))
