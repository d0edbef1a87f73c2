"""Evaluation with RepOps: bit-exact and repeatable, close to the native forward, and signed reports
that bind every number (`tribunal.evaluation`)."""

from __future__ import annotations

import math

import pytest

from tests.support.specs import SPECS, regression_spec, tiny_spec
from tribunal.evaluation import EVALUATION_TOLERANCE, Evaluation, EvaluationReport, evaluate_state
from tribunal.progress import BadSignature
from tribunal.training import evaluate, param_arrays, train

KEY = "0x" + "11" * 32


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_repops_evaluation_repeats_bit_for_bit_and_matches_the_native_forward(kind: str) -> None:
    spec = SPECS[kind]()
    result = train(spec)
    first = evaluate_state(spec, result.final_state)
    again = evaluate_state(spec, [a.copy() for a in result.final_state])
    assert first == again
    native = evaluate(spec, param_arrays(result.graph, result.final_state))
    if kind == "regression":
        assert first.accuracy is None
        assert math.isclose(first.loss, native, rel_tol=1e-4)
    else:
        assert first.accuracy is not None and 0.0 <= first.accuracy <= 1.0
        assert math.isclose(first.accuracy, native, abs_tol=1e-6)
        assert first.loss > 0


def test_a_different_state_evaluates_differently() -> None:
    spec = tiny_spec(steps=6)
    trained = evaluate_state(spec, train(spec).final_state)
    untrained = evaluate_state(spec, train(spec, until=0).final_state)
    assert trained.rows == untrained.rows == 359
    assert not trained.agrees_with(untrained)


def test_agreement_is_exact() -> None:
    assert EVALUATION_TOLERANCE == 0.0
    base = Evaluation(0.5, 0.75, 100)
    assert base.agrees_with(Evaluation(0.5, 0.75, 100))
    assert not base.agrees_with(Evaluation(math.nextafter(0.5, 1.0), 0.75, 100))
    assert not base.agrees_with(Evaluation(0.5, 0.76, 100))
    assert not base.agrees_with(Evaluation(0.5, 0.75, 99))
    assert not base.agrees_with(Evaluation(0.5, None, 100))
    assert Evaluation(float("nan"), None, 8).agrees_with(Evaluation(float("nan"), None, 8))


def test_a_signed_report_binds_every_number_and_the_market() -> None:
    from eth_account import Account

    me = Account.from_key(KEY).address.lower()
    report = EvaluationReport(7, 20, 0.4375, 0.875, 359, 1_700_000_000)
    signature = report.sign(KEY, 31337, "0x" + "ab" * 20)
    assert report.signer(signature, 31337, "0x" + "AB" * 20) == me
    for changed in (
        EvaluationReport(7, 20, 0.4376, 0.875, 359, 1_700_000_000),
        EvaluationReport(7, 20, 0.4375, None, 359, 1_700_000_000),
        EvaluationReport(7, 20, 0.4375, 0.875, 358, 1_700_000_000),
        EvaluationReport(8, 20, 0.4375, 0.875, 359, 1_700_000_000),
    ):
        assert changed.signer(signature, 31337, "0x" + "ab" * 20) != me
    assert report.signer(signature, 1, "0x" + "ab" * 20) != me
    with pytest.raises(BadSignature):
        report.signer("0x" + "00" * 65, 31337, "0x" + "ab" * 20)
    body = report.payload(me, signature)
    assert body["test_accuracy"] == 0.875 and body["signer"] == me


def test_regression_reports_no_accuracy() -> None:
    spec = regression_spec()
    evaluation = evaluate_state(spec, train(spec).final_state)
    report = EvaluationReport.now(1, spec.steps, evaluation)
    assert report.test_accuracy is None and "test accuracy: none" in report.message(1, "0x" + "00" * 20)
