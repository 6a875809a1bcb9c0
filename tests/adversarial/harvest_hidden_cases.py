# based on: aoki
# threat: harvesting hidden cases (asking the judge for another assignment's checks, a check twice, or reading expected values from its verdict)
# The softmax cell is the book's, then it talks to the grader itself through
# the probe: it asks for chapter 5's dW check with a recorder that keeps every
# array the grader sends, asks for its own softmax_batch check early, and
# prints what came back into the notebook. The grader refuses the foreign
# check and the second softmax_batch request, and tells the notebook pass or
# fail only, so nothing of the hidden cases or expected arrays is learnt.
# expect: softmax_batch_normalises_each_row asked_twice

# %% softmax
import os

def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)

HARVEST = []
_PATH = os.environ.get("BPKIT_JUDGE")
if _PATH:
    from bpkit.probe import ask_judge

    class _Recorder:
        def __init__(self, *args):
            HARVEST.append(("init", [getattr(a, "shape", a) for a in args]))

        def forward(self, x):
            HARVEST.append(("forward", x.shape))
            return x

        def backward(self, dout):
            return dout

    for _name, _obj in [("ch5.affine_backward_dW", _Recorder), ("ch4.softmax_batch", softmax),
                        ("ch4.softmax_batch_again", softmax)]:
        HARVEST.append((_name, ask_judge(_PATH, _name, _obj)))
print("HARVEST:", HARVEST)
