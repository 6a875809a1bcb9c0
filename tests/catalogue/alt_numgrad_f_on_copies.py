# based on: aoki
# pattern: correct: x is perturbed in place (so an f reading net.W sees it) but f is handed a copy of x,
#   f(x.copy()), and the gradient is built in a Python list.
# source: issue 21 (correct implementations that call f on copies must pass)

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    values = []
    for idx in np.ndindex(x.shape):
        tmp_val = float(x[idx])
        x[idx] = tmp_val + h
        fxh1 = f(x.copy())
        x[idx] = tmp_val - h
        fxh2 = f(x.copy())
        x[idx] = tmp_val
        values.append((fxh1 - fxh2) / (2 * h))
    return np.array(values).reshape(x.shape)
