# based on: aoki
# pattern: the one-hot formula with delta = 1e-7 in a variable and the 1-D reshape, but no branch for
#   integer labels: labels of shape (N,) multiply y as if they were one-hot.
# source: KazukiEguchi/CNN loss_func.py
# expect: cross_entropy_accepts_integer_labels cee.one_hot_only

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, -1)
        y = y.reshape(1, -1)
    batch_size = y.shape[0]
    delta = 1e-7
    return -np.sum(t * np.log(y + delta)) / batch_size
