# based on: aoki
# pattern: the central difference with h = 1e-3 through a flat view x.reshape(-1) (f still gets x): a
#   correct numerical gradient, whose error is well inside the tolerance on every draw. Must pass.
# source: yuanmenghaixin/pythonLearn learn/TheoryAndImplementation/ch04/gradient_simplenet.py (f read
#   through net.W) with a flat view, as learners write it

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-3
    flat = x.reshape(-1)
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        tmp_val = flat[i]
        flat[i] = tmp_val + h
        fxh1 = f(x)
        flat[i] = tmp_val - h
        fxh2 = f(x)
        flat[i] = tmp_val
        grad[i] = (fxh1 - fxh2) / (2 * h)
    return grad.reshape(x.shape)
