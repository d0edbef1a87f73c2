// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Jackpot} from "../../src/Jackpot.sol";

/// @notice The tests' reference model of the Jackpot's slot registry and committee draw
///         (docs/forced-errors.md), written the plain way (a linear scan of a slot's history), so
///         that the contract's binary search and draw are checked against an independent reading.
library SlotRegistryModel {
    /// @dev Who held `slot` as of `epoch` in `history` (zero: nobody yet).
    function occupantAt(mapping(uint256 => Jackpot.Occupant[]) storage history, uint256 slot, uint64 epoch)
        internal
        view
        returns (address who)
    {
        Jackpot.Occupant[] storage h = history[slot];
        for (uint256 i = 0; i < h.length && h[i].fromEpoch <= epoch; i++) {
            who = h[i].account;
        }
    }

    /// @dev The committee of a draw: up to `size` distinct accounts, candidate j the holder, as of
    ///      `epoch`, of slot keccak256(abi.encode(seed, taskId, j)) % count for j < 8 * size, repeats
    ///      (and empty slots, which the contract never has below `count`) skipped.
    function committee(
        mapping(uint256 => Jackpot.Occupant[]) storage history,
        uint256 size,
        uint256 taskId,
        bytes32 seed,
        uint64 epoch,
        uint64 count
    ) internal view returns (address[] memory chosen) {
        address[] memory tmp = new address[](size);
        uint256 n;
        if (seed != bytes32(0) && count != 0) {
            for (uint256 j = 0; j < size * 8 && n < size; j++) {
                address a = occupantAt(history, uint256(keccak256(abi.encode(seed, taskId, j))) % count, epoch);
                bool repeat = a == address(0);
                for (uint256 i = 0; i < n; i++) {
                    if (tmp[i] == a) repeat = true;
                }
                if (!repeat) tmp[n++] = a;
            }
        }
        chosen = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            chosen[i] = tmp[i];
        }
    }
}
