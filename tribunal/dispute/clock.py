"""The dispute game's chess clock as Python reads it: `contracts/src/lib/Clock.sol`, function for
function, over the fields of `GameView`.

Only the party on turn spends time; it loses once the seconds it used on completed turns plus the
running turn exceed the game's maximum (`MAX_CLOCK`). The desk claims a win with it; the chain decides
(`DisputeGame.claimTimeout` reverts with `ClockNotExpired` while the clock is live).
"""

from __future__ import annotations

from dataclasses import dataclass

from tribunal.dispute.state import GameView
from tribunal.protocol_enums import Party


@dataclass(frozen=True)
class ChessClock:
    """`ChessClock` of Clock.sol: the seconds each party used, the party on turn, its turn's start."""

    on_turn: Party
    turn_started_at: int
    used_operator: int
    used_challenger: int

    @classmethod
    def of(cls, view: GameView) -> ChessClock:
        return cls(view.on_turn, view.turn_started_at, view.used_operator, view.used_challenger)

    def used(self, party: Party) -> int:
        """Seconds `party` used on its completed turns (the running turn excluded)."""
        return self.used_operator if party is Party.OPERATOR else self.used_challenger

    def spent(self, timestamp: int) -> int:
        """Seconds the party on turn has used at `timestamp`, the running turn included."""
        return self.used(self.on_turn) + (timestamp - self.turn_started_at)

    def is_live(self, timestamp: int, max_clock: int) -> bool:
        """Whether the party on turn may still move at `timestamp`."""
        return self.spent(timestamp) <= max_clock

    def deadline(self, max_clock: int) -> int:
        """The last second at which the party on turn may still move."""
        return self.turn_started_at + max_clock - self.used(self.on_turn)

    def remaining(self, party: Party, timestamp: int, max_clock: int) -> int:
        """Seconds `party` has left at `timestamp` (never negative)."""
        used = self.spent(timestamp) if party is self.on_turn else self.used(party)
        return max(0, max_clock - used)
