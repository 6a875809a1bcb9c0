"""Doing nothing earns nothing: a catalogue of lazy answers, each of which
must fail every grade cell (issue 10).

A lazy answer computes nothing from its inputs: it returns None, zeros,
a constant, or its input unchanged, or it is an empty class.  Each is run
against every check in-process (the judge runs the same checks, see
test_judge.py), with several hidden-input salts, because a check whose
expected value depends on what the student's code returns or changes can be
passed by an answer that does nothing."""
from __future__ import annotations

import numpy as np
import pytest

from bpkit.checks import registry
from bpkit.checks.core import CheckFailure, seeded

# Many salts: a lazy answer that matches a mistake's model only for some draws (a constant 0.0 and
# label 0) passes a cell for a few percent of students, which three salts would miss.
SALTS = [b""] + [f"course-{i % 3}/student-{i}".encode() for i in range(1, 12)]


def _returns(kind: str):
    """The value a lazy function returns, given its arguments."""
    def value(*args):
        first = next((a for a in args if isinstance(a, np.ndarray)), None)
        if kind == "none":
            return None
        if kind == "zeros":
            return np.zeros_like(first, dtype=float) if first is not None else 0.0
        if kind == "zero":
            return 0.0
        if kind == "constant":
            return 1.0
        if kind == "ones":
            return np.ones_like(first, dtype=float) if first is not None else 1.0
        if kind == "input":
            return first
        raise ValueError(kind)
    return value


FUNCTION_KINDS = ["none", "zeros", "zero", "constant", "ones", "input"]


def lazy_function(kind: str):
    value = _returns(kind)

    def lazy(*args):
        return value(*[a for a in args if not callable(a)])
    return lazy


def lazy_class(kind: str, pair: bool = False, stores_zeros: bool = False):
    """A layer whose forward and backward return `kind` (backward a pair of
    them when the layer has two inputs); stores_zeros: it also sets dW and
    db to zeros of the parameters' shapes."""
    value = _returns(kind)

    class Lazy:
        def __init__(self, *params):
            if stores_zeros and len(params) == 2:
                self.dW, self.db = np.zeros_like(params[0]), np.zeros_like(params[1])

        def forward(self, *args):
            return value(*args)

        def backward(self, *args):
            return (value(*args), value(*args)) if pair else value(*args)
    return Lazy


class Empty:
    pass


def _lazy_layers(check_name: str):
    pair = check_name.startswith(("check_mul", "check_add"))
    answers = [(f"class:{kind}", lazy_class(kind, pair)) for kind in FUNCTION_KINDS]
    answers.append(("class:zeros+stored", lazy_class("zeros", pair, stores_zeros=True)))
    answers.append(("class:empty", Empty))
    if check_name == "check_add_layer":  # backward returning (dout, dout) is the right answer for AddLayer
        answers = [(k, a) for k, a in answers if k != "class:input"]
    return answers


def lazy_network(kind: str, params: str):
    """A TwoLayerNet whose methods return `kind` (gradient: a dict of them
    for each parameter); params: "none" (no params at all), "zeros" (zero
    arrays of the right shapes, layers sharing them) or "given" (the right
    random parameters and layers, but lazy methods)."""
    import reference.layers as layers

    value = _returns(kind)

    class LazyNet:
        def __init__(self, d, h, c, weight_init_std=0.01):
            if params == "none":
                return
            scale = weight_init_std if params == "given" else 0.0
            self.params = {"W1": scale * np.random.randn(d, h), "b1": np.zeros(h),
                           "W2": scale * np.random.randn(h, c), "b2": np.zeros(c)}
            self.layers = {"Affine1": layers.Affine(self.params["W1"], self.params["b1"]), "Relu1": layers.Relu(),
                           "Affine2": layers.Affine(self.params["W2"], self.params["b2"])}

        def predict(self, x):
            return value(x)

        def loss(self, x, t):
            return value(x, t)

        def accuracy(self, x, t):
            return value(x, t)

        def gradient(self, x, t):
            if params == "none" or kind == "none":
                return value(x, t)
            return {key: value(p) for key, p in self.params.items()}
    return LazyNet


def _lazy_networks(check_name: str):
    answers = [(f"net:{kind}:{params}", lazy_network(kind, params))
               for kind in FUNCTION_KINDS for params in ("none", "zeros", "given")]
    if check_name == "check_init":  # the right parameters are the work this cell grades
        answers = [(k, a) for k, a in answers if not k.endswith(":given")]
    return answers + [("class:empty", Empty)]


def _lazy_functions(check_name: str):
    return [(kind, lazy_function(kind)) for kind in FUNCTION_KINDS]


#: The lazy answers for the checks of each check module (bpkit.checks.registry.MODULES),
#: given the check function's name.
LAZY_ANSWERS = {"ch4": _lazy_functions, "ch5": _lazy_layers, "twolayer": _lazy_networks}
CASES = [(check.name, kind, answer) for check in registry.checks().values() if check.module in LAZY_ANSWERS
         for kind, answer in LAZY_ANSWERS[check.module](check.function.__name__)]


@pytest.mark.parametrize("salt", SALTS, ids=["no-salt"] + [f"salt-{i}" for i in range(1, len(SALTS))])
@pytest.mark.parametrize("check,kind,answer", CASES, ids=[f"{c}-{k}" for c, k, _ in CASES])
def test_a_lazy_answer_fails_every_grade_cell(check, kind, answer, salt):
    with seeded(salt), pytest.raises(CheckFailure):
        registry.get(check).function(answer)


def test_the_lazy_catalogue_covers_every_check_and_every_kind():
    covered = {check for check, _, _ in CASES}
    assert covered == set(registry.checks())
    assert len(CASES) >= 150
