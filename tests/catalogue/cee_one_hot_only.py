# based on: aoki
# the learner's one-hot version, given integer labels
# expect: cross_entropy_accepts_integer_labels cee.one_hot_only

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    return -np.sum(t * np.log(y + 1e-7)) / batch_size
