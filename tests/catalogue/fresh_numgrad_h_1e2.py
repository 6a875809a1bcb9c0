# based on: aoki
# pattern: the central difference with h = 1e-2: the truncation error (of order h**2 times the third
#   derivative) is 10 000 times the book's.
# source: itsmedachan-style book loops in learners' chapter-4 files (bulrush2008/ZK01
#   test/t_grad_numpy2.py); the step 1e-2 as reported in issue 23
# expect: numerical_gradient_matches_book_example numgrad.wrong_step

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-2
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
