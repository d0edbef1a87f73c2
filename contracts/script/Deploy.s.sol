// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Vm} from "../test/utils/Vm.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {TaskMarket} from "../src/TaskMarket.sol";

/// @notice Deploys and wires StakeManager + TaskMarket (the dispute game is wired later with
///         `StakeManager.setDisputeGame` then `TaskMarket.setDisputeGame`, in that order).
///         Parameters come from the environment, with defaults:
///         TRIBUNAL_UNBONDING_DELAY (10 days), TRIBUNAL_SLASH_WINNER_BPS (5000),
///         TRIBUNAL_MAX_CHALLENGE_WINDOW (2 days), TRIBUNAL_MAX_DISPUTE_DURATION (7 days),
///         TRIBUNAL_MISSED_DEADLINE_SLASH_BPS (1000).
///         Run: forge script script/Deploy.s.sol --rpc-url $RPC --private-key $KEY --broadcast
contract Deploy {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice Deploys both contracts and lets the StakeManager accept the market as slasher.
    /// @return stakeManager The deployed StakeManager.
    /// @return market The deployed TaskMarket.
    function run() external returns (StakeManager stakeManager, TaskMarket market) {
        uint256 unbondingDelay = vm.envOr("TRIBUNAL_UNBONDING_DELAY", uint256(10 days));
        uint256 slashWinnerBps = vm.envOr("TRIBUNAL_SLASH_WINNER_BPS", uint256(5000));
        uint256 maxChallengeWindow = vm.envOr("TRIBUNAL_MAX_CHALLENGE_WINDOW", uint256(2 days));
        uint256 maxDisputeDuration = vm.envOr("TRIBUNAL_MAX_DISPUTE_DURATION", uint256(7 days));
        uint256 missedDeadlineSlashBps = vm.envOr("TRIBUNAL_MISSED_DEADLINE_SLASH_BPS", uint256(1000));
        require(maxChallengeWindow <= type(uint64).max, "TRIBUNAL_MAX_CHALLENGE_WINDOW exceeds uint64");
        require(maxDisputeDuration <= type(uint64).max, "TRIBUNAL_MAX_DISPUTE_DURATION exceeds uint64");
        require(missedDeadlineSlashBps <= type(uint16).max, "TRIBUNAL_MISSED_DEADLINE_SLASH_BPS exceeds uint16");

        // The casts below are safe: each value was range-checked above.
        // forge-lint: disable-next-line(unsafe-typecast)
        (uint64 window, uint64 duration) = (uint64(maxChallengeWindow), uint64(maxDisputeDuration));
        // forge-lint: disable-next-line(unsafe-typecast)
        uint16 slashBps = uint16(missedDeadlineSlashBps);

        vm.startBroadcast();
        stakeManager = new StakeManager(unbondingDelay, slashWinnerBps);
        market = new TaskMarket(stakeManager, window, duration, slashBps);
        stakeManager.setSlashers(address(market), address(0));
        vm.stopBroadcast();
    }
}
