"""DisputeGame: each game's state and the progress of its descent, every move, outcomes.

A game opens ACTIVE (`GameFunded`: backed by the task's stake or stake locked for it alone) or
QUEUED (`GameQueued`: no collateral yet, no clock); a queued game becomes ACTIVE when funded, or
WITHDRAWN (`GameWithdrawn`: by its challenger, or by the chain as moot) with its bond back."""

from __future__ import annotations

from backend.db.models import Dispute, DisputeMove
from backend.indexer.events import Context, Handler, on
from backend.indexer.handlers.common import account
from backend.indexer.store import Row
from tribunal.chain.events import ChainEvent
from tribunal.protocol_enums import CollateralKind, GameStatus, Level, Party, Resolution, enum_name


def _role(game: Row | None, who: str | None) -> str | None:
    if game is None or who is None:
        return None
    if who == game["challenger"]:
        return Party.CHALLENGER.name
    if who == game["operator"]:
        return Party.OPERATOR.name
    return None


def _game(ctx: Context, ev: ChainEvent) -> Row:
    row = ctx.store.edit(Dispute, (ev.args["gameId"],), ev.block_number)
    row["updated_block"] = ev.block_number
    return row


def _move(ctx: Context, ev: ChainEvent, game: Row, level: str | None = None) -> None:
    spec = ctx.contracts.spec(ev.contract, ev.name)
    who = ev.args.get("party")
    ctx.store.append(
        DisputeMove,
        {
            "tx_hash": ev.tx_hash,
            "log_index": ev.log_index,
            "block_number": ev.block_number,
            "timestamp": ev.timestamp,
            "game_id": ev.args["gameId"],
            "name": ev.name,
            "account": who,
            "party": _role(game, who),
            "level": level if level is not None else game["level"],
            "args": spec.to_json(ev.args) if spec is not None else ev.args,
        },
    )


@on("DisputeGame", "GameOpened")
def game_opened(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    game = ctx.store.create(
        Dispute,
        (a["gameId"],),
        ev.block_number,
        {
            "game_id": a["gameId"],
            "task_id": a["taskId"],
            "operator": a["operator"],
            "challenger": a["challenger"],
            "status": GameStatus.ACTIVE.name,  # until `GameQueued` (same transaction) says otherwise
            "collateral": None,
            "collateral_amount": None,
            "queue_position": None,
            "moot": None,
            "level": Level.STEPS.name,
            "resolution": None,
            "winner": None,
            "loser": None,
            "turn": Party.CHALLENGER.name,
            "bond": a["bond"],
            "max_clock": a["maxClock"],
            "used_challenger": 0,
            "used_operator": 0,
            "move_deadline": None,
            "trace_root_operator": a["traceRootOperator"],
            "trace_root_challenger": a["traceRootChallenger"],
            "leaf_count": None,
            "height": None,
            "position": None,
            "rounds": 0,
            "found_step": None,
            "found_node": None,
            "found_element": None,
            "found_instruction": None,
            "opened_at": ev.timestamp,
            "opened_block": ev.block_number,
            "resolved_at": None,
            "updated_block": ev.block_number,
        },
    )
    account(ctx, a["challenger"], ev)
    _move(ctx, ev, game)


@on("DisputeGame", "GameQueued")
def game_queued(ev: ChainEvent, ctx: Context) -> None:
    """No collateral for the game yet: it waits in its task's queue, no clock runs."""
    game = _game(ctx, ev)
    game.update(
        status=GameStatus.QUEUED.name,
        queue_position=ev.args["position"],
        turn=None,
        move_deadline=None,
    )
    _move(ctx, ev, game)


@on("DisputeGame", "GameFunded")
def game_funded(ev: ChainEvent, ctx: Context) -> None:
    """The game runs: at its open, or from the queue (`ClockStarted` follows)."""
    game = _game(ctx, ev)
    game.update(
        status=GameStatus.ACTIVE.name,
        collateral=enum_name(CollateralKind, ev.args["kind"]),
        collateral_amount=ev.args["amount"],
        queue_position=None,
    )
    _move(ctx, ev, game)


@on("DisputeGame", "GameWithdrawn")
def game_withdrawn(ev: ChainEvent, ctx: Context) -> None:
    """Closed while queued, the challenger's bond returned: by its challenger, or as moot."""
    game = _game(ctx, ev)
    game.update(
        status=GameStatus.WITHDRAWN.name,
        moot=bool(ev.args["moot"]),
        queue_position=None,
        turn=None,
        move_deadline=None,
        resolved_at=ev.timestamp,
    )
    _move(ctx, ev, game)


@on("DisputeGame", "ClockStarted")
def clock_started(ev: ChainEvent, ctx: Context) -> None:
    game = _game(ctx, ev)
    game.update(
        turn=_role(game, ev.args["party"]),
        used_challenger=ev.args["usedChallenger"],
        used_operator=ev.args["usedOperator"],
        move_deadline=ev.args["deadline"],
    )
    _move(ctx, ev, game)


@on("DisputeGame", "DescentStarted")
def descent_started(ev: ChainEvent, ctx: Context) -> None:
    game = _game(ctx, ev)
    game.update(
        level=enum_name(Level, ev.args["level"]),
        leaf_count=ev.args["leafCount"],
        height=ev.args["height"],
        position=0,
    )
    _move(ctx, ev, game)


@on("DisputeGame", "ChildrenRevealed")
def children_revealed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), enum_name(Level, ev.args["level"]))


@on("DisputeGame", "Bisected")
def bisected(ev: ChainEvent, ctx: Context) -> None:
    game = _game(ctx, ev)
    game.update(position=ev.args["position"], height=ev.args["height"], rounds=game["rounds"] + 1)
    _move(ctx, ev, game, enum_name(Level, ev.args["level"]))


def _found(field: str, value_arg: str, next_level: Level) -> Handler:
    """A descent reached its leaf: record what it found; the game moves to `next_level`."""

    def handler(ev: ChainEvent, ctx: Context) -> None:
        game = _game(ctx, ev)
        level = game["level"]
        game[field] = ev.args[value_arg]
        game["level"] = next_level.name
        _move(ctx, ev, game, level)

    return handler


on("DisputeGame", "StepFound")(_found("found_step", "step", Level.STEP_START))
on("DisputeGame", "NodeFound")(_found("found_node", "node", Level.NODE_START))
on("DisputeGame", "ElementFound")(_found("found_element", "element", Level.INTERMEDIATES))
on("DisputeGame", "InstructionFound")(_found("found_instruction", "instruction", Level.ONE_STEP))


@on("DisputeGame", "SegmentFound")
def segment_found(ev: ChainEvent, ctx: Context) -> None:
    """The step descent ended at a committed step whose interval holds uncommitted states: the
    parties commit their states of it (SEGMENT), then a descent over them finds the step."""
    game = _game(ctx, ev)
    game["level"] = Level.SEGMENT.name
    _move(ctx, ev, game, Level.STEPS.name)


@on("DisputeGame", "SegmentCommitted")
def segment_committed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), Level.SEGMENT.name)


@on("DisputeGame", "StepStarted")
def step_started(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), Level.STEP_START.name)


@on("DisputeGame", "NodeStarted")
def node_started(ev: ChainEvent, ctx: Context) -> None:
    game = _game(ctx, ev)
    game["level"] = Level.OUTPUT_ROOT.name
    _move(ctx, ev, game, Level.NODE_START.name)


@on("DisputeGame", "OutputRootRevealed")
def output_root_revealed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), Level.OUTPUT_ROOT.name)


@on("DisputeGame", "IntermediatesCommitted")
def intermediates_committed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), Level.INTERMEDIATES.name)


@on("DisputeGame", "OneStepExecuted")
def one_step_executed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), Level.ONE_STEP.name)


@on("DisputeGame", "GameResolved")
def game_resolved(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    game = _game(ctx, ev)
    game.update(
        status=enum_name(GameStatus, a["status"]),
        resolution=enum_name(Resolution, a["resolution"]),
        level=enum_name(Level, a["level"]),
        winner=a["winner"],
        loser=a["loser"],
        turn=None,
        move_deadline=None,
        resolved_at=ev.timestamp,
    )
    account(ctx, a["winner"], ev)["disputes_won"] += 1
    account(ctx, a["loser"], ev)["disputes_lost"] += 1
    _move(ctx, ev, game)


@on("DisputeGame", "GameSettled")
def game_settled(ev: ChainEvent, ctx: Context) -> None:
    """The verdict was carried out (`settle`, or `claimTimeout` in the same transaction). The money
    and the market's reaction come as their own events (`Slashed`, `Credited`, `StakeUnlocked`,
    `TaskDispute*`, `TaskVoided`, ...), handled where they are emitted; the game's move log records
    the settlement."""
    _move(ctx, ev, _game(ctx, ev))


@on("DisputeGame", "AvailabilityChallenged")
def availability_challenged(ev: ChainEvent, ctx: Context) -> None:
    """The game is an availability challenge (its `GameOpened` came first, in the same transaction):
    no descent; the operator's clock runs until the named chunks are delivered."""
    game = _game(ctx, ev)
    game["level"] = Level.AVAILABILITY.name
    _move(ctx, ev, game)


@on("DisputeGame", "ChunkDelivered")
def chunk_delivered(ev: ChainEvent, ctx: Context) -> None:
    """A chunk arrived on-chain with valid proofs. The move log keeps its index and size; the bytes
    stay in the chain's log (`tribunal.chain.dispute_game.DisputeGame.delivered_chunks` reads them)."""
    game = _game(ctx, ev)
    a = ev.args
    ctx.store.append(
        DisputeMove,
        {
            "tx_hash": ev.tx_hash,
            "log_index": ev.log_index,
            "block_number": ev.block_number,
            "timestamp": ev.timestamp,
            "game_id": a["gameId"],
            "name": ev.name,
            "account": None,
            "party": None,
            "level": Level.AVAILABILITY.name,
            "args": {"gameId": a["gameId"], "taskId": a["taskId"], "chunk": a["chunk"],
                     "bytes": len(a["data"])},
        },
    )
    game["updated_block"] = ev.block_number
