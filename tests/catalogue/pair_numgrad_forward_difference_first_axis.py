# based on: aoki
# pattern: a forward difference and a loop over range(x.shape[0]) only: the 1-D cell grades the
#   formula, the any-shape cell the loop.
# source: issue 21 (pairs of mistakes in one function); real_numgrad_enumerate_rows and
#   numgrad_forward_difference
# expect: numerical_gradient_matches_book_example numgrad.forward_difference
# expect: numerical_gradient_handles_any_shape numgrad.first_axis_only

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        fx = f(x)
        tmp_val = x[i].copy()
        x[i] = tmp_val + h
        grad[i] = (f(x) - fx) / h
        x[i] = tmp_val
    return grad
