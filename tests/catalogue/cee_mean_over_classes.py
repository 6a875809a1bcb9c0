# based on: aoki
# np.mean(t * log y): divides by N*C
# expect: cross_entropy_one_hot_matches_book_examples cee.mean_over_classes

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size != y.size:
        t = np.eye(y.shape[1])[t]
    return -np.mean(t * np.log(y + 1e-7))
