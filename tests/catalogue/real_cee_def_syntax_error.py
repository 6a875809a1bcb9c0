# based on: aoki
# pattern: `def cross_entropy error(y,t):` (a space for the underscore): the cell is a
#   SyntaxError, the function is never defined, and every cell that calls it fails with NameError.
# source: mwtndmik/TutorialBook 02deep/4.2.4.py
# should say (each grade cell of cross_entropy_error): "an earlier cell failed with SyntaxError
#   (the cross_entropy_error cell): cross_entropy_error was never defined. Fix that cell first." /
#   「前のセル（cross_entropy_error のセル）が SyntaxError で失敗したため、cross_entropy_error が定義されていません。
#   まずそのセルを直してください。」
# expect: cross_entropy_one_hot_matches_book_examples earlier_cell_failed
# expect: cross_entropy_accepts_integer_labels earlier_cell_failed
# expect: cross_entropy_accepts_single_sample earlier_cell_failed
# expect: cross_entropy_finite_for_zero_probability earlier_cell_failed
# expect: cross_entropy_does_not_modify_inputs earlier_cell_failed

# %% cross_entropy_error
def cross_entropy error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    batch_size = y.shape[0]
    return -np.sum(t * np.log(y + 1e-7)) / batch_size
