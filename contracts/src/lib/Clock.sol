// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Party} from "../DisputeTypes.sol";

/// @notice A two-party chess clock in one word: the seconds each party used on completed turns, the
///         party on turn and when its turn started.
/// @dev Layout (low to high): bits 0..63 turnStartedAt, 64..127 usedOperator, 128..191
///      usedChallenger, 192..199 the party on turn.
type ChessClock is uint256;

using Clock for ChessClock global;

/// @title Clock
/// @notice The dispute game's chess clock (LESSONS: resolve on the accumulated clock, never on time
///         since the last move). Only the party on turn spends time; a party loses once its total
///         exceeds the game's maximum, and its clock is "live" until then. A turn is passed only
///         while the mover's clock is live, so a party's `used` never exceeds the maximum and a used-up
///         clock can never become live again (time only grows, and nothing but a pass stops a clock).
///
///         Gas: a pass is pure arithmetic on one storage word (one SLOAD, one SSTORE in the game).
library Clock {
    uint256 private constant MASK64 = 0xFFFFFFFFFFFFFFFF;
    uint256 private constant USED_OPERATOR_SHIFT = 64;
    uint256 private constant USED_CHALLENGER_SHIFT = 128;
    uint256 private constant ON_TURN_SHIFT = 192;

    /// @notice A fresh clock: nothing used, `first` on turn from `timestamp`.
    /// @param first The party whose clock runs first.
    /// @param timestamp The start (block.timestamp).
    /// @return The clock.
    function start(Party first, uint256 timestamp) internal pure returns (ChessClock) {
        return _pack(first, 0, 0, timestamp);
    }

    /// @notice The party whose clock runs.
    function onTurn(ChessClock clock) internal pure returns (Party) {
        return Party(ChessClock.unwrap(clock) >> ON_TURN_SHIFT);
    }

    /// @notice When the current turn started.
    function turnStartedAt(ChessClock clock) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) masked to 64 bits
        return uint64(ChessClock.unwrap(clock) & MASK64);
    }

    /// @notice Seconds `party` used on its completed turns (the running turn excluded).
    function used(ChessClock clock, Party party) internal pure returns (uint64) {
        uint256 shift = party == Party.Operator ? USED_OPERATOR_SHIFT : USED_CHALLENGER_SHIFT;
        // forge-lint: disable-next-line(unsafe-typecast) masked to 64 bits
        return uint64((ChessClock.unwrap(clock) >> shift) & MASK64);
    }

    /// @notice Seconds the party on turn has used at `timestamp`, the running turn included.
    function spent(ChessClock clock, uint256 timestamp) internal pure returns (uint256) {
        return uint256(clock.used(clock.onTurn())) + (timestamp - clock.turnStartedAt());
    }

    /// @notice Whether the party on turn may still move at `timestamp`: it has used at most
    ///         `maxClock` seconds. Exactly one of `isLive` and "timed out" holds at any time.
    function isLive(ChessClock clock, uint256 timestamp, uint256 maxClock) internal pure returns (bool) {
        return clock.spent(timestamp) <= maxClock;
    }

    /// @notice The last second at which the party on turn may still move.
    function deadline(ChessClock clock, uint256 maxClock) internal pure returns (uint256) {
        // INVARIANT: used <= maxClock for both parties (a turn is only passed while live).
        return uint256(clock.turnStartedAt()) + maxClock - clock.used(clock.onTurn());
    }

    /// @notice Ends the running turn at `timestamp`: its seconds are charged to the party on turn,
    ///         and the other party's clock starts.
    /// @dev The caller checks `isLive` first, so the charged total fits in 64 bits.
    function pass(ChessClock clock, uint256 timestamp) internal pure returns (ChessClock) {
        Party mover = clock.onTurn();
        uint256 moverUsed = clock.spent(timestamp);
        if (mover == Party.Operator) {
            return _pack(Party.Challenger, moverUsed, clock.used(Party.Challenger), timestamp);
        }
        return _pack(Party.Operator, clock.used(Party.Operator), moverUsed, timestamp);
    }

    function _pack(Party turn, uint256 usedOperator, uint256 usedChallenger, uint256 timestamp)
        private
        pure
        returns (ChessClock)
    {
        // Used seconds never exceed the game's maximum clock (a uint64) and timestamps fit 64 bits
        // for the next 500 billion years, so masking to 64 bits never truncates.
        return ChessClock.wrap(
            (uint256(uint8(turn)) << ON_TURN_SHIFT) | ((usedChallenger & MASK64) << USED_CHALLENGER_SHIFT)
                | ((usedOperator & MASK64) << USED_OPERATOR_SHIFT) | (timestamp & MASK64)
        );
    }
}
