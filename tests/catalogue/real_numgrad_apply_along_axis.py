# based on: aoki
# pattern: numerical_gradient for matrices via np.apply_along_axis over the rows with the 1-D
#   routine: f is evaluated once per row on that row alone, so a loss of the whole matrix gives
#   identical rows (reported for issue #11; a vectorised cousin of the book's gradient_2d loop).
# source: reported in issue #11 (no public repository found in the code index with this exact
#   form; the per-row idea studied in KentWangYQ/py3-poc third_party/deep_leaning_from_scratch/common/gradient.py)
# should say: "numerical_gradient gives identical rows: np.apply_along_axis hands f one row at a
#   time, so f never sees the whole matrix. Perturb one element of x in place and call f(x)." /
#   「numerical_gradient の結果の行がすべて同じです。np.apply_along_axis は f に 1 行ずつしか渡さないので、f は
#   行列全体を見ていません。x の要素を 1 つずつその場でずらして f(x) を呼んでください。」
# expect: numerical_gradient_handles_any_shape numgrad.f_of_row
# (sandboxed pipeline: the judge's f accepts only arrays of x's shape and raises TypeError on a
#  row; run in-process the same code gives identical rows in the any-shape cell only.)

# %% numerical_gradient
def _grad_vector(f, v):
    h = 1e-4
    g = np.zeros_like(v)
    for i in range(v.size):
        keep = v[i]
        v[i] = keep + h
        up = f(v)
        v[i] = keep - h
        down = f(v)
        v[i] = keep
        g[i] = (up - down) / (2 * h)
    return g


def numerical_gradient(f, x):
    if x.ndim == 1:
        return _grad_vector(f, x)
    return np.apply_along_axis(lambda row: _grad_vector(f, row), -1, x)
