# based on: aoki
# pattern: np.lof for np.log: every call raises AttributeError, in every cell. The hint must name the
#   NumPy function meant (the typo hint knew only array attributes and long names).
# source: Kazuki-Sano-0000/nyu-net koubaikoukahou.py (np.zerous_like: NumPy function typos in a
#   learner's chapter-4 file); the one-key slip log -> lof as reported in issue 23
# expect: cross_entropy_one_hot_matches_book_examples attribute_typo
# expect: cross_entropy_accepts_integer_labels attribute_typo
# expect: cross_entropy_accepts_single_sample attribute_typo
# expect: cross_entropy_finite_for_zero_probability attribute_typo
# expect: cross_entropy_does_not_modify_inputs attribute_typo

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.lof(y[np.arange(batch_size), t] + 1e-7)) / batch_size
