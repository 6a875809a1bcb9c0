# based on: aoki
# threat: floods of output
# A correct softmax that prints a megabyte every time it is called, in a cell
# that first prints 120 MB.  The grader keeps 20 MB of output per notebook
# while it runs and 100 000 characters per stored output; the score is not
# affected.

# %% softmax
for _ in range(100):
    print("flood " * 200_000)


def softmax(x):
    print("flood " * 200_000)
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
