"""StakeManager: balances of every staker, credits, withdrawals and slashes."""

from __future__ import annotations

from backend.db.models import Payout, Slash
from backend.indexer.events import Context, on
from backend.indexer.handlers.common import account, is_zero
from tribunal.chain.events import ChainEvent


def _payout(
    ctx: Context, ev: ChainEvent, kind: str, who: str, amount: int, task_id: int | None = None
) -> None:
    ctx.store.append(
        Payout,
        {
            "tx_hash": ev.tx_hash,
            "log_index": ev.log_index,
            "block_number": ev.block_number,
            "timestamp": ev.timestamp,
            "kind": kind,
            "account": who,
            "amount": amount,
            "task_id": task_id,
        },
    )


@on("StakeManager", "Staked")
def staked(ev: ChainEvent, ctx: Context) -> None:
    row = account(ctx, ev.args["account"], ev)
    row["bonded"] = ev.args["bonded"]
    row["total_staked"] += ev.args["amount"]


@on("StakeManager", "UnbondRequested")
def unbond_requested(ev: ChainEvent, ctx: Context) -> None:
    row = account(ctx, ev.args["account"], ev)
    row["bonded"] -= ev.args["amount"]
    row["unbonding"] = ev.args["unbonding"]
    row["unbonding_ready_at"] = ev.args["readyAt"]


@on("StakeManager", "UnbondCancelled")
def unbond_cancelled(ev: ChainEvent, ctx: Context) -> None:
    row = account(ctx, ev.args["account"], ev)
    row["bonded"] = ev.args["bonded"]
    row["unbonding"] = 0
    row["unbonding_ready_at"] = 0


@on("StakeManager", "Withdrawn")
def withdrawn(ev: ChainEvent, ctx: Context) -> None:
    row = account(ctx, ev.args["account"], ev)
    row["unbonding"] = 0
    row["unbonding_ready_at"] = 0
    row["total_withdrawn"] += ev.args["amount"]
    _payout(ctx, ev, "stake_withdrawal", ev.args["account"], ev.args["amount"])


@on("StakeManager", "StakeLocked")
def stake_locked(ev: ChainEvent, ctx: Context) -> None:
    account(ctx, ev.args["account"], ev)["locked"] += ev.args["amount"]


@on("StakeManager", "StakeUnlocked")
def stake_unlocked(ev: ChainEvent, ctx: Context) -> None:
    account(ctx, ev.args["account"], ev)["locked"] -= ev.args["amount"]


@on("StakeManager", "Slashed")
def slashed(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    amount = a["fromLocked"] + a["fromFree"] + a["fromUnbonding"]
    row = account(ctx, a["account"], ev)
    row["locked"] -= a["fromLocked"]
    row["bonded"] -= a["fromLocked"] + a["fromFree"]
    row["unbonding"] -= a["fromUnbonding"]
    if row["unbonding"] == 0:
        row["unbonding_ready_at"] = 0
    row["slashed_total"] += amount
    row["slash_count"] += 1
    winner = None if is_zero(a["winner"]) else a["winner"]
    if winner is not None and a["toWinner"]:
        account(ctx, winner, ev)["slash_winnings"] += a["toWinner"]
    row = ctx.store.append(
        Slash,
        {
            "tx_hash": ev.tx_hash,
            "log_index": ev.log_index,
            "block_number": ev.block_number,
            "timestamp": ev.timestamp,
            "account": a["account"],
            "slasher": ctx.contracts.name_of(a["slasher"]) or a["slasher"],
            "winner": winner,
            "amount": amount,
            "from_locked": a["fromLocked"],
            "from_free": a["fromFree"],
            "from_unbonding": a["fromUnbonding"],
            "to_winner": a["toWinner"],
            "burned": a["burned"],
            "reason": None,
            "task_id": None,
            "game_id": None,
        },
    )
    # The market's or the game's own event in the same transaction names the task and the reason;
    # the game emits it before slashing, the market after (then its handler links this row). The
    # game slashes only when it settles a verdict (`GameSettled`: in `settle`, or in `claimTimeout`
    # after its `GameResolved`), and one transaction settles one game, whose loser is the slashed.
    by_game = ctx.contracts.name_of(a["slasher"]) == "DisputeGame"
    for earlier in ctx.earlier_in_tx(ev.tx_hash):
        if by_game and earlier.contract == "DisputeGame" and earlier.name == "GameSettled":
            row.update(reason="dispute_lost", task_id=earlier.task_id, game_id=earlier.game_id)


@on("StakeManager", "Credited")
def credited(ev: ChainEvent, ctx: Context) -> None:
    row = account(ctx, ev.args["account"], ev)
    row["credit"] += ev.args["amount"]
    row["total_credited"] += ev.args["amount"]


@on("StakeManager", "CreditWithdrawn")
def credit_withdrawn(ev: ChainEvent, ctx: Context) -> None:
    row = account(ctx, ev.args["account"], ev)
    row["credit"] -= ev.args["amount"]
    row["total_credit_withdrawn"] += ev.args["amount"]
    _payout(ctx, ev, "credit_withdrawal", ev.args["account"], ev.args["amount"])


@on("StakeManager", "LockedStakePaid")
def locked_stake_paid(ev: ChainEvent, ctx: Context) -> None:
    """Locked stake paid whole to another account's credit (an availability challenger's bond paying the
    gas of a delivery); the credit arrives in the `Credited` that follows."""
    row = account(ctx, ev.args["account"], ev)
    row["locked"] -= ev.args["amount"]
    row["bonded"] -= ev.args["amount"]
