// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DisputeGame} from "../../../src/DisputeGame.sol";
import {CollateralKind, GameStatus, GameView, Resolution, TaskStakeState} from "../../../src/DisputeTypes.sol";
import {StakeManager} from "../../../src/StakeManager.sol";
import {Task, TaskParams, TaskStatus} from "../../../src/Task.sol";
import {TaskMarket} from "../../../src/TaskMarket.sol";
import {GameDriver} from "../utils/GameDriver.sol";
import {FullTree, TestTree} from "../utils/TestTree.sol";
import {ToyWorld} from "../utils/ToyWorld.sol";

/// @notice Actors that open disputes on small toy tasks (either side faulty), play them move by
///         move with time passing in between (a move that decides a game leaves it decided and
///         unsettled), settle decided games from any account, stall, claim timeouts, finalize tasks,
///         flush burns and withdraw credits. More games are opened on the same results from several accounts, the operators'
///         own second accounts among them (racing the honest challenger, or griefing), so games queue
///         for collateral, get funded as operators stake more or win, are withdrawn, or close as moot
///         after a void. Calls may revert (the runner ignores reverts); ghosts record what must never
///         happen.
contract GameHandler is GameDriver {
    uint256 internal constant ACTORS = 4;
    uint256 internal constant MAX_DISPUTES = 10;
    /// @notice Games in all, over the MAX_DISPUTES tasks.
    uint256 internal constant MAX_GAMES = 24;
    uint256 internal constant REWARD = 3 ether;
    uint256 internal constant MIN_STAKE = 5 ether;
    uint64 internal constant WINDOW = 1 days;

    StakeManager public immutable sm;
    TaskMarket public immutable market;
    uint256 public immutable bond;
    uint256 public immutable maxClock;
    address public immutable submitter;

    ToyWorld[2] internal worlds;
    /// @notice The ACTORS primary accounts, then each one's second account.
    address[] public actors;
    /// @notice Each primary account's second account.
    mapping(address account => address) public secondAccountOf;
    /// @notice Every task posted, once.
    uint256[] public taskIds;

    struct Dispute {
        uint256 gameId;
        uint256 taskId;
        ToyWorld world;
        Side o;
        Side c;
        bool operatorFaulty;
        /// Exactly one side plays the honest trace (false when both are faulty).
        bool hasHonestSide;
        bool audited;
    }

    /// @notice One entry per game.
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
    /// @notice Set if a game that ran ended without its winner being credited exactly w * minStake
    ///         (challenger won) or w * bond (operator won) from it.
    bool public ghostWinnerUnderpaid;
    /// @notice Set if a withdrawal changed its challenger's bonded stake or left the game not Withdrawn.
    bool public ghostWithdrawalCharged;
    /// @notice Set if `settle` succeeded on a game that was not decided or was already settled.
    bool public ghostSettleRuleBroken;
    /// @notice Set if a move that decided a game (without settling it) credited one of its parties.
    bool public ghostPaidBeforeSettle;
    /// @notice Games settled by the `settle` action (so a campaign shows it reached them).
    uint256 public settledByAction;
    /// @notice Games resolved, by cause.
    uint256 public resolvedByTimeout;
    uint256 public resolvedOnMerits;
    /// @notice Games that were queued at their open, and withdrawals (so a campaign shows it reached them).
    uint256 public queuedAtOpen;
    uint256 public withdrawals;

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
        for (uint256 i = 0; i < ACTORS; i++) {
            address second = makeAddr(string.concat("actor", vm.toString(i), "-second"));
            actors.push(second);
            secondAccountOf[actors[i]] = second;
        }
    }

    // ---------------------------------------------------------------- views for the invariants

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function disputeCount() external view returns (uint256) {
        return disputes.length;
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    /// @notice What the game should hold locked on `account`: the bond of every Active, Queued or
    ///         decided-unsettled game it challenges, plus minStake of every Active or decided-unsettled
    ///         GameStake game against it.
    function expectedGameLocks(address account) external view returns (uint256 total) {
        for (uint256 i = 0; i < disputes.length; i++) {
            Dispute storage d = disputes[i];
            GameStatus status = game.gameStatus(d.gameId);
            bool holds = status == GameStatus.Active || _unsettled(d.gameId, status);
            if (d.c.account == account && (holds || status == GameStatus.Queued)) total += bond;
            if (
                d.o.account == account && holds && game.gameState(d.gameId).collateral == CollateralKind.GameStake
            ) total += MIN_STAKE;
        }
    }

    /// @notice Games decided and not yet settled (they keep their locks and count as open).
    function unsettledCount() external view returns (uint256 n) {
        for (uint256 i = 0; i < disputes.length; i++) {
            if (_unsettled(disputes[i].gameId, game.gameStatus(disputes[i].gameId))) n++;
        }
    }

    /// @notice Stake the market should hold locked on `account`: minStake per Claimed/Submitted task,
    ///         and per Voided task whose task stake a game holds.
    function expectedMarketLocks(address account) external view returns (uint256 total) {
        for (uint256 i = 0; i < taskIds.length; i++) {
            Task memory t = market.getTask(taskIds[i]);
            if (t.operator != account) continue;
            (TaskStakeState taskStake,,,,,,) = game.taskDisputes(taskIds[i]);
            if (
                t.status == TaskStatus.Claimed || t.status == TaskStatus.Submitted
                    || (t.status == TaskStatus.Voided && taskStake == TaskStakeState.Held)
            ) total += t.minStake;
        }
    }

    /// @notice Rewards of tasks not yet paid out.
    function liveEscrow() external view returns (uint256 escrow) {
        for (uint256 i = 0; i < taskIds.length; i++) {
            Task memory t = market.getTask(taskIds[i]);
            if (
                t.status == TaskStatus.Open || t.status == TaskStatus.Claimed || t.status == TaskStatus.Submitted
                    || t.status == TaskStatus.Voided
            ) escrow += t.reward;
        }
    }

    /// @notice Whether every task's open-dispute count (the market's and the game's) equals its Active,
    ///         Queued and decided-unsettled games, and its queued count its Queued games.
    function disputeCountsMatch() external view returns (bool) {
        for (uint256 i = 0; i < taskIds.length; i++) {
            (uint256 live, uint256 queued) = _liveGames(taskIds[i]);
            (,,, uint256 openGames, uint256 queuedGames,,) = game.taskDisputes(taskIds[i]);
            if (market.getTask(taskIds[i]).openDisputes != live || openGames != live || queuedGames != queued) {
                return false;
            }
        }
        return true;
    }

    /// @notice Whether the game's task-stake state of every task agrees with its games and the market:
    ///         Held by exactly the one Active or decided-unsettled TaskStake game, voided exactly when
    ///         the market voided
    ///         the result, Gone only on a voided result, and the market holding the stake exactly
    ///         when the task is Claimed/Submitted or a game holds it.
    function taskStakesConsistent() external view returns (bool) {
        for (uint256 i = 0; i < taskIds.length; i++) {
            uint256 taskId = taskIds[i];
            (TaskStakeState taskStake, uint256 holder, bool voided,,,,) = game.taskDisputes(taskId);
            TaskStatus status = market.taskStatus(taskId);
            uint256 holders;
            for (uint256 j = 0; j < disputes.length; j++) {
                if (disputes[j].taskId != taskId) continue;
                GameStatus gameStatus = game.gameStatus(disputes[j].gameId);
                if (gameStatus != GameStatus.Active && !_unsettled(disputes[j].gameId, gameStatus)) continue;
                if (game.gameState(disputes[j].gameId).collateral != CollateralKind.TaskStake) continue;
                holders++;
                if (disputes[j].gameId != holder) return false;
            }
            if (holders != (taskStake == TaskStakeState.Held ? 1 : 0)) return false;
            if (voided != (status == TaskStatus.Voided)) return false;
            if (taskStake == TaskStakeState.Gone && !voided) return false;
            bool held = status == TaskStatus.Claimed || status == TaskStatus.Submitted
                || (status == TaskStatus.Voided && taskStake == TaskStakeState.Held);
            if (market.holdsTaskStake(taskId) != held) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- actions

    /// @notice Posts a task of a toy world, has one actor claim and submit (faulty or not) and another
    ///         challenge it (honest if the operator is faulty, faulty otherwise).
    function openDispute(uint256 seed) external {
        if (taskIds.length >= MAX_DISPUTES || disputes.length >= MAX_GAMES) return;
        ToyWorld world = worlds[seed % 2];
        address operator = actors[(seed >> 8) % ACTORS];
        address challenger = actors[(seed >> 16) % ACTORS];
        if (challenger == operator) challenger = actors[((seed >> 16) + 1) % ACTORS];
        bool operatorFaulty = (seed >> 24) & 1 == 1;
        ToyWorld.Fault memory bad = _randomFault(world, seed >> 32);
        ToyWorld.Fault memory honest;
        Side memory o = Side(operator, operatorFaulty ? bad : honest);
        Side memory c = Side(challenger, operatorFaulty ? honest : bad);
        bytes32 challengerRoot = world.traceRoot(c.fault);

        // some operators keep minStake free besides the task stake, so later games get a GameStake
        if ((seed >> 25) & 1 == 1) _topUp(operator, 2 * MIN_STAKE);
        uint256 taskId = _postAndSubmit(world, operator, o.fault);
        taskIds.push(taskId);
        _topUp(challenger, bond);
        vm.prank(challenger);
        uint256 gameId = game.open(taskId, challengerRoot);
        disputes.push(Dispute(gameId, taskId, world, o, c, operatorFaulty, true, false));
        if (game.gameStatus(gameId) == GameStatus.Queued) queuedAtOpen++;
    }

    /// @notice Opens one more game on the result of game `index`'s task, from any account but its
    ///         operator, often the operator's own second account. Against a faulty result the
    ///         challenger is mostly honest (racing the others), sometimes faulty too; against an
    ///         honest result it is faulty (griefing).
    function openAnotherGame(uint256 index, uint256 seed) external {
        if (disputes.length == 0 || disputes.length >= MAX_GAMES) return;
        Dispute memory base = disputes[index % disputes.length];
        if (market.taskStatus(base.taskId) != TaskStatus.Submitted) return;
        if (block.timestamp > market.challengeEndsAt(base.taskId)) return;
        address challenger = seed & 1 == 1 ? secondAccountOf[base.o.account] : actors[(seed >> 8) % actors.length];
        if (challenger == base.o.account) challenger = secondAccountOf[base.o.account];
        bool honestChallenger = base.operatorFaulty && (seed >> 16) % 4 != 0;
        ToyWorld.Fault memory fault;
        if (!honestChallenger) fault = _randomFault(base.world, seed >> 32);
        bytes32 root = base.world.traceRoot(fault);
        if (root == base.world.traceRoot(base.o.fault)) return;
        _topUp(challenger, bond);
        vm.prank(challenger);
        uint256 gameId = game.open(base.taskId, root);
        bool hasHonestSide = !base.operatorFaulty || honestChallenger;
        disputes.push(
            Dispute(
                gameId,
                base.taskId,
                base.world,
                base.o,
                Side(challenger, fault),
                base.operatorFaulty,
                hasHonestSide,
                false
            )
        );
        if (game.gameStatus(gameId) == GameStatus.Queued) queuedAtOpen++;
    }

    /// @notice The challenger of a queued game (searching from `index`) withdraws it: its bonded stake
    ///         is unchanged and its bond free again.
    function withdrawQueued(uint256 index) external {
        (bool found, uint256 i) = _findGame(index, GameStatus.Queued);
        if (!found) return;
        Dispute memory d = disputes[i];
        uint256 bondedBefore = sm.bondedOf(d.c.account);
        vm.prank(d.c.account);
        game.withdrawQueued(d.gameId);
        withdrawals++;
        if (sm.bondedOf(d.c.account) != bondedBefore || game.gameStatus(d.gameId) != GameStatus.Withdrawn) {
            ghostWithdrawalCharged = true;
        }
    }

    /// @notice Anyone advances the queue of game `index`'s task (if it has entries).
    function advanceQueue(uint256 index) external {
        if (disputes.length == 0) return;
        uint256 taskId = disputes[index % disputes.length].taskId;
        (,,,,, uint256 head, uint256 tail) = game.taskDisputes(taskId);
        if (head == tail) return;
        game.advanceQueue(taskId);
    }

    /// @notice A primary account (the operators are among them) stakes more, mostly exactly minStake:
    ///         an operator's free stake funds GameStakes and queued games.
    function stakeMore(uint256 actorSeed, uint256 amount) external {
        address a = actors[actorSeed % ACTORS];
        amount = amount % 4 == 0 ? bound(amount, 1, 2 * MIN_STAKE) : MIN_STAKE;
        vm.deal(a, a.balance + amount);
        ghostEthIn += amount;
        vm.prank(a);
        sm.stake{value: amount}();
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
        (uint256 creditC, uint256 creditO) = _credits(d);
        _move(d.world, d.gameId, s, d.o, d.c, _prover(d, wait), cache);
        // A move that decides the game records the verdict only: nobody is paid until `settle`.
        if (_unsettled(d.gameId, game.gameStatus(d.gameId))) {
            (uint256 afterC, uint256 afterO) = _credits(d);
            if (afterC != creditC || afterO != creditO) ghostPaidBeforeSettle = true;
        }
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
        (uint256 creditC, uint256 creditO) = _credits(d);
        // half the games end decided and unsettled, for the `settle` action (or a later one) to settle
        leaveUnsettled = (secondsPerMove >> 1) & 1 == 1;
        _play(d.world, d.gameId, d.o, d.c, _prover(d, secondsPerMove), secondsPerMove);
        leaveUnsettled = false;
        if (_unsettled(d.gameId, game.gameStatus(d.gameId))) {
            (uint256 afterC, uint256 afterO) = _credits(d);
            if (afterC != creditC || afterO != creditO) ghostPaidBeforeSettle = true;
        } else {
            _checkPaid(d, creditC, creditO);
        }
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
        (uint256 creditC, uint256 creditO) = _credits(disputes[i]);
        try game.claimTimeout(disputes[i].gameId) {
            // INVARIANT: no resolution while the mover's clock is live.
            if (live) ghostResolvedWhileLive = true;
            _checkPaid(disputes[i], creditC, creditO);
            _audit(i);
        } catch {}
    }

    /// @notice Any account (an actor, either party, or the submitter) settles a decided, unsettled
    ///         game (searching from `index`): it must succeed (a decided game is always settle-able)
    ///         and pay its winner in full; a second settle, and a settle of a game not decided, must
    ///         revert.
    function settle(uint256 index, uint256 callerSeed) external {
        uint256 n = disputes.length;
        if (n == 0) return;
        uint256 i = index % n;
        bool found;
        for (uint256 k = 0; k < n; k++) {
            uint256 j = (i + k) % n;
            if (_unsettled(disputes[j].gameId, game.gameStatus(disputes[j].gameId))) {
                (found, i) = (true, j);
                break;
            }
        }
        Dispute memory d = disputes[i];
        uint256 m = actors.length + 1;
        address caller = callerSeed % m == actors.length ? submitter : actors[callerSeed % m];
        if (!found) {
            // nothing decided is waiting: settling game i (Active, Queued, Withdrawn or settled) fails
            vm.prank(caller);
            try game.settle(d.gameId) {
                ghostSettleRuleBroken = true;
            } catch {}
            return;
        }
        (uint256 creditC, uint256 creditO) = _credits(d);
        vm.prank(caller);
        game.settle(d.gameId);
        settledByAction++;
        _checkPaid(d, creditC, creditO);
        if (!game.isSettled(d.gameId)) ghostSettleRuleBroken = true;
        vm.prank(caller);
        try game.settle(d.gameId) {
            ghostSettleRuleBroken = true;
        } catch {}
    }

    /// @notice Anyone sends the burned ETH the StakeManager holds to the burn address (if any).
    function flushBurned() external {
        if (sm.burnPending() == 0) return;
        sm.flushBurned();
    }

    function finalize(uint256 index) external {
        if (disputes.length == 0) return;
        try market.finalize(disputes[index % disputes.length].taskId) {} catch {}
    }

    function withdrawCredit(uint256 actorSeed) external {
        uint256 n = actors.length + 1;
        address a = actorSeed % n == actors.length ? submitter : actors[actorSeed % n];
        uint256 before = a.balance;
        vm.prank(a);
        try sm.withdrawCredit() {
            ghostEthOut += a.balance - before;
        } catch {}
    }

    // ---------------------------------------------------------------- internals

    /// @dev Whether a game in `status` is decided and not yet settled.
    function _unsettled(uint256 gameId, GameStatus status) internal view returns (bool) {
        return (status == GameStatus.OperatorWon || status == GameStatus.ChallengerWon) && !game.isSettled(gameId);
    }

    /// @dev Active, Queued and decided-unsettled games on `taskId`, and the Queued ones among them.
    function _liveGames(uint256 taskId) internal view returns (uint256 live, uint256 queued) {
        for (uint256 j = 0; j < disputes.length; j++) {
            if (disputes[j].taskId != taskId) continue;
            GameStatus status = game.gameStatus(disputes[j].gameId);
            if (status == GameStatus.Active || _unsettled(disputes[j].gameId, status)) live++;
            if (status == GameStatus.Queued) {
                live++;
                queued++;
            }
        }
    }

    /// @dev Who sends the proof moves: either side, by `seed`.
    function _prover(Dispute memory d, uint256 seed) internal pure returns (address) {
        return seed & 1 == 0 ? d.c.account : d.o.account;
    }

    function _credits(Dispute memory d) internal view returns (uint256 creditC, uint256 creditO) {
        return (sm.creditOf(d.c.account), sm.creditOf(d.o.account));
    }

    /// @dev If game `d` was settled in the call just made, its winner was credited exactly its share
    ///      of the loser's stake for this game (nothing else credits a party inside one settlement: a
    ///      void's refund goes to the submitter). Called only where the call settles the game
    ///      (`settle`, `claimTimeout`, `playOut`).
    function _checkPaid(Dispute memory d, uint256 creditC, uint256 creditO) internal {
        GameStatus status = game.gameStatus(d.gameId);
        uint256 bps = sm.SLASH_WINNER_BPS();
        if (status == GameStatus.ChallengerWon && sm.creditOf(d.c.account) - creditC != MIN_STAKE * bps / 10_000) {
            ghostWinnerUnderpaid = true;
        }
        if (status == GameStatus.OperatorWon && sm.creditOf(d.o.account) - creditO != bond * bps / 10_000) {
            ghostWinnerUnderpaid = true;
        }
    }

    /// @dev A game in `status`, searching from `seed`.
    function _findGame(uint256 seed, GameStatus status) internal view returns (bool found, uint256 index) {
        uint256 n = disputes.length;
        for (uint256 k = 0; k < n; k++) {
            index = (seed % n + k) % n;
            if (game.gameStatus(disputes[index].gameId) == status) return (true, index);
        }
    }

    function _audit(uint256 i) internal {
        Dispute storage d = disputes[i];
        if (d.audited) return;
        GameView memory s = game.gameState(d.gameId);
        if (s.status == GameStatus.Active || s.status == GameStatus.Queued) return;
        d.audited = true;
        if (s.status == GameStatus.Withdrawn) return;
        if (s.resolution == Resolution.Timeout) {
            resolvedByTimeout++;
            return;
        }
        resolvedOnMerits++;
        if (!d.hasHonestSide) return;
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

    function _postAndSubmit(ToyWorld world, address operator, ToyWorld.Fault memory fault)
        internal
        returns (uint256 taskId)
    {
        TaskParams memory p = TaskParams({
            specHash: keccak256(abi.encode("spec", disputes.length)),
            specURI: "artifact://spec/toy",
            datasetRoot: keccak256("toy dataset"),
            initStateRoot: world.initStateRoot(),
            graphRoot: world.graphRoot(),
            steps: uint32(world.steps()),
            checkpointEvery: uint32(world.checkpointEvery()),
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
        FullTree memory trace = TestTree.build(world.traceLeaves(fault));
        uint256 steps = world.steps();
        vm.prank(operator);
        market.submitResult(
            taskId,
            TestTree.root(trace),
            TestTree.leaf(trace, steps),
            TestTree.proof(trace, steps),
            keccak256("model")
        );
    }
}
