# based on: aoki
# pattern: the book's one-hot formula -np.sum(t * np.log(y + delta)) without the division by the
#   batch size: labels are not handled (their cell) and the loss is a sum (the one-hot cell).
# source: issue 21 (pairs of mistakes in one function); the book's section 4.2.2 formula
# expect: cross_entropy_one_hot_matches_book_examples cee.no_batch_mean
# expect: cross_entropy_accepts_integer_labels cee.one_hot_only

# %% cross_entropy_error
def cross_entropy_error(y, t):
    delta = 1e-7
    return -np.sum(t * np.log(y + delta))
