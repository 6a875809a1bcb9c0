# based on: aoki
# pattern: a forward difference that never puts x back.
# source: issue 21 (pairs of mistakes in one function); numgrad_not_restored and numgrad_forward_difference
# expect: numerical_gradient_matches_book_example numgrad.forward_difference
# expect: numerical_gradient_restores_x numgrad.not_restored

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        fx = f(x)
        x[idx] = x[idx] + h
        grad[idx] = (f(x) - fx) / h
    return grad
