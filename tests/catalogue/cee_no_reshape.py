# based on: aoki
# no reshape for a single sample (the learner's IndexError)
# expect: cross_entropy_accepts_single_sample cee.no_reshape_1d

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
