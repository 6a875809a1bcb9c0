# based on: aoki
# threat: doing nothing (every function returns zeros, a constant or its input)
# None of these compute anything; every grade cell of the notebook must be lost.
# expect: softmax_1d_matches_book_example wrong_values
# expect: softmax_batch_normalises_each_row wrong_values
# expect: softmax_no_overflow_for_large_scores wrong_values
# expect: cross_entropy_one_hot_matches_book_examples wrong_values
# expect: cross_entropy_accepts_integer_labels wrong_values
# expect: cross_entropy_accepts_single_sample wrong_values
# expect: cross_entropy_finite_for_zero_probability constant
# expect: cross_entropy_does_not_modify_inputs constant
# expect: numerical_gradient_matches_book_example numgrad.zero
# expect: numerical_gradient_handles_any_shape numgrad.zero
# expect: numerical_gradient_restores_x numgrad.no_work
# expect: numerical_gradient_sees_in_place_changes numgrad.zero

# %% softmax
def softmax(x):
    return x

# %% cross_entropy_error
def cross_entropy_error(y, t):
    return 0.0

# %% numerical_gradient
def numerical_gradient(f, x):
    return np.zeros_like(x)
