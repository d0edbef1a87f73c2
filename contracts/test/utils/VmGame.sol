// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Forge cheatcodes the dispute-game tests use beyond `Vm` (same cheatcode address).
interface VmGame {
    /// @notice Expects the next call to revert with a custom error of this selector, whatever its arguments.
    function expectPartialRevert(bytes4 selector) external;
}
