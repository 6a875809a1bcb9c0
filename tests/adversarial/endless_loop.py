# based on: aoki
# threat: infinite loops
# softmax never returns for scores around 1000.  The grader stops waiting,
# nbgrader interrupts the cell, and the next cells run as usual.
# expect: softmax_no_overflow_for_large_scores cost_limit

# %% softmax
def softmax(x):
    while np.max(x) > 500:
        pass
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
