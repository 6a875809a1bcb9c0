# based on: aoki
# pattern: the book's batch softmax (x.T, max over axis 0, y.T) with its `return y.T` inside
#   `if x.ndim == 2:` and the vector branch left out: a single score vector gets None.
# source: a learner's common functions in the code index ("# maybe x is batch": softmax with
#   if x.ndim == 2 ... return y.T, repository not named); hansolpp/Artificial_Intelligent
#   Output_fucntion/softmax_function.py (the vector softmax the learner had before)
# expect: softmax_1d_matches_book_example return_in_branch

# %% softmax
def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
