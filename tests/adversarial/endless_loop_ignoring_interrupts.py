# based on: aoki
# threat: infinite loops that ignore interrupts
# softmax ignores SIGINT and never returns for scores around 1000.  The
# kernel cannot be interrupted, so it is killed at the notebook's time limit;
# the cells checked before keep their points, the ones after never ran.
# expect: softmax_no_overflow_for_large_scores cost_limit
# expect: cross_entropy_one_hot_matches_book_examples not_run
# expect: cross_entropy_accepts_integer_labels not_run
# expect: cross_entropy_accepts_single_sample not_run
# expect: cross_entropy_finite_for_zero_probability not_run
# expect: cross_entropy_does_not_modify_inputs not_run
# expect: numerical_gradient_matches_book_example not_run
# expect: numerical_gradient_handles_any_shape not_run
# expect: numerical_gradient_restores_x not_run
# expect: numerical_gradient_sees_in_place_changes not_run

# %% softmax
import signal


def softmax(x):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while np.max(x) > 500:
        pass
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
