# based on: aoki
# pattern: the label version keeps the `t *` of the one-hot version:
#   -np.sum(t * np.log(y[np.arange(N), t] + 1e-7)) / N, so each sample's loss is weighted by
#   its label number (class 0 counts for nothing); reported for issue #11, a merge of the two
#   book versions.
# source: reported in issue #11 (both book versions side by side studied in
#   Shaw622/Deep_Learning Chapter4/batch&cross_entropy.py)
# should say: "cross_entropy_error both picks the true class with y[np.arange(N), t] and
#   multiplies by t: with labels that weights each sample by its class number. Use one or the
#   other, not both." /
#   「cross_entropy_error が y[np.arange(N), t] で正解クラスを取り出したうえで、さらに t を掛けています。ラベルの
#   場合、各サンプルがクラス番号で重み付けされてしまいます。どちらか一方だけを使ってください。」
# expect: cross_entropy_one_hot_matches_book_examples cee.index_and_multiply

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(t * np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
