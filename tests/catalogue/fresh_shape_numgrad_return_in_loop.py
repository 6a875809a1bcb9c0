# based on: aoki
# pattern: `return grad` indented into the loop: only the first element is computed, the others stay 0.
# source: kajyuuen/ZeroDeepLearning ch04/numerical_gradient.py and skc111/deep_learning_from_scratch
#   4.4.py (the book's loop), with the return one level too deep as reported in issue 23
# expect: numerical_gradient_matches_book_example numgrad.returns_in_loop
# expect: numerical_gradient_handles_any_shape numgrad.returns_in_loop
# expect: numerical_gradient_restores_x numgrad.returns_in_loop

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        return grad
