# based on: aoki
# normalises over axis 0
# expect: softmax_batch_normalises_each_row softmax.wrong_axis

# %% softmax
def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
