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

import course_facts as facts
from bpkit.checks import registry
from bpkit.checks.core import CheckFailure, collecting_notes, seeded

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


def lazy_class(kind: str, pair: bool = False, stores_zeros: bool = False, methods=("forward", "backward")):
    """A class whose methods (a layer's forward and backward by default, the
    reference's public methods otherwise) return `kind` (backward a pair of
    them when the layer has two inputs) and change nothing they are given;
    stores_zeros: it also sets dW and db to zeros of the parameters' shapes."""
    value = _returns(kind)

    class Lazy:
        def __init__(self, *params, **options):
            if stores_zeros and len(params) == 2:
                self.dW, self.db = np.zeros_like(params[0]), np.zeros_like(params[1])

    def method(name):
        if name == "backward":
            return lambda self, *args: (value(*args), value(*args)) if pair else value(*args)
        return lambda self, *args: value(*args)

    for name in methods:
        setattr(Lazy, name, method(name))
    return Lazy


class Empty:
    pass


def _lazy_layers(check_name: str, methods=("forward", "backward")):
    pair = check_name.startswith(("check_mul", "check_add"))
    answers = [(f"class:{kind}", lazy_class(kind, pair, methods=methods)) for kind in FUNCTION_KINDS]
    answers.append(("class:zeros+stored", lazy_class("zeros", pair, stores_zeros=True, methods=methods)))
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


def lazy_answers(check) -> list:
    """The lazy answers for a check, by the kind of object its grade cells
    hand it (tests/course_facts.py): a function, the network (a class with
    predict and gradient), or any other class (a layer, an optimizer: each
    public method of the reference, lazily)."""
    target = facts.reference_for(check.name)
    if not isinstance(target, type):
        return _lazy_functions(check.function.__name__)
    if hasattr(target, "predict") and hasattr(target, "gradient"):
        return _lazy_networks(check.function.__name__)
    methods = [n for n, v in vars(target).items() if callable(v) and not n.startswith("_")]
    return _lazy_layers(check.function.__name__, methods)


CASES = [(check.name, kind, answer) for check in registry.checks().values()
         for kind, answer in lazy_answers(check)]


@pytest.mark.parametrize("salt", SALTS, ids=["no-salt"] + [f"salt-{i}" for i in range(1, len(SALTS))])
@pytest.mark.parametrize("check,kind,answer", CASES, ids=[f"{c}-{k}" for c, k, _ in CASES])
def test_a_lazy_answer_fails_every_grade_cell(check, kind, answer, salt):
    with seeded(salt), pytest.raises(CheckFailure):
        registry.get(check).function(answer)


def test_the_lazy_catalogue_covers_every_check_and_every_kind():
    missing = sorted(set(registry.checks()) - {check for check, _, _ in CASES})
    assert not missing, f"no lazy answer is tried on {missing}"
    assert len(CASES) >= 150


# ------------------------------------------ answers that skip the computation (issue 20) ---
# Three more families, each tried against every check: a table of answers keyed by the shapes of
# the arguments (harvested from the reference under another salt, as a student could harvest the
# hidden inputs of a public seed), the right shape filled with one entry of the input, and, for the
# numerical gradient, f evaluated at x alone.  Every cell must need the computation it grades.

import copy

import reference.network as ref_network

HARVEST = b"harvested/elsewhere"
_METHODS = ("forward", "backward", "predict", "loss", "accuracy", "gradient", "update")
_STORED = ("dW", "db")


def reference_for(check_name: str):
    """The reference function or class a check grades (the object its grade cells hand it)."""
    return facts.reference_for(check_name)


def _signature(args) -> tuple:
    """What a table can key on: each argument's shape and kind of number."""
    return tuple((np.shape(a), np.asarray(a).dtype.kind) if isinstance(a, (np.ndarray, np.generic, int, float))
                 else type(a).__name__ for a in args)


def _first_array(args):
    return next((np.asarray(a) for a in args if isinstance(a, np.ndarray) and a.size > 1), np.zeros(2))


def _one_entry(value, args):
    """`value`'s structure, every number replaced by one entry of the first array argument."""
    entry = float(_first_array(args).flat[1])
    if isinstance(value, dict):
        return {k: _one_entry(v, args) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_one_entry(v, args) for v in value)
    if isinstance(value, np.ndarray):
        return np.full(value.shape, entry)
    return None if value is None else entry


def table_answer(check_name: str):
    """A student whose code returns, for arguments of given shapes, the
    reference's answer recorded for arguments of those shapes under the salt
    HARVEST: a lookup table, no computation."""
    real = reference_for(check_name)
    table: dict = {}
    if not isinstance(real, type):
        def recording(*args):
            value = real(*args)
            table.setdefault(("call", _signature(args)), copy.deepcopy(value))
            return value

        with seeded(HARVEST):
            registry.get(check_name).function(recording)  # the reference passes every check

        def replay(*args):
            return copy.deepcopy(table.get(("call", _signature(args))))
        return replay

    def wrapped(name, record):
        def method(self, *args):
            key = (name, _signature(args))
            if record:
                value = getattr(real, name)(self, *args)
                table.setdefault(key, (copy.deepcopy(value), {a: copy.deepcopy(getattr(self, a, None)) for a in _STORED}))
                return value
            value, stored = table.get(key, (None, {}))
            for attribute, kept in stored.items():
                if kept is not None:
                    setattr(self, attribute, copy.deepcopy(kept))
            return copy.deepcopy(value)
        return method

    recording = type("Recording", (real,), {n: wrapped(n, True) for n in _METHODS if hasattr(real, n)})
    with seeded(HARVEST), collecting_notes([]):
        registry.get(check_name).function(recording)  # the reference passes every check
    return type("Table", (real,), {n: wrapped(n, False) for n in _METHODS if hasattr(real, n)})


def one_entry_answer(check_name: str):
    """A student whose answers have the right shapes (and dicts, tuples) but
    every number is one entry of the input: y.flat[1] for a loss."""
    real = reference_for(check_name)
    if not isinstance(real, type):
        def one_entry(*args):
            arrays = [a for a in args if not callable(a)]
            return _one_entry(real(*[a for a in args]) if not any(callable(a) for a in args)
                              else np.zeros_like(arrays[0]), arrays)
        return one_entry

    def wrapped(name):
        def method(self, *args):
            value = getattr(real, name)(self, *args)
            for attribute in _STORED:
                if getattr(self, attribute, None) is not None:
                    setattr(self, attribute, _one_entry(getattr(self, attribute), args))
            for changed in [a for a in args if isinstance(a, dict)]:  # update(params, grads) changes params in place
                for key, array in changed.items():
                    if isinstance(array, np.ndarray) and array.dtype.kind == "f":
                        array[...] = _one_entry(array, args)
            return _one_entry(value, args)
        return method
    return type("OneEntry", (real,), {n: wrapped(n) for n in _METHODS if hasattr(real, n)})


def f_at_x_twice(f, x):
    """numerical_gradient that evaluates f twice at x and returns f(x) everywhere."""
    f(x)
    return np.full(np.shape(x), float(f(x)))


def f_at_x_after_perturbing(f, x):
    """numerical_gradient that perturbs every element in place, evaluates f
    there and restores x, but returns f(x) everywhere."""
    for idx in np.ndindex(np.shape(x)):
        tmp_val = x[idx]
        x[idx] = tmp_val + 1e-4
        f(x)
        x[idx] = tmp_val - 1e-4
        f(x)
        x[idx] = tmp_val
    return np.full(np.shape(x), float(f(x)))


def f_at_x_per_element(f, x):
    """numerical_gradient that evaluates f at x, unperturbed, twice per element."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(np.shape(x)):
        grad[idx] = (f(x) - f(x)) / 2e-4 + f(x)
    return grad


class AccuracyTable(ref_network.TwoLayerNet):
    """The issue's TwoLayerNet: right parameters, but accuracy from a table of
    the hidden cases' answers keyed by x.shape."""

    def accuracy(self, x, t):
        return {(5, 4): 3 / 5, (3, 4): 1 / 3, (8, 3): 6 / 8, (4, 3): 1 / 4}.get(x.shape, 0.5)


def skipping_answers(check_name: str) -> list:
    """(kind, answer) of the families above that apply to this check."""
    module, behaviour = check_name.split(".")
    answers = []
    if check_name != "twolayer.init":  # the right parameters (a function of the shapes) are what init grades
        answers += [("one-entry", one_entry_answer(check_name)), ("table", table_answer(check_name))]
    if behaviour.startswith("numerical_gradient"):
        answers += [("f-at-x-twice", f_at_x_twice), ("f-at-x-per-element", f_at_x_per_element),
                    ("f-at-x-after-perturbing", f_at_x_after_perturbing)]
    if check_name == "twolayer.accuracy":
        answers.append(("accuracy-table", AccuracyTable))
    return answers


SKIPPING = [(check.name, kind, answer) for check in registry.checks().values()
            for kind, answer in skipping_answers(check.name)]
#: Salts other than the one the tables were harvested under.
OTHER_SALTS = [b""] + [f"course-{i % 3}/student-{i}".encode() for i in range(1, 24)]


@pytest.mark.parametrize("check,kind,answer", SKIPPING, ids=[f"{c}-{k}" for c, k, _ in SKIPPING])
def test_an_answer_that_skips_the_computation_fails_every_grade_cell_for_every_salt(check, kind, answer):
    passed = []
    for salt in OTHER_SALTS:
        try:
            with seeded(salt):
                registry.get(check).function(answer)
            passed.append(salt)
        except CheckFailure:
            pass
    assert not passed, f"{kind} passed {check} for {len(passed)} of {len(OTHER_SALTS)} salts"


def test_each_family_of_skipped_computation_is_tried_on_every_check():
    for kind, exempt in (("one-entry", {"twolayer.init"}), ("table", {"twolayer.init"})):
        covered = {check for check, k, _ in SKIPPING if k == kind}
        missing = set(registry.checks()) - covered - exempt
        assert not missing, f"no {kind} answer for {sorted(missing)}"
    numerical = {c for c in registry.checks() if c.split(".")[1].startswith("numerical_gradient")}
    assert numerical and numerical <= {check for check, k, _ in SKIPPING if k == "f-at-x-twice"}
