# based on: aoki
# Doi finished softmax, cross-entropy and the Mul/Add/ReLU layers, and ran out
# of time for the rest. Expected: those cells pass, the others score zero.

# %% numerical_gradient stub
# %% Sigmoid stub
# %% Affine stub
# %% SoftmaxWithLoss stub
