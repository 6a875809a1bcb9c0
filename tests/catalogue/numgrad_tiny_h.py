# based on: aoki
# h = 1e-50 rounds away
# expect: numerical_gradient_matches_book_example numgrad.zero
# expect: numerical_gradient_handles_any_shape numgrad.zero
# expect: numerical_gradient_sees_in_place_changes numgrad.zero

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-50
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
