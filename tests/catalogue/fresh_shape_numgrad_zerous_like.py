# based on: aoki
# pattern: np.zerous_like for np.zeros_like: every call raises AttributeError.
# source: Kazuki-Sano-0000/nyu-net koubaikoukahou.py (grad = np.zerous_like(x))
# expect: numerical_gradient_matches_book_example attribute_typo
# expect: numerical_gradient_handles_any_shape attribute_typo
# expect: numerical_gradient_restores_x attribute_typo
# expect: numerical_gradient_sees_in_place_changes attribute_typo

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zerous_like(x)
    for idx in np.ndindex(*x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
