# based on: aoki
# threat: answers that skip the computation (issue 20): a loss that is one entry of y, a numerical gradient
#   that evaluates f twice at x and returns f(x) everywhere, a softmax filled with one score
# Each has the right shape and type and uses its input, but computes nothing: every grade cell must be lost.
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values
# expect: cross_entropy_one_hot_matches_book_examples wrong_values
# expect: cross_entropy_accepts_integer_labels wrong_values
# expect: cross_entropy_accepts_single_sample wrong_values
# expect: cross_entropy_finite_for_zero_probability constant
# expect: cross_entropy_does_not_modify_inputs constant
# expect: numerical_gradient_matches_book_example wrong_values
# expect: numerical_gradient_handles_any_shape wrong_values
# expect: numerical_gradient_restores_x numgrad.no_work
# expect: numerical_gradient_sees_in_place_changes numgrad.no_work

# %% softmax
def softmax(x):
    return np.full(np.shape(x), 1.0 / np.shape(x)[-1]) + 0 * x.flat[1]

# %% cross_entropy_error
def cross_entropy_error(y, t):
    return y.flat[1]

# %% numerical_gradient
def numerical_gradient(f, x):
    f(x)
    return np.full(np.shape(x), float(f(x)))
