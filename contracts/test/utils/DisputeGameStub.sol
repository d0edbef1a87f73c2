// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Stands in for the dispute game in market tests: it names the market and stake manager
///         it serves (what `TaskMarket.setDisputeGame` checks), and tests call the market's hooks
///         by pranking as it.
contract DisputeGameStub {
    /// @notice The market this game reports to.
    address public immutable MARKET;

    /// @notice The stake manager this game slashes through.
    address public immutable STAKE_MANAGER;

    /// @param market The market this game reports to.
    /// @param stakeManager The stake manager this game slashes through.
    constructor(address market, address stakeManager) {
        MARKET = market;
        STAKE_MANAGER = stakeManager;
    }
}
