# based on: aoki
# threat: hard-coding the visible examples
# softmax returns the book's worked example whatever the input; the visible
# test in the notebook passes, the grader's own inputs are different.
# expect: softmax_1d_matches_book_example hard_coded
# expect: softmax_batch_normalises_each_row wrong_shape
# expect: softmax_no_overflow_for_large_scores wrong_values

# %% softmax
def softmax(x):
    return np.array([0.01821127, 0.24519181, 0.73659691])
