# based on: aoki
# threat: patching the grading library before it is imported (sys.modules)
# numerical_gradient is wrong (forward difference), and the cell puts a
# do-nothing `bpkit.probe` into sys.modules, so every later hidden test cell
# imports a `check` that passes without checking anything.  The first cell's
# visible example still catches the forward difference in the notebook.
# expect: numerical_gradient_matches_book_example AssertionError
# expect: numerical_gradient_handles_any_shape not_checked
# expect: numerical_gradient_restores_x not_checked
# expect: numerical_gradient_sees_in_place_changes not_checked
# flagged: numerical_gradient_handles_any_shape numerical_gradient_restores_x numerical_gradient_sees_in_place_changes

# %% numerical_gradient
import sys
import types

_fake = types.ModuleType("bpkit.probe")
_fake.check = lambda name, obj: None
sys.modules["bpkit.probe"] = _fake


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp_val = x[idx]
        fx = f(x)
        x[idx] = tmp_val + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = tmp_val
    return grad
