# based on: aoki
# pattern: softmax written for batches only with axis=1 (keepdims=True): a single score
#   vector (C,) has no axis 1 and raises AxisError; max subtracted per row, so large scores
#   are fine.
# source: andreemidio/NeuralNetworksandDeepLearning code/image_to_vector/softmax.py
#   (axis=1 softmax; that one also omits the max)
# should say: "softmax fails for a single vector (C,): axis=1 does not exist there. Use axis=-1
#   (the last axis), which works for (C,) and (N, C)." /
#   「1 本のベクトル (C,) で softmax が失敗します。axis=1 が存在しないためです。(C,) でも (N, C) でも使える
#   axis=-1（最後の軸）を使ってください。」
# expect: softmax_1d_matches_book_example softmax.batch_only

# %% softmax
def softmax(x):
    x_exp = np.exp(x - np.max(x, axis=1, keepdims=True))
    x_sum = np.sum(x_exp, axis=1, keepdims=True)
    return x_exp / x_sum
