# based on: aoki
# pattern: the learner's signature is (t, y) (teacher first) while every caller writes
#   cross_entropy_error(y, t): the probabilities land in t, the targets in y, the ndim test
#   runs on the wrong array and argmax picks the PREDICTED class.
# source: reported in issue #11 (the book's body studied in fangdol888/deep-learning-practice
#   chapter4/cross_entropy_error_not_one_hot_coding.py; no public repository found with this
#   exact swap)
# should say: "cross_entropy_error(y, t) treats its first argument as the targets: the
#   arguments are swapped. The first is y (probabilities), the second t (targets)." /
#   「cross_entropy_error(y, t) が第 1 引数を教師データとして扱っています（引数の順番が逆です）。第 1 引数が y（確率）、
#   第 2 引数が t（教師データ）です。」
# expect: cross_entropy_one_hot_matches_book_examples cee.swapped_arguments

# %% cross_entropy_error
def cross_entropy_error(t, y):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
