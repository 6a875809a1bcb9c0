# based on: aoki
# pattern: correct but slow: for each element, the whole x is copied into a Python list, the element
#   changed there, x rebuilt from the list in place and f evaluated; O(n**2) work. Must pass.
# source: issue 23 (a correct but slow pass, see issue 21's fairness work); the list-based style of
#   learners' chapter-4 notes (jsg1504/study DLFS/ch4/prac3.py)

# %% numerical_gradient
def numerical_gradient(f, x):
    h = 1e-4
    shape = x.shape
    values = [float(v) for v in x.reshape(-1)]
    grad = []
    for i in range(len(values)):
        results = []
        for step in (h, -h):
            moved = list(values)
            moved[i] = values[i] + step
            x[...] = np.array(moved).reshape(shape)
            results.append(f(x))
        x[...] = np.array(values).reshape(shape)
        grad.append((results[0] - results[1]) / (2 * h))
    return np.array(grad).reshape(shape)
