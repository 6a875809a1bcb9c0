# based on: aoki
# threat: floods of output
# A correct softmax that prints a megabyte every time it is called; the
# graded notebook stays small and the score is not affected.

# %% softmax
def softmax(x):
    print("flood " * 200_000)
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
