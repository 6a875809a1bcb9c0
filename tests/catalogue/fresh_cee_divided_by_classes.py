# based on: aoki
# pattern: the book's labels formula divided by y.shape[1] (the number of classes) instead of the batch
#   size y.shape[0]: an axis slip no mistake model covers. The loss is right only where N == C, so the
#   batch cells say what they observed, including the input it is right for (a claim the catalogue's
#   "right for" test evaluates on this code); the single-sample cell excuses it (for N = 1 it is the mean
#   over classes, graded in the one-hot cell).
# source: learners' cross_entropy_error with batch_size taken from the wrong axis, as in the
#   shape-printing functions of a Japanese learner's notebook in the code index (y.shape and t.shape
#   printed before the loss); the rest is the book's function
# expect: cross_entropy_one_hot_matches_book_examples wrong_values
# expect: cross_entropy_accepts_integer_labels wrong_values

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    n = y.shape[0]
    classes = y.shape[1]
    return -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / classes
