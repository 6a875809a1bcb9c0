# based on: aoki
# pattern: central difference written `(fxh1 - fxh2) / 2 * h`: Python reads it as
#   ((fxh1 - fxh2) / 2) * h, so every gradient is multiplied by h**2 = 1e-8 instead of divided
#   by 2h; seen in a learner's common/gradient.py (both the 1-D and the nditer version).
# source: code-index file 47814721107 (a learner's gradient.py with _numercial_gradient_no_batch;
#   the index does not name its repository)
# should say: "numerical_gradient computes (f(x+h) - f(x-h)) / 2 * h, which Python reads as
#   ((f(x+h) - f(x-h)) / 2) * h: put 2 * h in parentheses, / (2 * h)." /
#   「numerical_gradient が (f(x+h) - f(x-h)) / 2 * h になっていて、Python はこれを ((f(x+h) - f(x-h)) / 2) * h と
#   解釈します。/ (2 * h) のように 2 * h を括弧で囲んでください。」
# expect: numerical_gradient_matches_book_example numgrad.precedence

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp = x[idx]
        x[idx] = float(tmp) + h
        fx1 = f(x)
        x[idx] = tmp - h
        fx2 = f(x)
        grad[idx] = (fx1 - fx2) / 2 * h
        x[idx] = tmp
        it.iternext()
    return grad
