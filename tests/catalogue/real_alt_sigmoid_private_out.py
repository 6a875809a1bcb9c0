# based on: aoki
# pattern: correct but different: the output kept in a private attribute self._out, the
#   upstream gradient called dz, the stable piecewise formula via np.where on a clipped input.
#   Must get full marks.
# source: aruzei/python-tour Section5/Layers/Sigmoid.py (private _out, dz);
#   the np.where split studied in a code-index sigmoid layer (repository not named)

# %% Sigmoid
class Sigmoid:
    def __init__(self):
        self._out = None

    def forward(self, x):
        z = np.exp(-np.abs(x))
        self._out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        return self._out

    def backward(self, dz):
        return dz * (1 - self._out) * self._out
