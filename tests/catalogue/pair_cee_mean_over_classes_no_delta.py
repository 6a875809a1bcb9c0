# based on: aoki
# pattern: two of the notebook's own listed traps at once: np.mean(t * log y) divides by N*C, and there
#   is no 1e-7 inside the log. Each costs points in its own cell, for every student id.
# source: issue 21 (the notebook that scored 9, 9, 9, 9, 10, 9 under six student ids)
# expect: cross_entropy_one_hot_matches_book_examples cee.mean_over_classes
# expect: cross_entropy_finite_for_zero_probability cee.no_delta

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size != y.size:
        t = np.eye(y.shape[1])[t]
    return -np.mean(t * np.log(y))
