# based on: aoki
# pattern: `-np.sum(t + np.log(y + delta))`: + typed where the book has *, so the one-hot
#   targets are added to the log-probabilities instead of selecting one of them; from a
#   learner's loss-function library (batch version here, labels handled correctly).
# source: kyog02/DeepLearningStudy loss_func_library.py
# should say: "cross_entropy_error adds t to log(y) (t + np.log(y)) instead of multiplying:
#   the loss is -sum(t * log(y + 1e-7)) / N." /
#   「cross_entropy_error が log(y) に t を掛けずに足しています（t + np.log(y)）。損失は
#   -sum(t * log(y + 1e-7)) / N です。」
# expect: cross_entropy_one_hot_matches_book_examples cee.plus_instead_of_times

# %% cross_entropy_error
def cross_entropy_error(y, t):
    delta = 1e-7
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    if t.size == y.size:  # one-hot
        return -np.sum(t + np.log(y + delta)) / batch_size
    return -np.sum(np.log(y[np.arange(batch_size), t] + delta)) / batch_size
