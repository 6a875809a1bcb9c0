# based on: aoki
# pattern: the book's first numerical_gradient (4.4, also _numerical_gradient_no_batch in
#   common/gradient.py): `for idx in range(x.size)` with x[idx], written for vectors and then
#   used on the 2x3 weight matrix of simpleNet; very common in chapter-4 notebooks.
# source: itsmedachan/deep-learning-from-zero Chapter4LearningWithNeuralNetwork/4-4-0Gradient.py;
#   tnqjae/DeepLearningFromScratch Chapter4/GradientEx.py
# should say: "IndexError at x[idx] when x has shape (2, 3): your loop handles only vectors
#   (idx runs to x.size but x[idx] picks rows). Loop over every index of x with np.nditer
#   (multi_index) or np.ndindex(x.shape)." /
#   「x の形状が (2, 3) のとき x[idx] で IndexError になります。このループはベクトルにしか対応していません
#   （idx は x.size まで進みますが、x[idx] は行を選びます）。np.nditer（multi_index）か np.ndindex(x.shape) で
#   x のすべての添字をループしてください。」
# expect: numerical_gradient_handles_any_shape numgrad.vectors_only

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4  # 0.0001
    grad = np.zeros_like(x)

    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)  # f(x+h)

        x[idx] = tmp_val - h
        fxh2 = f(x)  # f(x-h)
        grad[idx] = (fxh1 - fxh2) / (2 * h)

        x[idx] = tmp_val
    return grad
