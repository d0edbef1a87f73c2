"""The indexer against a real anvil: a whole market scenario folded into the tables, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update

from backend.db.models import (
    Account,
    Dispute,
    DisputeMove,
    Event,
    IndexerState,
    Payout,
    Slash,
    Submission,
    Task,
)
from backend.indexer import handlers  # noqa: F401
from backend.indexer.events import _HANDLERS
from backend.indexer.store import dump_chain_data
from tests.support.chain import ETHER, Devnet, sample_task_params
from tests.support.indexing import index_fresh, make_indexer
from tests.support.market_scenarios import (
    dispute_scenario,
    game_contract,
    lifecycle,
    queued_games_scenario,
    with_dispute_game,
)
from tribunal.chain.anvil import increase_time
from tribunal.chain.deploy import DAY, DeployParams, deploy_contracts
from tribunal.chain.jackpot import Jackpot


def _chain_logs(devnet: Devnet, addresses: list[str]) -> int:
    w3 = devnet.anvil.w3
    logs = w3.eth.get_logs(
        {
            "fromBlock": devnet.deployment.block_number,
            "toBlock": "latest",
            "address": [w3.to_checksum_address(a) for a in addresses],
        }
    )
    return len(logs)


def test_market_lifecycle_is_folded_into_every_table(devnet: Devnet, db_url: str) -> None:
    tasks = lifecycle(devnet)
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url)
    indexed = indexer.sync()
    assert indexed == _chain_logs(devnet, [devnet.deployment.stake_manager, devnet.deployment.task_market])

    market = devnet.market("other")
    sm = devnet.stake_manager("other")
    with indexer.engine.connect() as conn:
        rows = {r.task_id: r for r in conn.execute(select(Task)).all()}
        for task_id in tasks.values():
            assert rows[task_id].status == market.task(task_id).status.name
        assert rows[tasks["done"]].reward == 3 * ETHER
        assert rows[tasks["done"]].trace_root is not None and rows[tasks["done"]].settled_at is not None
        assert rows[tasks["late"]].operator == devnet.signers["operator"].address.lower()

        accounts = {r.address: r for r in conn.execute(select(Account)).all()}
        for who in ("operator", "submitter"):
            address = devnet.signers[who].address
            info = sm.info(address)
            row = accounts[address.lower()]
            assert (row.bonded, row.locked, row.unbonding, row.credit) == (
                info.bonded,
                info.locked,
                info.unbonding,
                info.credit,
            ), who
        operator = accounts[devnet.signers["operator"].address.lower()]
        assert (operator.tasks_claimed, operator.tasks_completed, operator.tasks_expired) == (2, 1, 1)
        assert operator.earnings == 3 * ETHER and operator.slash_count == 1

        (submission,) = conn.execute(select(Submission)).all()
        assert (submission.task_id, submission.attempt, submission.outcome) == (tasks["done"], 1, "finalized")

        (slash,) = conn.execute(select(Slash)).all()
        assert (slash.reason, slash.task_id, slash.slasher) == (
            "missed_deadline",
            tasks["late"],
            "TaskMarket",
        )
        assert slash.amount == slash.to_winner + slash.burned == 2 * ETHER * 2_000 // 10_000

        kinds = sorted(r.kind for r in conn.execute(select(Payout)).all())
        assert kinds == ["credit_withdrawal", "refund", "refund", "reward", "stake_withdrawal"]

        timeline = (
            conn.execute(
                select(Event.name)
                .where(Event.task_id == tasks["done"])
                .order_by(Event.block_number, Event.log_index)
            )
            .scalars()
            .all()
        )
        assert timeline == ["TaskPosted", "TaskClaimed", "ResultSubmitted", "TaskFinalized"]
        cursor = conn.execute(select(IndexerState)).one()
        assert cursor.cursor_block == devnet.anvil.w3.eth.block_number


def test_the_jackpot_registry_committees_and_pots_are_stored_as_events(devnet: Devnet, db_url: str) -> None:
    """The Jackpot has no tables of its own: its events (the verifier registry, each result's
    committee, pots) are stored decoded in `events`, the task's ones under its task id. The market's
    calls into it are made here by impersonating the market (no forced-error flow needed)."""
    w3 = devnet.anvil.w3
    params = DeployParams(forced_error_ppm=1_000_000, audit_window=60, unbonding_delay=6 * DAY, pot_wei=ETHER,
                          verifier_bond_wei=ETHER // 10, committee_size=2)
    deployment = deploy_contracts(devnet.client("deployer"), devnet.anvil.rpc_url, params)
    assert deployment.jackpot is not None
    jackpot = {who: Jackpot(devnet.client(who), deployment.jackpot) for who in devnet.signers}
    for who in ("submitter", "challenger", "other"):
        jackpot[who].register()
    jackpot["submitter"].exit()  # slot 0: the last slot's member (other) moves into it
    operator = devnet.signers["operator"].address
    jackpot["operator"].fund_escrow(operator, ETHER)
    market = w3.to_checksum_address(deployment.task_market)
    w3.provider.make_request("anvil_impersonateAccount", [market])  # type: ignore[arg-type]
    w3.provider.make_request("anvil_setBalance", [market, hex(ETHER)])  # type: ignore[arg-type]
    try:
        as_market = jackpot["deployer"].contract.functions
        task_id, now = 5, w3.eth.get_block("latest")["timestamp"]
        for call in (as_market.reserve(operator), as_market.onSubmitted(task_id)):
            w3.eth.wait_for_transaction_receipt(call.transact({"from": market}))
        jackpot["challenger"].assign(task_id)
        leaf, root = w3.keccak(text="h_L"), w3.keccak(text="root")
        w3.eth.wait_for_transaction_receipt(as_market.openPot(task_id, operator, leaf, root, now, now + 10,
                                                              now + 20).transact({"from": market}))
    finally:
        w3.provider.make_request("anvil_stopImpersonatingAccount", [market])  # type: ignore[arg-type]
    increase_time(w3, 30)
    jackpot["other"].close_pot(task_id)  # no such task on the market: the whole pot goes back
    committee = [a.lower() for a in jackpot["other"].committee_of(task_id)]
    assert len(committee) == len(set(committee)) <= 2
    assert set(committee) <= {devnet.signers[who].address.lower() for who in ("challenger", "other")}

    indexer = make_indexer(db_url, deployment, devnet.anvil.rpc_url)
    indexer.sync()
    with indexer.engine.connect() as conn:
        rows = conn.execute(
            select(Event.name, Event.task_id, Event.args)
            .where(Event.contract == "Jackpot")
            .order_by(Event.block_number, Event.log_index)
        ).all()
    names = [r.name for r in rows]
    assert names == ["MemberJoined"] * 3 + ["MemberMoved", "MemberExited", "EscrowFunded", "PotReserved",
                                             "CommitteeFixed", "CommitteeDrawn", "PotOpened", "PotClosed"]
    by_name = {r.name: r for r in rows}
    joined = [r.args for r in rows if r.name == "MemberJoined"]
    verifiers = ("submitter", "challenger", "other")
    address = {who: devnet.signers[who].address.lower() for who in verifiers}
    # uints wider than 53 bits (uint64 too) are decimal strings
    assert joined == [{"account": address[who], "slot": str(i), "epoch": str(i + 1), "bond": str(ETHER // 10)}
                      for i, who in enumerate(verifiers)]
    assert by_name["MemberMoved"].args == {"account": address["other"], "fromSlot": "2", "toSlot": "0",
                                           "epoch": "4"}
    assert by_name["MemberExited"].args == {"account": address["submitter"], "slot": "0", "epoch": "4",
                                            "bond": str(ETHER // 10)}
    fixed, drawn, closed = by_name["CommitteeFixed"], by_name["CommitteeDrawn"], by_name["PotClosed"]
    draw = jackpot["other"].committee_draw(task_id)
    assert fixed.task_id == drawn.task_id == closed.task_id == task_id
    assert (draw.epoch, draw.members) == (4, 2)
    assert fixed.args == {"taskId": str(task_id), "submitBlock": str(draw.submit_block), "epoch": "4",
                          "members": "2"}
    assert drawn.args == {"taskId": str(task_id), "seed": "0x" + draw.seed.hex(), "committee": committee}
    # PotClosed lost its burned field: what the pot returned, and the escrow after it
    assert closed.args == {"taskId": str(task_id), "operator": operator.lower(), "round": 1,
                           "returned": str(ETHER), "escrow": str(ETHER)}


def test_dispute_games_are_indexed_with_their_descent(devnet: Devnet, db_url: str) -> None:
    deployment = with_dispute_game(devnet)
    tasks = dispute_scenario(devnet, deployment)
    indexer = make_indexer(db_url, deployment, devnet.anvil.rpc_url)
    indexer.sync()
    challenger = devnet.signers["challenger"].address.lower()
    operator = devnet.signers["operator"].address.lower()
    with indexer.engine.connect() as conn:
        games = {g.game_id: g for g in conn.execute(select(Dispute)).all()}
        first, second = games[1], games[2]
        assert (first.status, first.resolution, first.winner, first.found_step) == (
            "OPERATOR_WON",
            "TIMEOUT",
            operator,
            0,
        )
        assert (first.rounds, first.level, first.position, first.height) == (1, "STEP_START", 1, 0)
        assert (second.status, second.winner, second.rounds, second.level) == (
            "CHALLENGER_WON",
            challenger,
            0,
            "STEPS",
        )
        moves = conn.execute(
            select(DisputeMove.name, DisputeMove.party)
            .where(DisputeMove.game_id == 1)
            .order_by(DisputeMove.block_number, DisputeMove.log_index)
        ).all()
        assert [m.name for m in moves] == [
            "GameOpened",
            "GameFunded",
            "ClockStarted",
            "DescentStarted",
            "ChildrenRevealed",
            "ClockStarted",
            "ChildrenRevealed",
            "Bisected",
            "ClockStarted",
            "StepFound",
            "GameResolved",
            "GameSettled",  # claimTimeout settles as it decides
        ]
        assert moves[4].party == "CHALLENGER" and moves[6].party == "OPERATOR"
        assert {(g.collateral, g.collateral_amount, g.queue_position) for g in games.values()} == {
            ("TASK_STAKE", 2 * ETHER, None)
        }
        slashes = {s.game_id: s for s in conn.execute(select(Slash)).all()}
        bond = game_contract(devnet, deployment, "other")[1].functions.CHALLENGER_BOND().call()
        assert (slashes[1].account, slashes[1].reason, slashes[1].amount) == (
            challenger,
            "dispute_lost",
            bond,
        )
        assert (slashes[2].account, slashes[2].task_id, slashes[2].amount) == (
            operator,
            tasks["challenger_won"],
            2 * ETHER,
        )
        statuses = dict(conn.execute(select(Task.task_id, Task.status)).all())
        assert statuses == {tasks["operator_won"]: "SUBMITTED", tasks["challenger_won"]: "OPEN"}
        accounts = {a.address: a for a in conn.execute(select(Account)).all()}
        assert (accounts[operator].disputes_won, accounts[operator].disputes_lost) == (1, 1)
        assert accounts[operator].tasks_voided == 1
        sm = devnet.stake_manager("other")
        for address in (operator, challenger):
            info = sm.info(devnet.anvil.w3.to_checksum_address(address))
            row = accounts[address]
            assert (row.bonded, row.locked, row.credit) == (info.bonded, info.locked, info.credit)


def test_queued_withdrawn_and_moot_games_are_indexed_with_their_collateral(
    devnet: Devnet, db_url: str
) -> None:
    deployment = with_dispute_game(devnet)
    games = queued_games_scenario(devnet, deployment)
    indexer = make_indexer(db_url, deployment, devnet.anvil.rpc_url)
    indexer.sync()
    with indexer.engine.connect() as conn:
        rows = {g.game_id: g for g in conn.execute(select(Dispute)).all()}
        got = {
            name: (row.status, row.collateral, row.moot, row.queue_position)
            for name, row in ((name, rows[game_id]) for name, game_id in games.items() if name != "task")
        }
        assert got == {
            "A": ("CHALLENGER_WON", "TASK_STAKE", None, None),
            "B": ("WITHDRAWN", None, False, None),
            "C": ("OPERATOR_WON", "GAME_STAKE", None, None),
            "D": ("WITHDRAWN", None, True, None),
        }
        assert rows[games["C"]].collateral_amount == 2 * ETHER and rows[games["B"]].collateral_amount is None
        assert rows[games["D"]].resolved_at is not None and rows[games["D"]].turn is None

        def names(game_id: int) -> list[str]:
            return list(
                conn.execute(
                    select(DisputeMove.name)
                    .where(DisputeMove.game_id == game_id)
                    .order_by(DisputeMove.block_number, DisputeMove.log_index)
                ).scalars()
            )

        assert names(games["B"]) == ["GameOpened", "GameQueued", "DescentStarted", "GameWithdrawn"]
        assert names(games["C"])[:5] == [
            "GameOpened",
            "GameQueued",
            "DescentStarted",
            "GameFunded",
            "ClockStarted",
        ]
        assert names(games["D"])[-1] == "GameWithdrawn"
        task = conn.execute(select(Task).where(Task.task_id == games["task"])).one()
        assert (task.status, task.open_disputes) == ("OPEN", 0)  # every game ended: the voided task reopened
        operator = devnet.signers["operator"].address
        account = conn.execute(select(Account).where(Account.address == operator.lower())).one()
        info = devnet.stake_manager("other").info(operator)
        assert (account.bonded, account.locked, account.credit) == (info.bonded, info.locked, info.credit)
        assert info.locked == 0 and info.bonded == 2 * ETHER  # staked 4, lost A's 2; C's stake unlocked


def test_an_evicted_claim_reads_like_a_missed_deadline_and_reopens_the_task(
    devnet: Devnet, db_url: str
) -> None:
    w3 = devnet.anvil.w3
    operator = devnet.signers["operator"].address
    devnet.stake_manager("operator").stake(2 * ETHER)
    deadline = w3.eth.get_block("latest")["timestamp"] + 3 * 86_400
    task_id, _ = devnet.market("submitter").post_task(sample_task_params(devnet, deadline=deadline), ETHER)
    devnet.market("operator").claim(task_id)
    increase_time(w3, devnet.market("other").claim_timeout() + 1)
    devnet.market("other").evict_claim(task_id)
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url)
    indexer.sync()
    with indexer.engine.connect() as conn:
        task = conn.execute(select(Task).where(Task.task_id == task_id)).one()
        assert (task.status, task.operator, task.claimed_at, task.attempts) == ("OPEN", None, None, 1)
        (slash,) = conn.execute(select(Slash)).all()
        assert (slash.account, slash.reason, slash.task_id, slash.slasher) == (
            operator.lower(), "claim_timeout", task_id, "TaskMarket")
        assert slash.amount == 2 * ETHER * 2_000 // 10_000
        row = conn.execute(select(Account).where(Account.address == operator.lower())).one()
        assert (row.slash_count, row.locked, row.tasks_claimed) == (1, 0, 1)
        timeline = conn.execute(
            select(Event.name).where(Event.task_id == task_id).order_by(Event.block_number, Event.log_index)
        ).scalars().all()
        assert timeline == ["TaskPosted", "TaskClaimed", "ClaimEvicted", "TaskReopened"]


def test_events_already_stored_are_not_applied_twice(
    devnet: Devnet, db_url: str, new_database: Callable[[str], str], db_kind: str
) -> None:
    lifecycle(devnet)
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url)
    indexer.sync()
    before = dump_chain_data(indexer.engine)
    # Pretend the cursor was lost: every event comes again and must be recognised by (tx hash, log index).
    with indexer.engine.begin() as conn:
        base = conn.execute(select(IndexerState.base_block)).scalar_one()
        base_hash = devnet.anvil.w3.eth.get_block(base)["hash"].to_0x_hex()
        conn.execute(update(IndexerState).values(cursor_block=base, cursor_hash=base_hash))
    assert indexer.sync() == 0
    assert dump_chain_data(indexer.engine) == before
    assert before == dump_chain_data(
        index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url)
    )


def test_a_failure_inside_a_batch_leaves_nothing_half_written(
    devnet: Devnet,
    db_url: str,
    new_database: Callable[[str], str],
    db_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lifecycle(devnet)
    indexer = make_indexer(db_url, devnet.deployment, devnet.anvil.rpc_url, range_initial=5)
    indexer.sync(until=devnet.deployment.block_number + 6)
    calls = {"n": 0}
    real = _HANDLERS[("StakeManager", "Credited")]

    def crash_on_second(ev, ctx):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        real(ev, ctx)

    monkeypatch.setitem(_HANDLERS, ("StakeManager", "Credited"), crash_on_second)
    with pytest.raises(RuntimeError, match="power cut"):
        indexer.sync()
    # Batches before the failing one are committed; of the failing one, nothing is.
    cursor = indexer.cursor()
    assert cursor is not None and cursor.block > devnet.deployment.block_number + 6
    with indexer.engine.connect() as conn:
        assert conn.execute(
            select(Event.block_number).order_by(Event.block_number.desc())
        ).scalars().first() <= (cursor.block)
    assert dump_chain_data(indexer.engine) == dump_chain_data(
        index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url, until=cursor.block)
    )
    monkeypatch.setitem(_HANDLERS, ("StakeManager", "Credited"), real)
    indexer.sync()
    assert dump_chain_data(indexer.engine) == dump_chain_data(
        index_fresh(new_database, db_kind, devnet.deployment, devnet.anvil.rpc_url)
    )
