# based on: aoki
# pattern: the book's ch04/gradient_2d.py numerical_gradient: for a matrix, `for idx, x in
#   enumerate(X)` and the 1-D routine on each row, so f is called with ONE ROW instead of the
#   whole array; copied widely into learners' common/gradient.py.
# source: KentWangYQ/py3-poc third_party/deep_leaning_from_scratch/common/gradient.py;
#   SysuJayce/Deep-Learning-From-Scratch (gradient.py, _numerical_gradient_1d)
# should say: "numerical_gradient calls f with one row of x, not with x itself: f(x) must see
#   the whole array (with one element shifted). Every row gets the same gradient." /
#   「numerical_gradient が x 全体ではなく x の 1 行だけで f を呼んでいます。f には（1 要素だけずらした）配列全体を
#   渡してください。すべての行が同じ勾配になっています。」
# expect: numerical_gradient_handles_any_shape numgrad.f_of_row
# (sandboxed pipeline: the judge's f accepts only arrays of x's shape and raises TypeError on a
#  row; run in-process the same code gives identical rows in the any-shape cell only.)

# %% numerical_gradient
def _numerical_gradient_1d(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad


def numerical_gradient(f, X):
    if X.ndim == 1:
        return _numerical_gradient_1d(f, X)
    grad = np.zeros_like(X)
    for idx, x in enumerate(X):
        grad[idx] = _numerical_gradient_1d(f, x)
    return grad
