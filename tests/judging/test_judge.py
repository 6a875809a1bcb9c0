"""The judge (bpkit.judging.judge) and the student's side of its protocol
(bpkit.probe), without a sandbox: the student's side runs in a thread here,
so what crosses the socket is exactly what a sandboxed kernel would send."""
from __future__ import annotations

import io
import re
import socket
import time

import numpy as np
import pytest

import reference as ref
import reference.layers as layers
import reference.network as network
from bpkit.checks import registry
from bpkit.judging.judge import MAX_ASSIGN, Judge, Remote, Unsendable, _Connection, callback_budget
from bpkit.probe import Codec, ProtocolError, _Session, ask_judge, receive, send
import course_facts as facts
from conftest import ROOT


#: How long the judge waits for one answer in these tests: far above what an
#: answer takes even on a busy machine (the student's side is a thread here);
#: the tests of the timeout itself set their own, with a student far slower.
ANSWER_SECONDS = 30.0


@pytest.fixture
def judge(tmp_path):
    with Judge(tmp_path, timeout=ANSWER_SECONDS) as j:
        yield j


def verdict(judge, name, obj) -> dict:
    """What the sandbox was told, plus the judge's own verdict (message,
    notes) that reaches the student through the feedback."""
    told = ask_judge(judge.path, name, obj)
    assert set(told) <= {"op", "passed"}  # pass/fail only goes back into the sandbox
    mine = judge.verdicts.get(name, [None])[-1]
    return {**told, "message": mine.message if mine else "", "notes": mine.notes if mine else ""}


def test_the_reference_passes_every_check_through_the_judge(judge):
    for name in registry.checks():  # each with the reference of the object its grade cells hand it
        assert verdict(judge, name, facts.reference_for(name))["passed"], name
    assert all(v.passed for vs in judge.verdicts.values() for v in vs)


def test_a_wrong_answer_fails_with_the_checks_bilingual_message(judge):
    got = verdict(judge, "ch4.softmax_batch", lambda x: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True))
    assert not got["passed"] and "[softmax.wrong_axis]" in got["message"]
    assert re.search(r"[\u3040-\u30ff]", got["message"])
    assert [v.passed for v in judge.verdicts["ch4.softmax_batch"]] == [False]


def test_a_subclass_that_fakes_comparisons_is_judged_by_its_data(judge):
    class Equal(np.ndarray):
        def __eq__(self, other):
            return True

        def __array_function__(self, func, types, args, kwargs):
            return True

    got = verdict(judge, "ch4.softmax_1d", lambda x: np.zeros_like(x).view(Equal))
    assert not got["passed"] and "[wrong_values]" in got["message"]


def test_an_answer_of_the_wrong_dtype_is_the_wrong_type_even_with_the_right_values(judge):
    got = verdict(judge, "ch4.softmax_1d", lambda x: ref.softmax(x).astype(complex))
    assert not got["passed"] and "[wrong_type]" in got["message"] and "complex128" in got["message"]


def test_an_object_that_is_not_data_stays_in_the_sandbox_and_is_the_wrong_type(judge):
    class Anything:
        def __eq__(self, other):
            return True

    got = verdict(judge, "ch4.cross_entropy_one_hot", lambda y, t: Anything())
    assert not got["passed"] and "[wrong_type]" in got["message"] and "Anything" in got["message"]


def test_in_place_changes_to_arguments_reach_the_judges_arrays(judge):
    # the book's numerical_gradient perturbs x in place, and f reads it through a closure
    assert verdict(judge, "ch4.numerical_gradient_closure", ref.numerical_gradient)["passed"]

    def forgets_to_restore(f, x):
        grad = ref.numerical_gradient(f, x.copy())
        x += 1.0
        return grad

    got = verdict(judge, "ch4.numerical_gradient_restores_x", forgets_to_restore)
    assert not got["passed"] and "[numgrad.not_restored]" in got["message"]


def test_a_student_exception_keeps_its_builtin_classes_so_hints_apply(judge):
    def no_reshape(y, t):  # numpy raises AxisError, an IndexError and a ValueError
        if t.size == y.size:
            t = t.argmax(axis=1)
        return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0]

    got = verdict(judge, "ch4.cross_entropy_1d", no_reshape)
    assert "[cee.no_reshape_1d]" in got["message"]


def test_an_answer_that_never_comes_fails_the_check_after_the_timeout(tmp_path):
    with Judge(tmp_path, timeout=2.0) as judge:
        got = verdict(judge, "ch4.softmax_1d", lambda x: time.sleep(6) or x)
    assert got["passed"] is False  # what the notebook is told
    (v,) = judge.verdicts["ch4.softmax_1d"]  # what counts: the timeout's own message, not a late answer
    assert not v.passed and "did not answer within 2 s" in v.message and "[cost_limit]" in v.message
    assert "制限時間 2 秒以内にコードが応答しませんでした" in v.message and "not about misconduct" in v.message


def test_a_kernel_that_hangs_up_mid_check_fails_it(judge):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(judge.path)
        send(sock, {"op": "check", "name": "ch5.relu_forward"})
    for _ in range(100):
        if judge.verdicts:
            break
        time.sleep(0.05)
    (v,) = judge.verdicts["ch5.relu_forward"]
    assert not v.passed and "stopped" in v.message


def test_an_unknown_check_is_refused_and_scores_nothing(judge):
    got = verdict(judge, "ch4.give_me_full_marks", lambda x: x)
    assert not got["passed"] and not judge.verdicts
    assert judge.refused == [{"name": "ch4.give_me_full_marks", "why": "no such check"}]


def test_the_sandbox_is_told_pass_or_fail_and_nothing_else(judge):
    wrong = lambda x: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True)  # noqa: E731
    assert ask_judge(judge.path, "ch4.softmax_batch", wrong) == {"op": "verdict", "passed": False}
    assert "expected" in judge.verdicts["ch4.softmax_batch"][0].message  # the diagnosis stays here


def test_a_check_asked_for_a_second_time_is_refused_and_recorded(judge):
    assert verdict(judge, "ch5.relu_forward", layers.Relu)["passed"]
    assert ask_judge(judge.path, "ch5.relu_forward", layers.Relu) == {"passed": False}
    assert judge.refused == [{"name": "ch5.relu_forward", "why": "asked for a second time"}]
    (v,) = judge.verdicts["ch5.relu_forward"]
    assert not v.passed and "[asked_twice]" in v.message


def test_a_check_of_another_assignment_is_refused(tmp_path):
    with Judge(tmp_path, timeout=ANSWER_SECONDS, allowed={"ch4.softmax_1d"}) as judge:
        assert ask_judge(judge.path, "ch5.affine_backward_dW", layers.Affine) == {"passed": False}
        assert judge.refused == [{"name": "ch5.affine_backward_dW", "why": "not a check of this assignment"}]
        assert verdict(judge, "ch4.softmax_1d", ref.softmax)["passed"]


def test_a_flood_of_requests_is_cut_off_and_its_record_stays_small(tmp_path):
    from bpkit.judging.judge import MAX_REFUSED

    with Judge(tmp_path, timeout=1.0) as judge:
        for i in range(MAX_REFUSED + 20):
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.settimeout(1.0)
                    sock.connect(judge.path)
                    send(sock, {"op": "check", "name": f"ch4.nothing_{i}"})
                    sock.recv(10)
            except OSError:
                pass
        deadline = time.monotonic() + 60  # the judge's thread counts the last refusals on its own time
        while judge.refused_count < MAX_REFUSED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert judge.refused_count == MAX_REFUSED and len(judge.refused) == MAX_REFUSED
        assert ask_judge(judge.path, "ch4.softmax_1d", ref.softmax).get("passed") is not True


def _recorder(seen: list):
    def softmax(x):
        seen.append(np.array(x))
        return ref.softmax(x)
    return softmax


def test_hidden_inputs_differ_per_salt_and_repeat_for_the_same_salt(tmp_path):
    inputs = {}
    for run, salt in enumerate([b"course-1/alice", b"course-1/bob", b"course-1/alice", b""]):
        (tmp_path / str(run)).mkdir()
        with Judge(tmp_path / str(run), timeout=ANSWER_SECONDS, salt=salt) as judge:
            seen: list = []
            assert verdict(judge, "ch4.softmax_1d", _recorder(seen))["passed"]
        inputs[run] = seen
    same = lambda a, b: all(np.array_equal(x, y) for x, y in zip(a, b))  # noqa: E731
    assert same(inputs[0], inputs[2])  # regrading reproduces
    assert not same(inputs[0], inputs[1]) and not same(inputs[0], inputs[3])


def test_changing_the_inputs_in_place_cannot_change_the_expected_answer(judge):
    class ZeroingMul:  # zeroes x and y, then returns the "right" answer for zeros
        def forward(self, x, y):
            x *= 0
            y *= 0
            return x * y

        def backward(self, dout):
            dout *= 0
            return dout, dout

    class ZeroingAdd(ZeroingMul):
        def forward(self, x, y):
            x *= 0
            y *= 0
            return x + y

    assert not verdict(judge, "ch5.mul_layer", ZeroingMul)["passed"]
    assert not verdict(judge, "ch5.add_layer", ZeroingAdd)["passed"]

    def zeroes_w(f, x):  # numerical_gradient that zeroes the weights f reads, then returns zeros
        x[...] = 0
        return np.zeros_like(x)

    assert not verdict(judge, "ch4.numerical_gradient_closure", zeroes_w)["passed"]


def test_the_checks_function_takes_only_arrays_of_the_shape_it_was_given(judge):
    answers = []

    def probing(f, x):
        for bad in (np.zeros((100, 100)), np.zeros(x.shape + (2,)), np.float64(1.0), np.zeros(x.shape, complex)):
            try:
                f(bad)
                answers.append("accepted")
            except TypeError as exc:
                answers.append(str(exc))
        return ref.numerical_gradient(f, x)

    assert verdict(judge, "ch4.numerical_gradient_1d", probing)["passed"]
    assert len(answers) == 12 and not any(a == "accepted" for a in answers), answers
    assert "takes one" in answers[0] and "shape (2,)" in answers[0]


def test_a_storm_of_callbacks_ends_the_check(judge):
    def storm(f, x):
        for _ in range(100_000):
            f(x)
        return ref.numerical_gradient(f, x)

    got = verdict(judge, "ch4.numerical_gradient_nd", storm)
    assert not got["passed"] and "[cost_limit]" in got["message"] and "[sandbox]" not in got["message"]
    # the message names the cap and the numbers, in both languages, and says it is about cost
    cap = callback_budget(6)
    assert f"more than {cap} times in one call for 6 elements" in got["message"]
    assert f"6 要素に対して制限の {cap} 回" in got["message"]
    assert "not about misconduct" in got["message"] and "不正を疑うものではありません" in got["message"]


def _quadratic_numerical_gradient(repeats: int = 1):
    """A correct numerical gradient that repeats the whole pass for every
    element (O(n^2) calls of f), `repeats` times over."""
    def numerical_gradient(f, x):
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            for _ in range(repeats):
                whole = ref.numerical_gradient(f, x)
            grad[idx] = whole[idx]
        return grad
    return numerical_gradient


@pytest.mark.parametrize("name", [n for n in registry.checks() if n.startswith("ch4.numerical_gradient")])
def test_a_slow_but_correct_numerical_gradient_passes_with_a_wide_margin(tmp_path, name):
    # O(n^2) calls of f, and four times that: the cap on calls is about cost, never about correct code
    for repeats in (1, 4):
        (tmp_path / str(repeats)).mkdir()
        with Judge(tmp_path / str(repeats), timeout=ANSWER_SECONDS) as judge:
            got = verdict(judge, name, _quadratic_numerical_gradient(repeats))
            assert got["passed"], (repeats, got["message"])
    assert 4 * 2 * 12 ** 2 <= callback_budget(12)  # 12 elements: the largest x of the checks


def test_a_check_has_a_time_budget_as_a_whole(tmp_path):
    # each answer comes well within the per-answer timeout; together they outlast the check's budget
    with Judge(tmp_path, timeout=ANSWER_SECONDS, check_seconds=3.0) as judge:
        got = verdict(judge, "ch4.softmax_batch", lambda x: time.sleep(1.0) or ref.softmax(x))
        assert not got["passed"] and "longer than 3 s, the limit for one check" in got["message"]
        assert "制限時間 3 秒を超えました" in got["message"] and "[cost_limit]" in got["message"]


def test_a_pickled_array_is_never_loaded():
    codec = Codec(lambda v: {"t": "ref"}, lambda s: None)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises((ProtocolError, ValueError)):
        codec.decode({"t": "ndarray", "b": 0}, [buffer.getvalue()])


def test_plain_data_survives_the_round_trip_exactly():
    codec = Codec(lambda v: {"t": "ref", "id": 1, "type": type(v).__name__}, lambda s: s["type"])
    value = (np.arange(6.0).reshape(2, 3), np.float32(1.5), 3, float("nan"), None, "x", [True, np.int64(2)])
    blobs: list[bytes] = []
    back = codec.decode(codec.encode(value, blobs), blobs)
    assert isinstance(back, tuple) and back[0].shape == (2, 3) and np.array_equal(back[0], value[0])
    assert type(back[1]) is np.float32 and back[2] == 3 and np.isnan(back[3]) and back[4:6] == (None, "x")
    assert back[6] == [True, 2] and codec.decode(codec.encode(object(), []), []) == "object"


def test_an_oversized_message_is_refused_before_it_is_read():
    left, right = socket.socketpair()
    with left, right:
        left.sendall((10 ** 8).to_bytes(4, "big") + (0).to_bytes(4, "big"))
        with pytest.raises(ProtocolError):
            receive(right)


def test_every_grade_cell_of_the_course_calls_a_check_the_judge_knows(tmp_path):
    with Judge(tmp_path, timeout=ANSWER_SECONDS) as judge:
        known = set(judge._checks)
    assert known == set(registry.checks())
    for cell in registry.grade_cells(ROOT):
        assert len(cell.checks) == 1 and cell.checks[0] in known, (cell.notebook, cell.grade_id)


# ------------------------------------------- items and in-place assignment ---

@pytest.fixture
def sandboxed():
    """remote(obj): obj served by the student's side in a thread, as the
    judge's Remote sees it."""
    import threading

    threads = []

    def remote(obj):
        mine, theirs = socket.socketpair()
        thread = threading.Thread(target=_Session(theirs, obj).serve, daemon=True)
        thread.start()
        threads.append((thread, mine, theirs))
        return Remote(_Connection(mine, timeout=ANSWER_SECONDS), 0)
    yield remote
    for thread, mine, theirs in threads:
        send(mine, {"op": "verdict", "passed": True})
        thread.join(timeout=60)
        mine.close()
        theirs.close()


def test_a_dict_item_is_read_by_value_and_a_dict_stays_in_the_sandbox(sandboxed):
    params = {"W1": np.arange(6.0).reshape(2, 3), "inner": {"x": 1}}
    remote = sandboxed({"params": params})
    got = remote["params"]["W1"]
    assert isinstance(remote["params"], Remote) and isinstance(got, np.ndarray)
    assert np.array_equal(got, params["W1"]) and got is not params["W1"]
    with pytest.raises(KeyError):
        remote["params"]["W9"]
    with pytest.raises(Unsendable):  # keys are short strings or small integers: another key is the check's mistake
        remote["params"]["k" * 101]
    with pytest.raises(Unsendable):
        remote["params"][1.5]


def test_assign_changes_the_students_array_in_place_so_every_reference_sees_it(sandboxed):
    W = np.zeros((2, 3))

    class Layer:
        def __init__(self, W):
            self.W = W

    net = {"params": {"W1": W}, "layer": Layer(W)}
    remote = sandboxed(net)
    remote["params"]._assign("W1", np.ones((2, 3)))
    assert net["params"]["W1"] is W and np.array_equal(net["layer"].W, np.ones((2, 3)))
    remote["layer"]._assign("W", np.full((2, 3), 2.0), True)
    assert np.array_equal(W, np.full((2, 3), 2.0))


def test_assign_refuses_other_shapes_non_arrays_private_names_and_huge_arrays(sandboxed):
    class Layer:
        _secret = np.zeros(2)

    net = {"params": {"W1": np.zeros((2, 3)), "n": 3}, "layer": Layer()}
    remote = sandboxed(net)
    with pytest.raises(ValueError):
        remote["params"]._assign("W1", np.ones((3, 2)))
    with pytest.raises(ValueError):
        remote["params"]._assign("n", np.ones(1))
    with pytest.raises(TypeError):
        remote["layer"]._assign("_secret", np.ones(2), True)
    with pytest.raises(Unsendable):  # the check's own request, too large to send: the course's mistake
        remote["params"]._assign("W1", np.ones(MAX_ASSIGN + 1))
    assert np.array_equal(net["params"]["W1"], np.zeros((2, 3))) and net["params"]["n"] == 3


def test_the_two_layer_network_is_judged_on_the_judges_own_parameters(judge):
    class Swapped(network.TwoLayerNet):  # grads of W1/b1 taken from Affine2 and the other way round
        def gradient(self, x, t):
            grads = super().gradient(x, t)
            return {"W1": grads["W2"], "b1": grads["b2"], "W2": grads["W1"], "b2": grads["b1"]}

    got = verdict(judge, "twolayer.gradient", Swapped)
    assert not got["passed"] and "[net.gradient_from_wrong_layer]" in got["message"]

    class Copies(network.TwoLayerNet):  # layers built from copies: in-place updates of params miss them
        def __init__(self, *args):
            super().__init__(*args)
            for name in ("Affine1", "Affine2"):
                self.layers[name].W, self.layers[name].b = self.layers[name].W.copy(), self.layers[name].b.copy()

    assert verdict(judge, "twolayer.predict", Copies)["passed"]  # the judge writes into the layers too
    got = verdict(judge, "twolayer.sgd_steps", Copies)
    assert not got["passed"] and "[net.layers_copy_params]" in got["message"]


def test_a_network_that_zeroes_its_parameters_cannot_change_the_expected_answer(judge):
    class Zeroing(network.TwoLayerNet):
        def predict(self, x):
            for value in self.params.values():
                value[...] = 0
            return super().predict(x)

    assert not verdict(judge, "twolayer.predict", Zeroing)["passed"]


# ------------------------------- issue 24: dicts cross; the course's mistakes are the course's ---

def sgd(params, grads):  # the book's SGD.update: in place
    for key in params:
        params[key] -= 0.1 * grads[key]


def sgd_rebinding(params, grads):  # right values in new arrays: the dict changes, the arrays do not
    for key in list(params):
        params[key] = params[key] - 0.1 * grads[key]


def sgd_deleting(params, grads):
    del params["b"]
    params["extra"] = np.ones(2)


def sgd_reshaping(params, grads):
    params["W"].shape = (6,)


@pytest.mark.parametrize("update", [sgd, sgd_rebinding, sgd_deleting, sgd_reshaping])
def test_a_dict_of_arrays_crosses_and_comes_back_as_it_would_in_process(sandboxed, update):
    from bpkit.checks.core import InOut, call

    def run(student):
        params = {"W": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}
        arrays = dict(params)  # the check's own references to the arrays it passed
        grads = {"W": np.full((2, 3), 2.0), "b": np.full(3, 3.0)}
        grads_before = {k: v.copy() for k, v in grads.items()}
        assert call("update(params, grads)", student, InOut(params), grads) is None
        assert all(np.array_equal(grads[k], grads_before[k]) for k in grads)  # not shared: never changed
        return ({k: (v.shape, v.tolist()) for k, v in params.items()},
                {k: (arrays[k] is params.get(k), arrays[k].tolist() if arrays[k].size == 6 or k != "W" else None)
                 for k in arrays})

    here = run(update)
    judged = run(sandboxed(update))
    assert judged == here
    if update is sgd:  # the right values, in place
        assert np.allclose(np.array(here[0]["W"][1]), np.arange(6.0).reshape(2, 3) - 0.2)


def test_a_dict_passed_without_inout_is_a_copy_on_both_sides(sandboxed):
    from bpkit.checks.core import call

    params = {"W": np.zeros(3)}
    call("update(params, grads)", sandboxed(sgd), params, {"W": np.ones(3)})
    call("update(params, grads)", sgd, params, {"W": np.ones(3)})
    assert np.array_equal(params["W"], np.zeros(3))


def _serve_one(judge, name, check):
    judge._checks[name] = check
    judge._allowed.add(name)
    return verdict(judge, name, lambda *args: None)


def test_a_check_asking_to_send_what_cannot_cross_is_the_courses_mistake_not_the_students(judge):
    from bpkit.checks.core import call, over_all_cases
    from bpkit.judging.judge import COURSE_ERROR

    @over_all_cases
    def check_sends_a_set(student):
        call("update(params)", student, {1, 2})

    got = _serve_one(judge, "ch4.sends_a_set", check_sends_a_set)
    assert not got["passed"] and got["message"] == COURSE_ERROR  # never "[raised]" on the student's code
    (v,) = judge.verdicts["ch4.sends_a_set"]
    assert "a set, which the judge cannot send" in v.course_error and "dicts of them" in v.course_error
    assert judge.refused == []  # not an integrity finding


def test_a_check_that_raises_inside_the_grader_is_the_courses_mistake(judge):
    from bpkit.checks.core import call

    def check_divides_by_zero(student):
        call("f()", student)
        return 1 / 0

    got = _serve_one(judge, "ch4.divides_by_zero", check_divides_by_zero)
    (v,) = judge.verdicts["ch4.divides_by_zero"]
    assert not got["passed"] and "raised ZeroDivisionError: division by zero inside the grader" in v.course_error
    assert "[course_error]" in v.message and "[judge_error]" not in v.message


def test_an_unknown_check_a_source_cell_names_is_the_courses_mistake_not_a_refusal(tmp_path):
    with Judge(tmp_path, timeout=ANSWER_SECONDS, allowed={"ch4.softmax_1d", "ch4.sofmax_batch"}) as judge:
        told = ask_judge(judge.path, "ch4.sofmax_batch", ref.softmax)
        refused = ask_judge(judge.path, "ch9.anything", ref.softmax)  # not in the instructor's cells: refused
    assert told == {"op": "verdict", "passed": False} and refused == {"passed": False}
    (v,) = judge.verdicts["ch4.sofmax_batch"]
    assert "did you mean 'ch4.softmax_batch'" in v.course_error and "bpkit new check" in v.course_error
    assert [r["name"] for r in judge.refused] == ["ch9.anything"]
