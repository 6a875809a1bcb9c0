# based on: aoki
# pattern: x.flatten() (a copy) perturbed element by element and f called on that flat copy: f receives a
#   vector of x.size numbers instead of x, and x itself never changes (so f = lambda w: net.loss(x, t)
#   sees nothing). Told before: "f with part of x", which is wrong.
# source: a learner's flatten-based gradient as reported in issue 23; the book's vector loop of
#   kajyuuen/ZeroDeepLearning ch04/numerical_gradient.py applied to x.flatten()
# expect: numerical_gradient_handles_any_shape numgrad.f_of_flat_copy
# expect: numerical_gradient_sees_in_place_changes numgrad.copies_x

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    flat = x.flatten()
    grad = np.zeros_like(flat)
    for i in range(flat.size):
        tmp_val = flat[i]
        flat[i] = tmp_val + h
        fxh1 = f(flat)
        flat[i] = tmp_val - h
        fxh2 = f(flat)
        grad[i] = (fxh1 - fxh2) / (2 * h)
        flat[i] = tmp_val
    return grad.reshape(x.shape)
