# based on: aoki
# no max subtraction: overflows
# expect: softmax_no_overflow_for_large_scores softmax.overflow

# %% softmax
def softmax(x):
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
