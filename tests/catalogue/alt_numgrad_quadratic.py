# based on: aoki
# pattern: correct but slow: for every element the whole central-difference pass is repeated and one entry
#   kept, so f is called 2 n^2 times (288 for 12 elements). The judge's cap on calls is about cost and
#   leaves a wide margin (4096 per call here); it must never fail correct code.
# source: issue 21 (a correct O(n^2) numerical_gradient lost its cells to the call cap)

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for target in np.ndindex(x.shape):
        whole = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            tmp_val = x[idx]
            x[idx] = tmp_val + h
            fxh1 = f(x)
            x[idx] = tmp_val - h
            fxh2 = f(x)
            whole[idx] = (fxh1 - fxh2) / (2 * h)
            x[idx] = tmp_val
        grad[target] = whole[target]
    return grad
