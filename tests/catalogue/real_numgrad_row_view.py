# based on: aoki
# pattern: numerical_gradient that loops over range(x.shape[0]) when x is a matrix and saves
#   tmp_val = x[idx] without .copy(): x[idx] is a whole row and tmp_val a view of it, so
#   "restoring" x[idx] = tmp_val writes back the row as it is now (shifted by -h); typical of
#   learners who patch the book's 1-D loop for 2-D weights by hand.
# source: sdsdsdsdaf/Scratch common/Grdient.py; cxw745/AI_SYSU_2023 lab6/gradient.py
# should say: "x[idx] is a whole row when x is a matrix, and tmp_val = x[idx] is a view of that
#   row, not a copy: the row is shifted together and never restored. Loop over every element
#   (np.nditer with multi_index) so x[idx] is one number." /
#   「x が行列のとき x[idx] は行全体で、tmp_val = x[idx] はその行のコピーではなくビューです。行がまとめて
#   ずらされ、元に戻りません。x[idx] が 1 つの数になるよう、すべての要素でループしてください（multi_index 付きの np.nditer）。」
# graded as: x + h - h restores x up to the last bit, which the restore cell accepts
# expect: numerical_gradient_handles_any_shape numgrad.row_view

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    n = x.size
    if x.ndim > 1:
        n = x.shape[0]  # one step per row for a matrix

    for idx in range(n):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
