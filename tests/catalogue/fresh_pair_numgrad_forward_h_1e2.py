# based on: aoki
# pattern: a forward difference (f(x + h) - f(x)) / h with a large step h = 1e-2: two mistakes in the
#   difference formula, both graded in the 1-D cell (the any-shape cell uses a linear f, for which every
#   step and scheme is exact).
# source: the forward-difference gradient of a code-index forward_difference.py (repository not named);
#   the nditer loop of Kazuki-Sano-0000/nyu-net koubaikoukahou.py's book-style numerical_gradient
# expect: numerical_gradient_matches_book_example numgrad.forward_difference numgrad.wrong_step

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-2
    grad = np.zeros_like(x)
    base = f(x)
    for idx in np.ndindex(*x.shape):
        keep = x[idx]
        x[idx] = keep + h
        grad[idx] = (f(x) - base) / h
        x[idx] = keep
    return grad
