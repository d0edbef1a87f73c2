// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice An account whose receive reverts: payouts to it must fail only for itself.
contract Rejector {
    receive() external payable {
        revert("Rejector: no ETH");
    }
}
