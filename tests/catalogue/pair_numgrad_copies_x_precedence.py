# based on: aoki
# pattern: perturbs a copy of x (so f = lambda w: net.loss(x, t) never sees a change) and divides by
#   2 * h without parentheses.
# source: issue 21 (pairs of mistakes in one function); goto's copy and real_numgrad_precedence
# expect: numerical_gradient_matches_book_example numgrad.precedence
# expect: numerical_gradient_sees_in_place_changes numgrad.copies_x

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xc = x.copy()
        tmp_val = xc[idx]
        xc[idx] = tmp_val + h
        fxh1 = f(xc)
        xc[idx] = tmp_val - h
        fxh2 = f(xc)
        grad[idx] = (fxh1 - fxh2) / 2 * h
    return grad
