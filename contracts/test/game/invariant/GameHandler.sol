// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DisputeGame} from "../../../src/DisputeGame.sol";
import {GameStatus, GameView, Resolution} from "../../../src/DisputeTypes.sol";
import {StakeManager} from "../../../src/StakeManager.sol";
import {Task, TaskParams, TaskStatus} from "../../../src/Task.sol";
import {TaskMarket} from "../../../src/TaskMarket.sol";
import {GameDriver} from "../utils/GameDriver.sol";
import {ToyWorld} from "../utils/ToyWorld.sol";

/// @notice Actors that open disputes on small toy tasks (either side faulty), play them move by
///         move with time passing in between, stall, claim timeouts, finalize tasks and withdraw
///         credits. Calls may revert (the runner ignores reverts); ghosts record what must never happen.
contract GameHandler is GameDriver {
    uint256 internal constant ACTORS = 4;
    uint256 internal constant MAX_DISPUTES = 10;
    uint256 internal constant REWARD = 3 ether;
    uint256 internal constant MIN_STAKE = 5 ether;
    uint64 internal constant WINDOW = 1 days;

    StakeManager public immutable sm;
    TaskMarket public immutable market;
    uint256 public immutable bond;
    uint256 public immutable maxClock;
    address public immutable submitter;

    ToyWorld[2] internal worlds;
    address[] public actors;

    struct Dispute {
        uint256 gameId;
        uint256 taskId;
        ToyWorld world;
        Side o;
        Side c;
        bool operatorFaulty;
        bool audited;
    }

    Dispute[] internal disputes;

    // ---- ghosts
    /// @notice ETH that entered the system (stakes, rewards).
    uint256 public ghostEthIn;
    /// @notice ETH paid out to credit owners.
    uint256 public ghostEthOut;
    /// @notice Set if `claimTimeout` succeeded while the clock on turn was live.
    bool public ghostResolvedWhileLive;
    /// @notice Set if a move was accepted by a resolved game.
    bool public ghostMovedAfterResolution;
    /// @notice Set if a game was resolved on its merits (not by timeout) against the honest side.
    bool public ghostHonestLostOnMerits;
    /// @notice Games resolved, by cause.
    uint256 public resolvedByTimeout;
    uint256 public resolvedOnMerits;

    constructor(DisputeGame game_, StakeManager sm_, TaskMarket market_, ToyWorld a, ToyWorld b) {
        game = game_;
        sm = sm_;
        market = market_;
        bond = game_.CHALLENGER_BOND();
        maxClock = game_.MAX_CLOCK();
        worlds[0] = a;
        worlds[1] = b;
        submitter = makeAddr("submitter");
        for (uint256 i = 0; i < ACTORS; i++) {
            actors.push(makeAddr(string.concat("actor", vm.toString(i))));
        }
    }

    // ---------------------------------------------------------------- views for the invariants

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function disputeCount() external view returns (uint256) {
        return disputes.length;
    }

    /// @notice Bonds the game should hold locked on `account`: one per active game it challenges.
    function expectedBonds(address account) external view returns (uint256 total) {
        for (uint256 i = 0; i < disputes.length; i++) {
            Dispute storage d = disputes[i];
            if (d.c.account == account && game.gameStatus(d.gameId) == GameStatus.Active) total += bond;
        }
    }

    /// @notice Stake the market should hold locked on `account`: minStake per Claimed/Submitted task.
    function expectedMarketLocks(address account) external view returns (uint256 total) {
        for (uint256 i = 0; i < disputes.length; i++) {
            Task memory t = market.getTask(disputes[i].taskId);
            if (t.operator == account && (t.status == TaskStatus.Claimed || t.status == TaskStatus.Submitted)) {
                total += t.minStake;
            }
        }
    }

    /// @notice Rewards of tasks not yet paid out.
    function liveEscrow() external view returns (uint256 escrow) {
        for (uint256 i = 0; i < disputes.length; i++) {
            Task memory t = market.getTask(disputes[i].taskId);
            if (
                t.status == TaskStatus.Open || t.status == TaskStatus.Claimed || t.status == TaskStatus.Submitted
                    || t.status == TaskStatus.Voided
            ) escrow += t.reward;
        }
    }

    /// @notice Whether every task's open-dispute count equals its active games.
    function disputeCountsMatch() external view returns (bool) {
        for (uint256 i = 0; i < disputes.length; i++) {
            uint256 active;
            for (uint256 j = 0; j < disputes.length; j++) {
                if (
                    disputes[j].taskId == disputes[i].taskId && game.gameStatus(disputes[j].gameId) == GameStatus.Active
                ) {
                    active++;
                }
            }
            if (market.getTask(disputes[i].taskId).openDisputes != active) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- actions

    /// @notice Posts a task of a toy world, has one actor claim and submit (faulty or not) and another
    ///         challenge it (honest if the operator is faulty, faulty otherwise).
    function openDispute(uint256 seed) external {
        if (disputes.length >= MAX_DISPUTES) return;
        ToyWorld world = worlds[seed % 2];
        address operator = actors[(seed >> 8) % ACTORS];
        address challenger = actors[(seed >> 16) % ACTORS];
        if (challenger == operator) challenger = actors[((seed >> 16) + 1) % ACTORS];
        bool operatorFaulty = (seed >> 24) & 1 == 1;
        ToyWorld.Fault memory bad = _randomFault(world, seed >> 32);
        ToyWorld.Fault memory honest;
        Side memory o = Side(operator, operatorFaulty ? bad : honest);
        Side memory c = Side(challenger, operatorFaulty ? honest : bad);
        bytes32 operatorRoot = world.traceRoot(o.fault);
        bytes32 challengerRoot = world.traceRoot(c.fault);

        uint256 taskId = _postAndSubmit(world, operator, operatorRoot);
        _topUp(challenger, bond);
        vm.prank(challenger);
        uint256 gameId = game.open(taskId, challengerRoot);
        disputes.push(Dispute(gameId, taskId, world, o, c, operatorFaulty, false));
    }

    /// @notice Lets `wait` seconds pass, then makes the move game `index` waits for.
    function move(uint256 index, uint256 wait) external {
        if (disputes.length == 0) return;
        Dispute memory d = disputes[index % disputes.length];
        GameView memory s = game.gameState(d.gameId);
        if (s.status != GameStatus.Active) {
            vm.prank(d.c.account);
            try game.reveal(d.gameId, bytes32(0), bytes32(0)) {
                ghostMovedAfterResolution = true;
            } catch {}
            return;
        }
        wait = bound(wait, 0, 1 hours);
        if (block.timestamp + wait > s.deadline) return; // too late: only claimTimeout is left
        vm.warp(block.timestamp + wait);
        Cache memory cache;
        _move(d.world, d.gameId, s, d.o, d.c, _prover(d, wait), cache);
        _audit(index % disputes.length);
    }

    /// @notice Plays game `index` to its end, `secondsPerMove` (at most an hour) before each move.
    function playOut(uint256 index, uint256 secondsPerMove) external {
        if (disputes.length == 0) return;
        Dispute memory d = disputes[index % disputes.length];
        GameView memory s = game.gameState(d.gameId);
        // a whole game takes at most ~40 moves: leave each side's clock enough for it
        secondsPerMove = bound(secondsPerMove, 0, 10 minutes);
        if (s.status != GameStatus.Active || block.timestamp + 20 * secondsPerMove > s.deadline) return;
        if (maxClock - s.usedChallenger < 20 * secondsPerMove || maxClock - s.usedOperator < 20 * secondsPerMove) {
            return;
        }
        _play(d.world, d.gameId, d.o, d.c, _prover(d, secondsPerMove), secondsPerMove);
        _audit(index % disputes.length);
    }

    /// @notice Time passes with nobody moving.
    function stall(uint256 secondsToPass) external {
        vm.warp(block.timestamp + bound(secondsToPass, 1, 2 * maxClock));
    }

    function claimTimeout(uint256 index) external {
        if (disputes.length == 0) return;
        uint256 i = index % disputes.length;
        GameView memory s = game.gameState(disputes[i].gameId);
        bool live = s.status == GameStatus.Active && block.timestamp <= s.deadline;
        try game.claimTimeout(disputes[i].gameId) {
            // INVARIANT: no resolution while the mover's clock is live.
            if (live) ghostResolvedWhileLive = true;
            _audit(i);
        } catch {}
    }

    function finalize(uint256 index) external {
        if (disputes.length == 0) return;
        try market.finalize(disputes[index % disputes.length].taskId) {} catch {}
    }

    function withdrawCredit(uint256 actorSeed) external {
        address a = actorSeed % (ACTORS + 1) == ACTORS ? submitter : actors[actorSeed % (ACTORS + 1)];
        uint256 before = a.balance;
        vm.prank(a);
        try sm.withdrawCredit() {
            ghostEthOut += a.balance - before;
        } catch {}
    }

    // ---------------------------------------------------------------- internals

    /// @dev Who sends the proof moves: either side, by `seed`.
    function _prover(Dispute memory d, uint256 seed) internal pure returns (address) {
        return seed & 1 == 0 ? d.c.account : d.o.account;
    }

    function _audit(uint256 i) internal {
        Dispute storage d = disputes[i];
        if (d.audited) return;
        GameView memory s = game.gameState(d.gameId);
        if (s.status == GameStatus.Active) return;
        d.audited = true;
        if (s.resolution == Resolution.Timeout) {
            resolvedByTimeout++;
            return;
        }
        resolvedOnMerits++;
        GameStatus honestWins = d.operatorFaulty ? GameStatus.ChallengerWon : GameStatus.OperatorWon;
        if (s.status != honestWins) ghostHonestLostOnMerits = true;
    }

    function _randomFault(ToyWorld world, uint256 seed) internal view returns (ToyWorld.Fault memory f) {
        f.active = true;
        f.kind = ToyWorld.FaultKind.Instruction;
        f.step = seed % world.steps();
        f.node = (seed >> 16) % world.numNodes();
        f.element = (seed >> 32) % world.numels(f.node);
        f.instruction = (seed >> 48) % world.lengths(f.node);
        f.delta = uint32(1 + (seed >> 64) % 1000);
        f.corruptRight = (seed >> 80) & 1 == 1;
    }

    function _topUp(address account, uint256 amount) internal {
        uint256 free = sm.freeOf(account);
        if (free >= amount) return;
        uint256 topUp = amount - free;
        vm.deal(account, account.balance + topUp);
        ghostEthIn += topUp;
        vm.prank(account);
        sm.stake{value: topUp}();
    }

    function _postAndSubmit(ToyWorld world, address operator, bytes32 traceRoot) internal returns (uint256 taskId) {
        TaskParams memory p = TaskParams({
            specHash: keccak256(abi.encode("spec", disputes.length)),
            specURI: "artifact://spec/toy",
            datasetRoot: keccak256("toy dataset"),
            initStateRoot: world.initStateRoot(),
            graphRoot: world.graphRoot(),
            steps: uint32(world.steps()),
            checkpointEvery: 1,
            minStake: MIN_STAKE,
            deadline: uint64(block.timestamp + 30 days),
            challengeWindow: WINDOW
        });
        vm.deal(submitter, submitter.balance + REWARD);
        ghostEthIn += REWARD;
        vm.prank(submitter);
        taskId = market.postTask{value: REWARD}(p);
        _topUp(operator, MIN_STAKE);
        vm.prank(operator);
        market.claim(taskId);
        vm.prank(operator);
        market.submitResult(taskId, traceRoot, keccak256("model"));
    }
}
