# based on: aoki
# one max for the whole batch (the book's 1-D version used on batches)
# expect: softmax_no_overflow_for_large_scores softmax.global_max

# %% softmax
def softmax(x):
    c = np.max(x)
    exp_a = np.exp(x - c)
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)
