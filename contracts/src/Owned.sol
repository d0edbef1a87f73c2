// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "./Errors.sol";

/// @title Owned
/// @notice The deployer owns the contract for its one-time wiring (which contracts may move stake,
///         which contract is the dispute game). Ownership is immutable: there is nothing to transfer
///         and nothing the owner can do once the wiring is complete.
abstract contract Owned {
    /// @notice The account that deployed the contract and may wire it once.
    address public immutable OWNER;

    constructor() {
        OWNER = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != OWNER) revert Errors.NotOwner(msg.sender, OWNER);
        _;
    }
}
