"""A game whose spec the artifact store cannot serve yet waits; the desk's other games move on and
the agent's tick does not fail (which backed the whole agent off for up to a minute)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tribunal.dispute import desk as desk_module
from tribunal.dispute.claims import PartyClaims
from tribunal.dispute.desk import DisputeDesk
from tribunal.protocol_enums import Level, Party
from tribunal.task_fetch import SpecUnavailable


def test_a_game_without_its_spec_waits_and_the_others_move_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # every game is active, mid-bisection, and not yet ours to play: the desk asks for its claims
    view = SimpleNamespace(queued=False, level=Level.NODES, active=True, closed=False)
    monkeypatch.setattr(desk_module.GameView, "from_tuple", staticmethod(lambda raw: view))
    asked: list[int] = []

    def claims_for(task_id: int, party: Party) -> PartyClaims | None:
        asked.append(task_id)
        if task_id == 1:
            raise SpecUnavailable("artifact store http://127.0.0.1:1: connection refused")
        return None  # the other game has no claims either, but raises nothing

    game: Any = SimpleNamespace(state=lambda game_id: ())
    desk = DisputeDesk(game, "0x" + "11" * 20, claims_for, now=lambda: 0)
    desk.watch(10, 1, Party.CHALLENGER)
    desk.watch(20, 2, Party.CHALLENGER)
    assert desk.tick() == []
    assert asked == [1, 2]
    assert set(desk.games) == {10, 20}  # still watched: tried again next tick
    assert desk.tick() == [] and asked == [1, 2, 1, 2]
