# based on: aoki
# pattern: Python's built-in max on the scores, c = max(a): for a vector it is the largest score, for a
#   batch it compares whole rows and NumPy refuses ("truth value of an array ... is ambiguous").
# source: whybfq/learnpython DeepLearning/perceptron/ActiveFunctions/softmax.py (the chapter-3 softmax,
#   c = np.max(a)) written with the built-in max, as reported for the fresh set of issue 23
# expect: softmax_batch_normalises_each_row builtin_on_array

# %% softmax
def softmax(a):
    c = max(a)
    exp_a = np.exp(a - c)
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)
