// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DisputeGameStub} from "./DisputeGameStub.sol";
import {Test} from "./Test.sol";
import {StakeManager} from "../../src/StakeManager.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {TaskParams} from "../../src/Task.sol";

/// @notice A wired StakeManager + TaskMarket with a stub standing in for the dispute game (tests
///         prank as it to call the market's hooks).
abstract contract MarketFixture is Test {
    uint256 internal constant UNBONDING_DELAY = 14 days;
    uint256 internal constant SLASH_WINNER_BPS = 5000;
    uint64 internal constant MAX_CHALLENGE_WINDOW = 2 days;
    uint64 internal constant MAX_DISPUTE_DURATION = 7 days;
    uint16 internal constant MISSED_DEADLINE_SLASH_BPS = 1000;
    uint64 internal constant MIN_CHALLENGE_WINDOW = 1 hours;
    uint256 internal constant MIN_TASK_STAKE = 0.1 ether;
    uint64 internal constant CLAIM_TIMEOUT = 6 hours;

    uint256 internal constant REWARD = 3 ether;
    uint256 internal constant MIN_STAKE = 5 ether;
    uint64 internal constant WINDOW = 1 days;

    StakeManager internal sm;
    TaskMarket internal market;
    address internal game;

    function _deploy() internal {
        _deploy(UNBONDING_DELAY, MAX_CHALLENGE_WINDOW, MAX_DISPUTE_DURATION);
    }

    function _deploy(uint256 unbondingDelay, uint64 maxChallengeWindow, uint64 maxDisputeDuration) internal {
        sm = new StakeManager(unbondingDelay, SLASH_WINNER_BPS);
        market = new TaskMarket(
            sm,
            maxChallengeWindow,
            maxDisputeDuration,
            MISSED_DEADLINE_SLASH_BPS,
            MIN_CHALLENGE_WINDOW,
            MIN_TASK_STAKE,
            CLAIM_TIMEOUT
        );
        game = address(new DisputeGameStub(address(market), address(sm)));
        sm.setSlashers(address(market), game);
        market.setDisputeGame(game);
    }

    function _params(uint64 deadline) internal pure returns (TaskParams memory) {
        return TaskParams({
            specHash: keccak256("spec"),
            specURI: "artifact://spec/0001",
            datasetRoot: keccak256("dataset"),
            initStateRoot: keccak256("h0"),
            graphRoot: keccak256("graph"),
            steps: 100,
            checkpointEvery: 10,
            minStake: MIN_STAKE,
            deadline: deadline,
            challengeWindow: WINDOW
        });
    }
}
