# based on: aoki
# pattern: correct but different: np.nditer without op_flags=['readwrite'] (the iterator is
#   only used for its multi_index; the writes go through x[idx]), a different variable name
#   for x and no restore comment. Must get full marks.
# source: ssshun3/DLcode DAY3_vr6_0_2/2_notebook/common/grad.py

# %% numerical_gradient
def numerical_gradient(f, W):
    h = 1e-4
    grad = np.zeros_like(W)
    it = np.nditer(W, flags=['multi_index'])
    while not it.finished:
        i = it.multi_index
        saved = W[i]
        W[i] = saved + h
        plus = f(W)
        W[i] = saved - h
        minus = f(W)
        grad[i] = (plus - minus) / (2 * h)
        W[i] = saved
        it.iternext()
    return grad
