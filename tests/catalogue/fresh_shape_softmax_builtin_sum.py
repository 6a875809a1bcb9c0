# based on: aoki
# pattern: Python's built-in sum in the denominator, np.exp(x) / sum(np.exp(x)): for a batch it adds the
#   rows (the first axis), so each column, not each row, sums to 1.
# source: MNIST-from-scratch softmax functions in the code index (return np.exp(Z) / sum(np.exp(Z)),
#   several repositories, none named); the max subtracted as in YukiThornton/learn-deep-learning
# expect: softmax_batch_normalises_each_row softmax.wrong_axis

# %% softmax
def softmax(x):
    e = np.exp(x - np.max(x))
    return e / sum(e)
