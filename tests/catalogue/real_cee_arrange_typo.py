# based on: aoki
# pattern: `y[np.arrange(batch_size), t]` (arange misspelt as "arrange", as in English): the
#   label path raises AttributeError; here the one-hot targets are turned into labels first,
#   so every call reaches the typo.
# source: Shaw622/Deep_Learning Chapter4/batch&cross_entropy.py
# should say: "AttributeError: NumPy has no function arrange: the name is np.arange (one r)." /
#   「AttributeError: NumPy に arrange という関数はありません。正しくは np.arange（r は 1 つ）です。」
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
    return -np.sum(np.log(y[np.arrange(batch_size), t] + 1e-7)) / batch_size
