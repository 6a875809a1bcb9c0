# Chiba submits the notebooks untouched. Expected: zero, and every failure
# says the function is not implemented yet.
