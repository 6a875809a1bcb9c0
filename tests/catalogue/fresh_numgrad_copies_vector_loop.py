# based on: aoki
# pattern: each evaluation on a copy (x_plus = x.copy(); x_plus[i] += h) in a loop over range(x.size):
#   vectors only (x[i] is a row of a matrix), and f reading net.W never sees a change.
# source: the forward_difference_gradient of a code-index forward_difference.py (x_forward = x.copy(),
#   range(len(x)); repository not named), written as a central difference
# expect: numerical_gradient_handles_any_shape numgrad.vectors_only
# expect: numerical_gradient_sees_in_place_changes numgrad.copies_x

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for i in range(x.size):
        x_plus = x.copy()
        x_plus[i] += h
        x_minus = x.copy()
        x_minus[i] -= h
        grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad
