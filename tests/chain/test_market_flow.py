"""post → claim → submit → finalize on a real anvil, every balance checked to the wei."""

from __future__ import annotations

import pytest
from web3 import Web3

from tests.support.chain import ETHER, Devnet, placeholder_trace, sample_task_params
from tribunal.chain.anvil import increase_time
from tribunal.chain.deploy import UNBONDING_MARGIN, DeployParams
from tribunal.chain.errors import ContractRevert
from tribunal.commitments import final_state_proof, trace_proof, trace_root
from tribunal.protocol_enums import TaskStatus

params = sample_task_params


def test_post_claim_submit_finalize_pays_operator_to_the_wei(devnet: Devnet) -> None:
    w3 = devnet.anvil.w3
    op, sub = devnet.signers["operator"].address, devnet.signers["submitter"].address
    reward = 3 * ETHER + 12345
    op_start, sub_start = w3.eth.get_balance(op), w3.eth.get_balance(sub)

    staked = devnet.stake_manager("operator").stake(5 * ETHER)
    task_id, posted = devnet.market("submitter").post_task(params(devnet), reward)
    assert w3.eth.get_balance(devnet.deployment.task_market) == reward

    claimed = devnet.market("operator").claim(task_id)
    info = devnet.stake_manager("operator").info(op)
    assert (info.bonded, info.locked, info.free) == (5 * ETHER, 2 * ETHER, 3 * ETHER)

    submitted = devnet.market("operator").submit_trace(
        task_id, placeholder_trace(params(devnet).steps), Web3.keccak(text="model")
    )
    with pytest.raises(ContractRevert) as early:
        devnet.market("other").finalize(task_id)
    assert early.value.error_name == "ChallengeWindowOpen"

    increase_time(w3, 601)
    finalized = devnet.market("other").finalize(task_id)
    task = devnet.market("other").task(task_id)
    assert task.status is TaskStatus.FINALIZED
    info = devnet.stake_manager("operator").info(op)
    assert (info.locked, info.credit) == (0, reward)

    withdrawn = devnet.stake_manager("operator").withdraw_credit()
    fees = staked.fee_wei + claimed.fee_wei + submitted.fee_wei + withdrawn.fee_wei
    assert w3.eth.get_balance(op) == op_start - 5 * ETHER - fees + reward
    assert w3.eth.get_balance(sub) == sub_start - reward - posted.fee_wei
    assert finalized.gas_used > 0

    with pytest.raises(ContractRevert) as again:
        devnet.market("other").finalize(task_id)
    assert again.value.error_name == "WrongStatus"
    assert "tribunal task show" in str(again.value)


def test_submit_binds_h_S_to_the_trace_root(devnet: Devnet) -> None:
    """The result names h_S with its proof as leaf S of the trace root; another state's commitment
    (h_{S-1}, with its own valid proof) or a made-up one is refused with FinalStateNotInTrace."""
    devnet.stake_manager("operator").stake(5 * ETHER)
    task_id, _ = devnet.market("submitter").post_task(params(devnet), ETHER)
    devnet.market("operator").claim(task_id)
    states = placeholder_trace(params(devnet).steps)
    root, steps = trace_root(states), len(states) - 1
    final_state, proof = final_state_proof(states)
    model = Web3.keccak(text="model")
    for wrong, wrong_proof in ((states[steps - 1], trace_proof(states, steps - 1)),
                               (states[steps - 1], proof), (Web3.keccak(text="other"), proof)):
        with pytest.raises(ContractRevert) as refused:
            devnet.market("operator").submit_result(task_id, root, wrong, wrong_proof, model)
        assert refused.value.error_name == "FinalStateNotInTrace"
        assert refused.value.error_args == {"finalStateRoot": bytes(wrong), "traceRoot": root}
    with pytest.raises(ContractRevert) as zero:
        devnet.market("operator").submit_result(task_id, root, bytes(32), proof, model)
    assert zero.value.error_name == "ZeroRoot"
    devnet.market("operator").submit_result(task_id, root, final_state, proof, model)
    task = devnet.market("other").task(task_id)
    assert (task.trace_root, task.final_state_root, task.model_hash) == (root, final_state, model)


def test_claim_with_too_little_stake_names_the_error_and_amounts(devnet: Devnet) -> None:
    devnet.stake_manager("operator").stake(ETHER)
    task_id, _ = devnet.market("submitter").post_task(params(devnet), ETHER)
    with pytest.raises(ContractRevert) as err:
        devnet.market("operator").claim(task_id)
    assert err.value.error_name == "StakeTooLow"
    assert err.value.error_args == {"available": ETHER, "required": 2 * ETHER}
    assert f"claim task {task_id}" in str(err.value)


def test_post_rejects_zero_reward_and_past_deadline(devnet: Devnet) -> None:
    with pytest.raises(ContractRevert) as zero:
        devnet.market("submitter").post_task(params(devnet), 0)
    assert zero.value.error_name == "ZeroReward"
    with pytest.raises(ContractRevert) as past:
        devnet.market("submitter").post_task(params(devnet, deadline=1), ETHER)
    assert past.value.error_name == "DeadlineInPast"


def test_unbonding_withdrawal_waits_for_the_delay(devnet: Devnet) -> None:
    sm = devnet.stake_manager("operator")
    sm.stake(ETHER)
    sm.request_unbond(ETHER)
    with pytest.raises(ContractRevert) as early:
        sm.withdraw()
    assert early.value.error_name == "UnbondingNotReady"
    increase_time(devnet.anvil.w3, sm.unbonding_delay() + 1)
    sm.withdraw()
    assert sm.info(devnet.signers["operator"].address).unbonding == 0


def test_missed_deadline_slashes_and_refunds_the_submitter(devnet: Devnet) -> None:
    w3 = devnet.anvil.w3
    devnet.stake_manager("operator").stake(2 * ETHER)
    task_id, _ = devnet.market("submitter").post_task(params(devnet), ETHER)
    devnet.market("operator").claim(task_id)
    increase_time(w3, 3601)
    devnet.market("other").expire(task_id)
    task = devnet.market("other").task(task_id)
    assert task.status is TaskStatus.REFUNDED
    slashed = 2 * ETHER * devnet.deployment.params["missed_deadline_slash_bps"] // 10_000
    to_submitter = slashed * devnet.deployment.params["slash_winner_bps"] // 10_000
    credit = devnet.stake_manager("other").credit_of(devnet.signers["submitter"].address)
    assert credit == ETHER + to_submitter
    info = devnet.stake_manager("operator").info(devnet.signers["operator"].address)
    assert (info.bonded, info.locked) == (2 * ETHER - slashed, 0)


def test_post_below_the_deployed_floors_says_what_the_market_takes(devnet: Devnet) -> None:
    defaults = DeployParams()
    market = devnet.market("submitter")
    assert market.challenge_window_range() == (defaults.min_challenge_window, defaults.max_challenge_window)
    assert market.min_task_stake() == defaults.min_task_stake
    # DeployParams.validate checks the unbonding delay against the same margin the constructor does.
    assert market.contract.functions.UNBONDING_MARGIN().call() == UNBONDING_MARGIN
    with pytest.raises(ContractRevert) as stake:
        market.post_task(params(devnet, min_stake=1), ETHER)
    assert stake.value.error_name == "MinStakeBelowFloor"
    assert stake.value.error_args == {"minStake": 1, "floor": defaults.min_task_stake}
    assert "at least the market's floor" in str(stake.value)
    with pytest.raises(ContractRevert) as window:
        market.post_task(params(devnet, challenge_window=defaults.min_challenge_window - 1), ETHER)
    assert window.value.error_name == "ChallengeWindowOutOfRange"
    assert window.value.error_args == {"window": defaults.min_challenge_window - 1,
                                       "min": defaults.min_challenge_window,
                                       "max": defaults.max_challenge_window}
    at_floors = params(devnet, min_stake=defaults.min_task_stake,
                       challenge_window=defaults.min_challenge_window)
    task_id, _ = market.post_task(at_floors, ETHER)
    assert market.task(task_id).status is TaskStatus.OPEN


def test_a_squatter_past_the_claim_timeout_is_evicted_and_the_task_reopens(devnet: Devnet) -> None:
    w3 = devnet.anvil.w3
    now = w3.eth.get_block("latest")["timestamp"]
    squatter = devnet.signers["operator"].address
    devnet.stake_manager("operator").stake(2 * ETHER)
    task_id, _ = devnet.market("submitter").post_task(params(devnet, deadline=now + 3 * 86_400), ETHER)
    devnet.market("operator").claim(task_id)
    timeout = devnet.market("other").claim_timeout()
    assert timeout == DeployParams().claim_timeout

    with pytest.raises(ContractRevert) as early:
        devnet.market("other").evict_claim(task_id)
    assert early.value.error_name == "ClaimNotTimedOut"
    assert "may still submit" in str(early.value)

    increase_time(w3, timeout + 1)
    devnet.market("other").evict_claim(task_id)
    task = devnet.market("other").task(task_id)
    assert task.status is TaskStatus.OPEN
    slashed = 2 * ETHER * DeployParams().missed_deadline_slash_bps // 10_000
    info = devnet.stake_manager("operator").info(squatter)
    assert (info.bonded, info.locked) == (2 * ETHER - slashed, 0)
