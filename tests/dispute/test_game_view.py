"""`GameView` reads `DisputeGame.gameState` by the compiled ABI's field names, so a field the
contracts add, drop or move is caught, never decoded into the wrong place."""

from __future__ import annotations

from dataclasses import fields

import pytest

from tribunal.dispute.state import GameView, _snake, abi_fields
from tribunal.protocol_enums import CollateralKind, GameStatus, Level, Party, Resolution


def raw_view(**overrides: object) -> dict[str, object]:
    """A GameView as the ABI names its fields, every value zero (but the overrides)."""
    kinds = {f.name: f.type for f in fields(GameView)}
    values: dict[str, object] = {}
    for name in abi_fields():
        kind = str(kinds[_snake(name)])
        values[name] = b"\0" * 32 if kind == "bytes" else "0x" + "00" * 20 if kind == "str" else 0
    values.update(overrides)
    return values


def test_the_dataclass_has_exactly_the_abi_s_fields() -> None:
    assert sorted(_snake(name) for name in abi_fields()) == sorted(f.name for f in fields(GameView))
    assert "collateral" in {f.name for f in fields(GameView)}


def test_a_queued_game_decodes_from_the_abi_s_tuple() -> None:
    raw = raw_view(status=int(GameStatus.QUEUED), taskId=7, challengerRevealed=False)
    view = GameView.from_tuple(tuple(raw[name] for name in abi_fields()))
    assert (view.task_id, view.status, view.collateral, view.level, view.on_turn) == (
        7, GameStatus.QUEUED, CollateralKind.NONE, Level.NONE, Party.CHALLENGER)
    assert view.queued and not view.active and not view.closed
    assert view.resolution is Resolution.ONE_STEP


@pytest.mark.parametrize(("status", "closed"), [(GameStatus.ACTIVE, False), (GameStatus.WITHDRAWN, True),
                                                (GameStatus.CHALLENGER_WON, True)])
def test_funded_and_closed_games(status: GameStatus, closed: bool) -> None:
    view = GameView.from_tuple(raw_view(status=int(status), collateral=int(CollateralKind.GAME_STAKE)))
    assert view.collateral is CollateralKind.GAME_STAKE and view.closed is closed
    assert status.pending is not closed


def test_a_missing_field_is_an_error_not_a_shift() -> None:
    raw = raw_view()
    del raw["collateral"]
    with pytest.raises(ValueError, match="collateral"):
        GameView.from_tuple(raw)
