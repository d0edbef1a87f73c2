"""The Python chess clock against Clock.sol's definitions: exactly one of "live" and "timed out"
holds at any time, the deadline is the last live second, and time left never goes negative."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tribunal.dispute.clock import ChessClock
from tribunal.protocol_enums import Party

MAX_CLOCK = 600

clocks = st.builds(
    ChessClock,
    on_turn=st.sampled_from([Party.OPERATOR, Party.CHALLENGER]),
    turn_started_at=st.integers(0, 2**40),
    used_operator=st.integers(0, MAX_CLOCK),
    used_challenger=st.integers(0, MAX_CLOCK),
)


@given(clocks, st.integers(0, 2 * MAX_CLOCK))
def test_live_exactly_until_the_deadline(clock: ChessClock, elapsed: int) -> None:
    now = clock.turn_started_at + elapsed
    deadline = clock.deadline(MAX_CLOCK)
    assert clock.is_live(now, MAX_CLOCK) == (now <= deadline)
    assert clock.spent(now) == clock.used(clock.on_turn) + elapsed


@given(clocks, st.integers(0, 2 * MAX_CLOCK))
def test_only_the_party_on_turn_spends_time(clock: ChessClock, elapsed: int) -> None:
    now = clock.turn_started_at + elapsed
    waiting = Party.CHALLENGER if clock.on_turn is Party.OPERATOR else Party.OPERATOR
    assert clock.remaining(waiting, now, MAX_CLOCK) == MAX_CLOCK - clock.used(waiting)
    left = clock.remaining(clock.on_turn, now, MAX_CLOCK)
    assert left == max(0, MAX_CLOCK - clock.spent(now))
    assert (left > 0) <= clock.is_live(now, MAX_CLOCK)
