"""DisputeGame: each game's state and the progress of its descent, every move, outcomes."""

from __future__ import annotations

from backend.db.models import Dispute, DisputeMove
from backend.indexer.events import ChainEvent, Context, Handler, on
from backend.indexer.handlers.common import account
from backend.indexer.store import Row

# Mirrors the enums of contracts/src/DisputeTypes.sol (same numbering).
LEVELS = (
    "NONE",
    "STEPS",
    "STEP_START",
    "NODES",
    "NODE_START",
    "OUTPUT_ROOT",
    "ELEMENT",
    "INTERMEDIATES",
    "INSTRUCTION",
    "ONE_STEP",
)
GAME_STATUS = ("NONE", "ACTIVE", "OPERATOR_WON", "CHALLENGER_WON")
RESOLUTIONS = ("ONE_STEP", "INITIAL_STATE", "PADDING", "TIMEOUT")


def _name(names: tuple[str, ...], value: int) -> str:
    return names[value] if 0 <= value < len(names) else f"UNKNOWN_{value}"


def _role(game: Row | None, who: str | None) -> str | None:
    if game is None or who is None:
        return None
    if who == game["challenger"]:
        return "CHALLENGER"
    if who == game["operator"]:
        return "OPERATOR"
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
            "status": "ACTIVE",
            "level": "STEPS",
            "resolution": None,
            "winner": None,
            "loser": None,
            "turn": "CHALLENGER",
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
        level=_name(LEVELS, ev.args["level"]),
        leaf_count=ev.args["leafCount"],
        height=ev.args["height"],
        position=0,
    )
    _move(ctx, ev, game)


@on("DisputeGame", "ChildrenRevealed")
def children_revealed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), _name(LEVELS, ev.args["level"]))


@on("DisputeGame", "Bisected")
def bisected(ev: ChainEvent, ctx: Context) -> None:
    game = _game(ctx, ev)
    game.update(position=ev.args["position"], height=ev.args["height"], rounds=game["rounds"] + 1)
    _move(ctx, ev, game, _name(LEVELS, ev.args["level"]))


def _found(field: str, value_arg: str, next_level: str) -> Handler:
    """A descent reached its leaf: record what it found; the game moves to `next_level`."""

    def handler(ev: ChainEvent, ctx: Context) -> None:
        game = _game(ctx, ev)
        level = game["level"]
        game[field] = ev.args[value_arg]
        game["level"] = next_level
        _move(ctx, ev, game, level)

    return handler


on("DisputeGame", "StepFound")(_found("found_step", "step", "STEP_START"))
on("DisputeGame", "NodeFound")(_found("found_node", "node", "NODE_START"))
on("DisputeGame", "ElementFound")(_found("found_element", "element", "INTERMEDIATES"))
on("DisputeGame", "InstructionFound")(_found("found_instruction", "instruction", "ONE_STEP"))


@on("DisputeGame", "StepStarted")
def step_started(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), "STEP_START")


@on("DisputeGame", "NodeStarted")
def node_started(ev: ChainEvent, ctx: Context) -> None:
    game = _game(ctx, ev)
    game["level"] = "OUTPUT_ROOT"
    _move(ctx, ev, game, "NODE_START")


@on("DisputeGame", "OutputRootRevealed")
def output_root_revealed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), "OUTPUT_ROOT")


@on("DisputeGame", "IntermediatesCommitted")
def intermediates_committed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), "INTERMEDIATES")


@on("DisputeGame", "OneStepExecuted")
def one_step_executed(ev: ChainEvent, ctx: Context) -> None:
    _move(ctx, ev, _game(ctx, ev), "ONE_STEP")


@on("DisputeGame", "GameResolved")
def game_resolved(ev: ChainEvent, ctx: Context) -> None:
    a = ev.args
    game = _game(ctx, ev)
    game.update(
        status=_name(GAME_STATUS, a["status"]),
        resolution=_name(RESOLUTIONS, a["resolution"]),
        level=_name(LEVELS, a["level"]),
        winner=a["winner"],
        loser=a["loser"],
        turn=None,
        move_deadline=None,
        resolved_at=ev.timestamp,
    )
    account(ctx, a["winner"], ev)["disputes_won"] += 1
    account(ctx, a["loser"], ev)["disputes_lost"] += 1
    _move(ctx, ev, game)
