# based on: aoki
# pattern: the batch_size and return lines indented into the `if y.ndim == 1:` block: a single sample
#   gets its loss, a batch gets None. The batch cells (one-hot, labels) lose their points; the cells
#   about other behaviours judge the function on single samples.
# source: Shaw622/Deep_Learning is cited already; the same book function in mwtndmik-style files and in
#   KazukiEguchi/CNN loss_func.py, indented one level too far as reported in issue 23
# expect: cross_entropy_one_hot_matches_book_examples return_in_branch
# expect: cross_entropy_accepts_integer_labels return_in_branch

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
        if t.size == y.size:
            t = t.argmax(axis=1)
        batch_size = y.shape[0]
        return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
