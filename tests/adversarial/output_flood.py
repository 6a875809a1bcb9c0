# based on: aoki
# threat: floods of output
# A correct softmax that prints 120 kB every time it is called, in a cell
# that first prints 30 MB.  The grader keeps 20 MB of output per notebook
# while it runs and 100 000 characters per stored output; the score is not
# affected.  (Both floods are over their cap, and small enough that printing
# them stays far inside the 10 s per cell this batch allows, even on a busy
# machine: 120 MB once took over 10 s with both cores busy.)

# %% softmax
for _ in range(25):
    print("flood " * 200_000)


def softmax(x):
    print("flood " * 20_000)
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
