"""bpkit.checks.describe and the all-cases verdict of bpkit.checks.core:
what a failure says when no known mistake explains it, and when a known
mistake may be named at all (issue 11: never wrong advice)."""
from __future__ import annotations

import numpy as np
import pytest

from bpkit.checks.core import CheckFailure, Mistake, all_cases, expect_close
from bpkit.checks.describe import describe

RNG = np.random.default_rng(7)
E = RNG.normal(size=(4, 3))


def said(got, expected=E, where=None, passing=()):
    text = describe([("answer", np.asarray(got, float), np.asarray(expected, float), where)], list(passing))
    return text[0] if text else ""


@pytest.mark.parametrize("got,words", [
    (np.zeros_like(E), "all zeros"),
    (-E, "opposite sign"),
    (4 * E, "4 times"),
    (E / 4, "1/4 times"),
    (E + 0.5, "off by the same amount everywhere (+0.5)"),
    (np.tile(E[:1], (4, 1)) * 0 + E[0], "every row of your answer is the same"),
])
def test_a_whole_answer_pattern_is_named_with_its_evidence(got, words):
    assert words in said(got)


def test_wrong_entries_are_located_by_row_column_or_position():
    one_per_row = E.copy()
    one_per_row[np.arange(4), [2, 0, 1, 1]] += 1
    assert "exactly one entry per row is wrong (columns 2, 0, 1, 1)" in said(one_per_row)
    rows = E.copy()
    rows[[1, 3]] *= 3
    assert "only rows 1, 3 are wrong" in said(rows)
    cols = E.copy()
    cols[:, 2] += 1
    assert "only column 2 is wrong" in said(cols)


def test_a_difference_confined_to_part_of_the_input_says_where():
    x = RNG.normal(size=(4, 3))
    got = np.where(x <= 0, E + 1, E)
    assert "only where x <= 0" in said(got, where=x)


def test_right_and_wrong_inputs_are_listed():
    text = said(E * 2, passing=["answer for x of shape (1, 3)"])
    assert "It is right for answer for x of shape (1, 3), and wrong for answer." in text


def test_nothing_is_said_when_there_is_no_clear_pattern():
    assert said(RNG.normal(size=(4, 3))) == ""


def test_scalars_get_a_factor_only_when_it_holds_across_every_failing_input():
    same = [("loss", np.asarray(2.0 * v), np.asarray(v), None) for v in (0.3, 1.7, 2.2)]
    assert "2 times" in describe(same, [])[0]
    mixed = [("loss", np.asarray(g), np.asarray(e), None) for g, e in ((0.6, 0.3), (1.0, 1.7))]
    assert describe(mixed, []) is None


MODEL = Mistake("demo.double", "You doubled it.", "2 倍にしています。", None)


def test_a_mistake_is_named_only_if_it_explains_every_failing_input():
    inputs = [RNG.normal(size=3) for _ in range(3)]
    with pytest.raises(CheckFailure) as named:
        with all_cases():
            for x in inputs:
                expect_close("f(x)", 2 * x, x, mistakes=[MODEL.__class__(**{**MODEL.__dict__, "value": 2 * x})])
    assert "[demo.double]" in str(named.value)
    # the answer agrees with the mistake's model on one input only: no advice, a description instead
    with pytest.raises(CheckFailure) as unnamed:
        with all_cases():
            for i, x in enumerate(inputs):
                got = 2 * x if i == 0 else 3 * x
                expect_close("f(x)", got, x, mistakes=[MODEL.__class__(**{**MODEL.__dict__, "value": 2 * x})])
    assert "[demo.double]" not in str(unnamed.value) and "[wrong_values]" in str(unnamed.value)


def test_an_answer_right_for_every_input_passes():
    with all_cases():
        for x in (RNG.normal(size=2), RNG.normal(size=(2, 2))):
            expect_close("f(x)", x.copy(), x)
