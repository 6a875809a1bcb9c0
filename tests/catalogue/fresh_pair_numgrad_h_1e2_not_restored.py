# based on: aoki
# pattern: central differences with h = 1e-2 and no x[idx] = tmp_val afterwards: the step is graded in
#   the 1-D cell, the restoring in its own cell.
# source: skc111/deep_learning_from_scratch 4.4.py and bulrush2008/ZK01 test/t_grad_numpy2.py (the
#   book's loop); the large step and the missing restore as in issue 23's fresh set
# expect: numerical_gradient_matches_book_example numgrad.wrong_step
# expect: numerical_gradient_restores_x numgrad.not_restored

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 0.01
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        it.iternext()
    return grad
