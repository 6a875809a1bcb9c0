# based on: aoki
# pattern: correct but different: the book's common/functions.py softmax: transpose a batch
#   so the max and the sum run over axis 0, transpose back; a separate branch for vectors.
#   Must get full marks.
# source: dookse/deep_learning_from_scratch src/softmax.py;
#   whitestar718/221220_DeepLearing_from_scratch ch3_neural_network/lib/activation.py

# %% softmax
def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)  # overflow guard
    return np.exp(x) / np.sum(np.exp(x))
