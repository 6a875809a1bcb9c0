# based on: aoki
# returns the worked example's number
# expect: cross_entropy_one_hot_matches_book_examples hard_coded
# expect: cross_entropy_accepts_integer_labels hard_coded
# expect: cross_entropy_accepts_single_sample hard_coded
# a constant earns nothing in the cells about side properties either (issue 10):
# expect: cross_entropy_finite_for_zero_probability constant
# expect: cross_entropy_does_not_modify_inputs constant

# %% cross_entropy_error
def cross_entropy_error(y, t):
    if np.ndim(y) == 1:
        return 0.3566748010815999
    return 0.2899091136979087
