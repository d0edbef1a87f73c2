"""`DeployParams.validate` refuses, in words, what the contracts' constructors would reject."""

from __future__ import annotations

import pytest

from tests.support.chain import Devnet
from tribunal.chain.deploy import (
    DAY,
    MIN_MISSED_DEADLINE_SLASH_BPS,
    UNBONDING_MARGIN,
    DeployParams,
    DeployParamsError,
)


def test_defaults_are_valid_and_leave_exactly_the_margin() -> None:
    params = DeployParams()
    params.validate()
    required = params.max_challenge_window + params.max_dispute_duration + UNBONDING_MARGIN
    assert params.unbonding_delay == required
    assert UNBONDING_MARGIN == DAY


def test_unbonding_delay_without_the_margin_is_refused() -> None:
    with pytest.raises(DeployParamsError, match=r"one-day margin = 345600s"):
        DeployParams(unbonding_delay=3 * DAY + 1).validate()
    with pytest.raises(DeployParamsError, match="unbonding_delay"):
        DeployParams(unbonding_delay=4 * DAY - 1).validate()


@pytest.mark.parametrize("window", [0, DAY + 1])
def test_min_challenge_window_outside_one_to_max_is_refused(window: int) -> None:
    with pytest.raises(DeployParamsError, match="min_challenge_window"):
        DeployParams(min_challenge_window=window).validate()


def test_zero_min_task_stake_is_refused() -> None:
    with pytest.raises(DeployParamsError, match="min_task_stake"):
        DeployParams(min_task_stake=0).validate()


def test_zero_claim_timeout_is_refused() -> None:
    with pytest.raises(DeployParamsError, match="claim_timeout"):
        DeployParams(claim_timeout=0).validate()


@pytest.mark.parametrize("bps", [0, MIN_MISSED_DEADLINE_SLASH_BPS - 1])
def test_missed_deadline_slash_below_the_floor_is_refused(bps: int) -> None:
    """Finding 4: at 0 bps an eviction (and a missed deadline) would cost a claim-squatter nothing."""
    with pytest.raises(DeployParamsError, match=r"missed_deadline_slash_bps .* below the floor of 500"):
        DeployParams(missed_deadline_slash_bps=bps).validate()
    DeployParams(missed_deadline_slash_bps=MIN_MISSED_DEADLINE_SLASH_BPS).validate()


def test_the_floor_matches_the_contract(devnet: Devnet) -> None:
    market = devnet.market("other")
    assert int(market._call("MIN_MISSED_DEADLINE_SLASH_BPS")) == MIN_MISSED_DEADLINE_SLASH_BPS


def test_forced_errors_need_an_audit_window_and_a_longer_unbonding_delay() -> None:
    """docs/forced-errors.md: a result lives up to 2W + 2A after submission with forced errors on."""
    with pytest.raises(DeployParamsError, match="audit_window"):
        DeployParams(forced_error_ppm=1000).validate()
    with pytest.raises(DeployParamsError, match=r"2 \* audit_window"):
        DeployParams(forced_error_ppm=1000, audit_window=600).validate()
    required = 2 * DAY + 2 * 600 + 2 * DAY + UNBONDING_MARGIN
    DeployParams(forced_error_ppm=1000, audit_window=600, unbonding_delay=required).validate()
    with pytest.raises(DeployParamsError, match="forced_error_ppm"):
        DeployParams(forced_error_ppm=1_000_001).validate()
    with pytest.raises(DeployParamsError, match="pot_wei"):
        DeployParams(forced_error_ppm=1, audit_window=1, unbonding_delay=required, pot_wei=0).validate()


def test_forced_errors_need_a_verifier_bond_and_a_committee_of_one_to_eight() -> None:
    """The Jackpot's constructor refuses a zero bond, a committee outside 1..8 and a pot under K wei."""
    required = 2 * DAY + 2 * 600 + 2 * DAY + UNBONDING_MARGIN
    forced = dict(forced_error_ppm=1000, audit_window=600, unbonding_delay=required)
    with pytest.raises(DeployParamsError, match="verifier_bond_wei"):
        DeployParams(**forced, verifier_bond_wei=0).validate()
    for size in (0, 9):
        with pytest.raises(DeployParamsError, match=f"committee_size {size} must be 1..8"):
            DeployParams(**forced, committee_size=size).validate()
    with pytest.raises(DeployParamsError, match="at least committee_size"):
        DeployParams(**forced, committee_size=8, pot_wei=7).validate()
    DeployParams(**forced, committee_size=8, pot_wei=8, verifier_bond_wei=1).validate()
    # without forced errors there is no Jackpot to check them against
    DeployParams(verifier_bond_wei=0, committee_size=0).validate()
