# based on: aoki
# iterates x.flat

# %% numerical_gradient
def numerical_gradient(f, x):
    grad = np.zeros(x.shape)
    h = 1e-4
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + h
        a = f(x)
        x.flat[i] = old - h
        b = f(x)
        x.flat[i] = old
        grad.flat[i] = (a - b) / (2 * h)
    return grad
