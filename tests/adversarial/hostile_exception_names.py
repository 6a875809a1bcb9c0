# based on: aoki
# threat: hostile strings in exception names and messages (rich markup `[/]`, ESC sequences, spreadsheet formulas, mathtext, HTML, a huge [data] line)
# The cell puts a fake `bpkit.probe` into sys.modules whose `check` raises an
# exception class with a hostile name (and message) for each later hidden
# test, so every such cell fails in the notebook with that name as its
# reason.  The names must reach the instructor's terminal, CSVs, report and
# the feedback page as inert text: no crash, no escape sequence, no formula,
# no script.  (The expected reasons below are the names as bpkit shows them:
# control characters as visible escapes.)
# expect: cross_entropy_one_hot_matches_book_examples [/]
# expect: cross_entropy_accepts_integer_labels \x1b[2J\x1b]0;owned\x07
# expect: cross_entropy_accepts_single_sample =HYPERLINK("http://example.invalid","x")
# expect: cross_entropy_finite_for_zero_probability +SUM(1,2)
# expect: cross_entropy_does_not_modify_inputs @SUM(1)\u202eevil
# expect: numerical_gradient_matches_book_example -2+3
# expect: numerical_gradient_handles_any_shape \tTAB
# expect: numerical_gradient_restores_x $\notacommand$
# expect: numerical_gradient_sees_in_place_changes <script>window.PWNED=1</script>

# %% cross_entropy_error
import sys
import types

_NAMES = {
    "ch4.cross_entropy_one_hot": "[/]",
    "ch4.cross_entropy_labels": "\x1b[2J\x1b]0;owned\x07",
    "ch4.cross_entropy_1d": '=HYPERLINK("http://example.invalid","x")',
    "ch4.cross_entropy_zero_probability": "+SUM(1,2)",
    "ch4.cross_entropy_keeps_inputs": "@SUM(1)\u202eevil",
    "ch4.numerical_gradient_1d": "-2+3",
    "ch4.numerical_gradient_nd": "\tTAB",
    "ch4.numerical_gradient_restores_x": "$\\notacommand$",
    "ch4.numerical_gradient_closure": "<script>window.PWNED=1</script>",
}
_MESSAGES = {
    "ch4.cross_entropy_one_hot": "[/] [bold red]markup[/bold red]\n[data] " + "QUFB" * 2_000_000,
    "ch4.cross_entropy_labels": "\x1b[2J\x1b[31mthe screen is cleared\x1b]8;;http://example.invalid\x1b\\link",
    "ch4.cross_entropy_1d": "=1+1",
    "ch4.numerical_gradient_closure": "<img src=x onerror=\"window.PWNED='message'\"><script>window.PWNED=2</script>",
}


def _check(name, obj):
    raise type(_NAMES.get(name, "[/]"), (Exception,), {})(_MESSAGES.get(name, "=cmd|' /C calc'!A0"))


_fake = types.ModuleType("bpkit.probe")
_fake.check = _check
sys.modules["bpkit.probe"] = _fake


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
