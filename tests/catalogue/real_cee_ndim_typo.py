# based on: aoki
# pattern: `if y.nidm == 1:` (ndim misspelt): every call raises AttributeError before any
#   loss is computed; otherwise the book's label version.
# source: moons-14/scratch-deep-learning functions/cross_entropy_error.py
# should say: "AttributeError: arrays have no attribute nidm: did you mean y.ndim?" /
#   「AttributeError: 配列に nidm という属性はありません。y.ndim のつもりではありませんか？」
# expect: cross_entropy_one_hot_matches_book_examples attribute_typo
# expect: cross_entropy_accepts_integer_labels attribute_typo
# expect: cross_entropy_accepts_single_sample attribute_typo
# expect: cross_entropy_finite_for_zero_probability attribute_typo
# expect: cross_entropy_does_not_modify_inputs attribute_typo

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.nidm == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    delta = 1e-7
    return -np.sum(np.log(y[np.arange(batch_size), t] + delta)) / batch_size
