# based on: aoki
# Endo makes the learner's-notebook mistakes of chapter 4: softmax without
# subtracting the max (overflow), the label-only cross-entropy that prints
# shapes and returns 6.21 for one-hot targets, and a forward difference.

# %% softmax
def softmax(x):
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)

# %% cross_entropy_error
def cross_entropy_error(y, t):
    print("元のデータサイズ", y.shape)
    print("元のデータサイズ", t.shape)
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        fx = f(x)
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = tmp_val
    return grad
