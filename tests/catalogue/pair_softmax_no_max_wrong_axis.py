# based on: aoki
# pattern: no maximum subtracted and the sum over axis 0: overflows for large scores, and the columns
#   of a batch sum to 1 instead of its rows.
# source: issue 21 (pairs of mistakes in one function); the learner notebook's softmax without max
# expect: softmax_batch_normalises_each_row softmax.wrong_axis
# expect: softmax_no_overflow_for_large_scores softmax.overflow

# %% softmax
def softmax(x):
    e = np.exp(x)
    return e / np.sum(e, axis=0, keepdims=True)
