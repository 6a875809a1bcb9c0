# based on: aoki
# pattern: a batch branch that is right and a vector branch `elif x.dim == 1:` (ndim
#   misspelt) that raises AttributeError, so softmax works for (N, C) and fails for (C,).
# source: yumatsui00/utils python/AI/common/functions.py
# should say: "softmax fails for a single vector (C,): AttributeError, arrays have no
#   attribute dim: did you mean x.ndim?" /
#   「1 本のベクトル (C,) で softmax が失敗します。AttributeError: 配列に dim という属性はありません。x.ndim の
#   つもりではありませんか？」
# graded as: NumPy typo: did you mean `ndim`? (the large-input cell excuses a failure on vectors only)
# expect: softmax_1d_matches_book_example attribute_typo

# %% softmax
def softmax(x):
    if x.ndim == 2:
        x = x - x.max(axis=1, keepdims=True)
        x = np.exp(x)
        x /= x.sum(axis=1, keepdims=True)
    elif x.dim == 1:
        x = x - np.max(x)
        x = np.exp(x) / np.sum(np.exp(x))
    return x
