// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CollateralKind, GameStatus, GameView, Level, TaskStakeState} from "../../src/DisputeTypes.sol";
import {Errors} from "../../src/Errors.sol";
import {IDisputeGame} from "../../src/IDisputeGame.sol";
import {InputShape, OperandProof} from "../../src/IOneStepProver.sol";
import {TaskStatus} from "../../src/Task.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {GameFixture} from "./utils/GameFixture.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";
import {ToyWorld} from "./utils/ToyWorld.sol";

/// @notice Several challengers on one result (issue #14, findings 1-3; `docs/protocol.md`, "Several
///         challengers"): every game that runs has its own operator collateral, a game without one
///         waits in the task's FIFO queue, and a queued game on a voided result is closed with its
///         bond back. Played with the real game and the AlphabetProver over a small `ToyWorld`.
///
///         The three `test_finding*` tests were written first against the code before the change,
///         where each failed (the verifier was paid 0 instead of 2.5 ETH; the second verifier's bond
///         was slashed; the griefed operator was paid 0 instead of 0.5 ETH).
contract ChallengersTest is GameFixture {
    using TestTree for FullTree;
    ToyWorld internal world;
    address internal verifier = makeAddr("verifier");
    address internal sybil = makeAddr("operator's second account");
    address internal latecomer = makeAddr("second verifier");
    address internal griefer = makeAddr("griefer");
    address internal griefer2 = makeAddr("griefer's second account");
    address internal stranger = makeAddr("stranger");

    ToyWorld.Fault internal bad;

    function setUp() public {
        _deploy();
        world = _world(6, 3, 12, 11);
        bad = _fault(2, 1, 9, 5);
    }

    // ---------------------------------------------------------------- helpers

    function _winnerShare(uint256 amount) internal pure returns (uint256) {
        return amount * SLASH_WINNER_BPS / 10_000;
    }

    function _honestRoot() internal view returns (bytes32) {
        return world.traceRoot(_honest());
    }

    /// @notice The challenger of `gameId` (honest) plays it against the faulty operator to its end.
    function _win(uint256 gameId) internal {
        address c = _state(gameId).challenger;
        _play(world, gameId, Side(operator, bad), Side(c, _honest()), c, 60);
        assertEq(uint256(game.gameStatus(gameId)), uint256(GameStatus.ChallengerWon), "the challenger won");
    }

    /// @notice Plays `gameId` (operator `o`, challenger `c`) up to its last move, `oneStep`, and
    ///         returns that move's data, so that a test can expect the resolution's events.
    function _toLastMove(uint256 gameId, Side memory o, Side memory c)
        internal
        returns (bytes memory descriptor, OperandProof[] memory operands)
    {
        _playUntil(world, gameId, o, c, c.account, 60, Level.OneStep);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.OneStep), "at the last move");
        descriptor = world.descriptor(s.node);
        operands = _operands(world, s, o.fault);
    }

    function _oneStep(uint256 gameId, address prover_, bytes memory descriptor, OperandProof[] memory operands)
        internal
    {
        vm.prank(prover_);
        game.oneStep(gameId, descriptor, new InputShape[](0), operands);
    }

    /// @notice `who` stakes minStake, claims the (reopened) task and submits the honest trace.
    function _claimAndSubmitHonestly(uint256 taskId, address who) internal {
        _stake(who, MIN_STAKE);
        vm.prank(who);
        market.claim(taskId);
        FullTree memory trace = TestTree.build(world.traceLeaves(_honest()));
        uint256 steps = world.steps();
        vm.prank(who);
        market.submitResult(taskId, trace.root(), trace.leaf(steps), trace.proof(steps), keccak256("model 2"));
    }

    function _assertGame(uint256 gameId, GameStatus status, CollateralKind collateral) internal view {
        GameView memory s = _state(gameId);
        assertEq(uint256(s.status), uint256(status), "status");
        assertEq(uint256(s.collateral), uint256(collateral), "collateral");
    }

    function _taskStake(uint256 taskId) internal view returns (TaskStakeState state, uint256 holder) {
        (state, holder,,,,,) = game.taskDisputes(taskId);
    }

    function _assertTaskStake(uint256 taskId, TaskStakeState expected, uint256 expectedHolder) internal view {
        (TaskStakeState state, uint256 holder) = _taskStake(taskId);
        assertEq(uint256(state), uint256(expected), "task stake state");
        assertEq(holder, expectedHolder, "task stake holder");
    }

    /// @notice The per-game INVARIANT: what the game holds locked on `account` is the bond of every
    ///         Active or Queued game it challenges plus minStake of every Active GameStake game
    ///         against it, summed game by game.
    function _assertGameLocks(address account) internal view {
        uint256 expected;
        for (uint256 id = 1; id <= game.gameCount(); id++) {
            GameView memory s = _state(id);
            bool live = s.status == GameStatus.Active || s.status == GameStatus.Queued;
            if (s.challenger == account && live) expected += BOND;
            if (s.operator == account && s.status == GameStatus.Active && s.collateral == CollateralKind.GameStake) {
                expected += MIN_STAKE;
            }
        }
        assertEq(sm.lockedBy(account, address(game)), expected, "game locks == sum of the games' shares");
    }

    function _assertAllGameLocks() internal view {
        _assertGameLocks(operator);
        _assertGameLocks(verifier);
        _assertGameLocks(sybil);
        _assertGameLocks(latecomer);
        _assertGameLocks(griefer);
        _assertGameLocks(griefer2);
        _assertGameLocks(stranger);
    }

    function _notActive(uint256 gameId, GameStatus status) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Errors.GameNotActive.selector, gameId, status);
    }

    // ---------------------------------------------------------------- finding 1: a second account

    /// @notice Finding 1. The operator keeps exactly minStake bonded and submits a wrong result; an
    ///         honest verifier and the operator's second account open games; the operator would throw
    ///         its own account's game first. The second account's game has no collateral, so it waits;
    ///         the honest verifier's game holds the task stake and pays it w * minStake.
    function test_finding1_secondAccountWinsFirst_honestVerifierStillPaid() public {
        uint256 taskId = _submittedTask(world, bad);
        assertEq(sm.freeOf(operator), 0, "the operator keeps exactly minStake bonded");
        uint256 honestGame = _open(taskId, verifier, _honestRoot());
        uint256 sybilGame = _open(taskId, sybil, _honestRoot());
        _assertGame(honestGame, GameStatus.Active, CollateralKind.TaskStake);
        _assertGame(sybilGame, GameStatus.Queued, CollateralKind.None);
        _assertTaskStake(taskId, TaskStakeState.Held, honestGame);

        // The operator cannot play its own account's game first: it has not started.
        (bytes32 left, bytes32 right) = (keccak256("l"), keccak256("r"));
        vm.prank(sybil);
        vm.expectRevert(_notActive(sybilGame, GameStatus.Queued));
        game.reveal(sybilGame, left, right);

        _win(honestGame);
        assertEq(sm.creditOf(verifier), _winnerShare(MIN_STAKE), "the honest verifier is paid w * minStake");
        assertEq(sm.creditOf(sybil), 0, "the second account is paid nothing");
        assertEq(sm.bondedOf(operator), 0, "the operator lost its task stake");
        _assertGame(sybilGame, GameStatus.Withdrawn, CollateralKind.None);
        assertEq(sm.freeOf(sybil), BOND, "the moot game cost its challenger nothing");
        _assertAllGameLocks();
    }

    /// @notice With free stake, both games run, each on its own collateral, and each winner is paid
    ///         w * minStake whichever ends first: the second account's early win takes nothing from
    ///         the honest verifier.
    function test_finding1_bothGamesFunded_eachWinnerPaidInFull() public {
        uint256 taskId = _submittedTask(world, bad);
        _stake(operator, MIN_STAKE);
        uint256 honestGame = _open(taskId, verifier, _honestRoot());
        uint256 sybilGame = _open(taskId, sybil, _honestRoot());
        _assertGame(honestGame, GameStatus.Active, CollateralKind.TaskStake);
        _assertGame(sybilGame, GameStatus.Active, CollateralKind.GameStake);
        assertEq(sm.lockedBy(operator, address(game)), MIN_STAKE, "the GameStake is locked for its game");
        _assertAllGameLocks();

        (bytes memory descriptor, OperandProof[] memory operands) =
            _toLastMove(sybilGame, Side(operator, bad), Side(sybil, _honest()));
        _oneStep(sybilGame, sybil, descriptor, operands);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskVoided(taskId, operator, 0);
        game.settle(sybilGame);
        assertEq(sm.creditOf(sybil), _winnerShare(MIN_STAKE));
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Voided));
        assertTrue(market.holdsTaskStake(taskId), "the task stake stays locked for the game that holds it");
        assertEq(sm.lockedBy(operator, address(market)), MIN_STAKE);
        _assertAllGameLocks();

        (descriptor, operands) = _toLastMove(honestGame, Side(operator, bad), Side(verifier, _honest()));
        _oneStep(honestGame, verifier, descriptor, operands);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskStakeReleased(taskId, operator, MIN_STAKE);
        game.settle(honestGame);
        assertEq(sm.creditOf(verifier), _winnerShare(MIN_STAKE), "the honest verifier is paid in full");
        assertEq(sm.bondedOf(operator), 0, "the operator lost both collaterals");
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
        _assertAllGameLocks();
    }

    /// @notice The residual (`docs/economics.md`): an operator with no free stake whose own account
    ///         opened first and that throws that game keeps w * minStake through it; the honest game,
    ///         queued behind it, is closed with its bond back, never charged a game it cannot win.
    function test_residual_sybilFirst_honestGameClosedWithBondBack() public {
        uint256 taskId = _submittedTask(world, bad);
        uint256 sybilGame = _open(taskId, sybil, _honestRoot());
        uint256 honestGame = _open(taskId, verifier, _honestRoot());
        _assertGame(honestGame, GameStatus.Queued, CollateralKind.None);

        (bytes memory descriptor, OperandProof[] memory operands) =
            _toLastMove(sybilGame, Side(operator, bad), Side(sybil, _honest()));
        _oneStep(sybilGame, sybil, descriptor, operands);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameWithdrawn(honestGame, taskId, verifier, true);
        game.settle(sybilGame);
        assertEq(sm.creditOf(sybil), _winnerShare(MIN_STAKE));
        _assertGame(honestGame, GameStatus.Withdrawn, CollateralKind.None);
        assertEq(sm.bondedOf(verifier), BOND, "the honest verifier keeps its bond");
        assertEq(sm.freeOf(verifier), BOND);
        assertEq(sm.bondedOf(operator), 0, "the operator still loses minStake, (1 - w) of it burned");
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
    }

    // ---------------------------------------------------------------- finding 2: moot games

    /// @notice Finding 2. Two honest verifiers challenge a wrong result of an operator with exactly
    ///         minStake bonded; the first win voids it. The second game, which had no collateral,
    ///         is closed as moot in that same resolution, its bond returned; nothing can time it out.
    function test_finding2_afterVoid_verifierWhoseGameCannotPayKeepsItsBond() public {
        uint256 taskId = _submittedTask(world, bad);
        uint256 first = _open(taskId, verifier, _honestRoot());
        uint256 second = _open(taskId, latecomer, _honestRoot());
        _assertGame(second, GameStatus.Queued, CollateralKind.None);

        (bytes memory descriptor, OperandProof[] memory operands) =
            _toLastMove(first, Side(operator, bad), Side(verifier, _honest()));
        _oneStep(first, verifier, descriptor, operands);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameWithdrawn(second, taskId, latecomer, true);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskReopened(taskId);
        game.settle(first);
        assertEq(sm.bondedOf(operator), 0, "nothing is left to pay the second game");

        vm.warp(block.timestamp + 2 * uint256(MAX_CLOCK) + 1);
        vm.expectRevert(_notActive(second, GameStatus.Withdrawn));
        game.claimTimeout(second);

        assertEq(sm.bondedOf(latecomer), BOND, "the second verifier keeps its bond");
        assertEq(sm.freeOf(latecomer), BOND, "and can take it out");
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open), "the task reopened");
        _assertAllGameLocks();
    }

    /// @notice After a void, a queued game that CAN be collateralised (the operator staked more) is
    ///         not moot: it runs on a GameStake and pays its winner.
    function test_afterVoid_queuedGameWithCollateral_runsAndPays() public {
        uint256 taskId = _submittedTask(world, bad);
        uint256 first = _open(taskId, verifier, _honestRoot());
        uint256 second = _open(taskId, latecomer, _honestRoot());
        _stake(operator, MIN_STAKE); // after `second` queued: only the advance can fund it
        _win(first);
        _assertGame(second, GameStatus.Active, CollateralKind.GameStake);
        _win(second);
        assertEq(sm.creditOf(latecomer), _winnerShare(MIN_STAKE));
        assertEq(sm.bondedOf(operator), 0);
        _assertAllGameLocks();
    }

    // ---------------------------------------------------------------- finding 3: a griefer's bond

    /// @notice Finding 3. A griefer challenges an honest operator's result from one account, then gets
    ///         that account slashed twice on a task it posted to itself, hoping that the second slash
    ///         takes its griefing bond and credits it to its second account. No slash touches another
    ///         game's lock: the second self-game has no collateral and is closed, and the honest
    ///         operator, winning the griefing game, is paid w * bond.
    function test_finding3_grieferCannotRouteItsBondToItsSecondAccount() public {
        uint256 honestTask = _submittedTask(world, _honest());
        uint256 griefingGame = _open(honestTask, griefer, world.traceRoot(bad));

        address honestOperator = operator;
        address honestSubmitter = submitter;
        (operator, submitter) = (griefer, griefer2);
        uint256 selfTask = _submittedTask(world, bad);
        uint256 x = _open(selfTask, griefer2, _honestRoot());
        uint256 y = _open(selfTask, griefer2, _honestRoot());
        _assertGame(y, GameStatus.Queued, CollateralKind.None);
        assertEq(sm.lockedBy(griefer, address(game)), BOND, "the griefing bond");
        _win(x);
        (operator, submitter) = (honestOperator, honestSubmitter);
        _assertGame(y, GameStatus.Withdrawn, CollateralKind.None);
        assertEq(sm.lockedBy(griefer, address(game)), BOND, "the griefing bond is untouched");
        assertEq(sm.creditOf(griefer2), _winnerShare(MIN_STAKE), "only the self-task's stake");

        uint256 creditBefore = sm.creditOf(honestOperator);
        _play(world, griefingGame, Side(honestOperator, _honest()), Side(griefer, bad), honestOperator, 60);
        assertEq(uint256(game.gameStatus(griefingGame)), uint256(GameStatus.OperatorWon), "the operator won");
        assertEq(sm.creditOf(honestOperator) - creditBefore, _winnerShare(BOND), "the honest operator is paid w * bond");
        _assertAllGameLocks();
    }

    // ---------------------------------------------------------------- the queue

    function test_open_queuedGame_emitsQueuedAndStartsNoClock() public {
        uint256 taskId = _submittedTask(world, bad);
        _open(taskId, verifier, _honestRoot());
        _stake(sybil, BOND);
        bytes32 root = _honestRoot();
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameQueued(2, taskId, 0);
        vm.prank(sybil);
        uint256 queued = game.open(taskId, root);
        GameView memory s = _state(queued);
        assertEq(s.deadline, 0, "no clock runs");
        assertEq(uint256(s.usedChallenger), 0);
        assertEq(sm.lockedBy(sybil, address(game)), BOND, "the bond is locked while queued");
        assertEq(uint256(market.getTask(taskId).openDisputes), 2, "the market counts queued games");
        (,,, uint256 openGames, uint256 queuedGames, uint256 head, uint256 tail) = game.taskDisputes(taskId);
        assertEq(openGames, 2);
        assertEq(queuedGames, 1);
        assertEq(head, 0);
        assertEq(tail, 1);
        assertEq(game.queuedGameAt(taskId, 0), queued);

        vm.warp(block.timestamp + 10 * uint256(MAX_CLOCK));
        vm.expectRevert(_notActive(queued, GameStatus.Queued));
        game.claimTimeout(queued);
        vm.prank(sybil);
        vm.expectRevert(_notActive(queued, GameStatus.Queued));
        game.oneStep(queued, "", new InputShape[](0), new OperandProof[](0));
    }

    function test_open_fundedGame_emitsFundedThenClock() public {
        uint256 taskId = _submittedTask(world, bad);
        _stake(verifier, BOND);
        bytes32 root = _honestRoot();
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameFunded(1, taskId, CollateralKind.TaskStake, MIN_STAKE);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.ClockStarted(1, taskId, verifier, 0, 0, block.timestamp + MAX_CLOCK);
        vm.prank(verifier);
        game.open(taskId, root);

        _stake(operator, MIN_STAKE);
        _stake(sybil, BOND);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameFunded(2, taskId, CollateralKind.GameStake, MIN_STAKE);
        vm.prank(sybil);
        game.open(taskId, root);
        assertEq(sm.lockedBy(operator, address(game)), MIN_STAKE);
        assertEq(sm.freeOf(operator), 0);
    }

    /// @notice Queued games are funded oldest first, and a new game never overtakes a queued one even
    ///         when collateral is free at its `open`.
    function test_queue_fundsInFifoOrder() public {
        uint256 taskId = _submittedTask(world, bad);
        _open(taskId, verifier, _honestRoot());
        uint256 b = _open(taskId, sybil, _honestRoot());
        uint256 c = _open(taskId, latecomer, _honestRoot());
        uint256 d = _open(taskId, stranger, _honestRoot());
        assertEq(game.queuedGameAt(taskId, 0), b);
        assertEq(game.queuedGameAt(taskId, 1), c);
        assertEq(game.queuedGameAt(taskId, 2), d);

        _stake(operator, MIN_STAKE);
        game.advanceQueue(taskId);
        _assertGame(b, GameStatus.Active, CollateralKind.GameStake);
        _assertGame(c, GameStatus.Queued, CollateralKind.None);
        _assertGame(d, GameStatus.Queued, CollateralKind.None);

        _stake(operator, MIN_STAKE);
        uint256 e = _open(taskId, griefer, _honestRoot());
        _assertGame(e, GameStatus.Queued, CollateralKind.None);
        assertEq(sm.freeOf(operator), MIN_STAKE, "the free stake waits for the head of the queue");
        game.advanceQueue(taskId);
        _assertGame(c, GameStatus.Active, CollateralKind.GameStake);
        _assertGame(d, GameStatus.Queued, CollateralKind.None);
        _assertGame(e, GameStatus.Queued, CollateralKind.None);
        (,,,, uint256 queuedGames, uint256 head, uint256 tail) = game.taskDisputes(taskId);
        assertEq(queuedGames, 2);
        assertEq(head, 2);
        assertEq(tail, 4);
        _assertAllGameLocks();
    }

    /// @notice A queued game is funded by `advanceQueue` (anyone) once the operator staked more.
    function test_advanceQueue_fundsQueuedGameWhenOperatorStakesMore() public {
        uint256 taskId = _submittedTask(world, bad);
        _open(taskId, verifier, _honestRoot());
        uint256 queued = _open(taskId, latecomer, _honestRoot());
        vm.warp(block.timestamp + 1 days);

        // nothing to fund yet: the head stays
        game.advanceQueue(taskId);
        _assertGame(queued, GameStatus.Queued, CollateralKind.None);

        _stake(operator, MIN_STAKE);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameFunded(queued, taskId, CollateralKind.GameStake, MIN_STAKE);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.ClockStarted(queued, taskId, latecomer, 0, 0, block.timestamp + MAX_CLOCK);
        vm.prank(stranger);
        game.advanceQueue(taskId);
        _assertGame(queued, GameStatus.Active, CollateralKind.GameStake);
        assertEq(_state(queued).deadline, block.timestamp + MAX_CLOCK, "its clock starts when it is funded");
        assertEq(sm.lockedBy(operator, address(game)), MIN_STAKE);

        _win(queued);
        assertEq(sm.creditOf(latecomer), _winnerShare(MIN_STAKE));
        _assertAllGameLocks();
    }

    /// @notice While the result stands, the task stake comes back after every game the operator wins,
    ///         and the head of the queue takes it at once.
    function test_queue_taskStakeComesBackAfterOperatorWin() public {
        uint256 taskId = _submittedTask(world, _honest());
        uint256 grief = _open(taskId, griefer, world.traceRoot(bad));
        uint256 next = _open(taskId, verifier, world.traceRoot(_fault(4, 0, 1, 2)));
        _assertGame(next, GameStatus.Queued, CollateralKind.None);

        (bytes memory descriptor, OperandProof[] memory operands) =
            _toLastMove(grief, Side(operator, _honest()), Side(griefer, bad));
        _oneStep(grief, operator, descriptor, operands);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameFunded(next, taskId, CollateralKind.TaskStake, MIN_STAKE);
        game.settle(grief);
        assertEq(uint256(game.gameStatus(grief)), uint256(GameStatus.OperatorWon));
        _assertGame(next, GameStatus.Active, CollateralKind.TaskStake);
        _assertTaskStake(taskId, TaskStakeState.Held, next);
        assertEq(sm.creditOf(operator), _winnerShare(BOND));

        _play(world, next, Side(operator, _honest()), Side(verifier, _fault(4, 0, 1, 2)), operator, 60);
        _assertTaskStake(taskId, TaskStakeState.Available, 0);
        vm.warp(market.challengeEndsAt(taskId) + 1);
        market.finalize(taskId);
        assertEq(sm.lockedOf(operator), 0);
        assertEq(sm.creditOf(operator), 2 * _winnerShare(BOND) + REWARD);
    }

    /// @notice After a void, every queued game that cannot be collateralised is closed as moot in the
    ///         resolution itself, bonds back; the task's state is reset for its next result, where a
    ///         new game takes the new task stake.
    function test_moot_afterVoid_queuedGamesClosedAndTaskReset() public {
        uint256 taskId = _submittedTask(world, bad);
        uint256 first = _open(taskId, verifier, _honestRoot());
        uint256 b = _open(taskId, sybil, _honestRoot());
        uint256 c = _open(taskId, latecomer, _honestRoot());
        (bytes memory descriptor, OperandProof[] memory operands) =
            _toLastMove(first, Side(operator, bad), Side(verifier, _honest()));
        _oneStep(first, verifier, descriptor, operands);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameWithdrawn(b, taskId, sybil, true);
        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameWithdrawn(c, taskId, latecomer, true);
        game.settle(first);
        _assertGame(b, GameStatus.Withdrawn, CollateralKind.None);
        _assertGame(c, GameStatus.Withdrawn, CollateralKind.None);
        assertEq(sm.freeOf(sybil), BOND);
        assertEq(sm.freeOf(latecomer), BOND);
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
        (TaskStakeState state, uint256 holder, bool voided, uint256 openGames, uint256 queuedGames, uint256 head,) =
            game.taskDisputes(taskId);
        assertEq(uint256(state), uint256(TaskStakeState.Available), "reset for the next result");
        assertEq(holder, 0);
        assertFalse(voided);
        assertEq(openGames, 0);
        assertEq(queuedGames, 0);
        assertEq(head, 2);

        // a new operator's result on the same task: its first game holds the new task stake
        address second = makeAddr("second operator");
        _claimAndSubmitHonestly(taskId, second);
        uint256 again = _open(taskId, verifier, world.traceRoot(bad));
        _assertGame(again, GameStatus.Active, CollateralKind.TaskStake);
        _assertTaskStake(taskId, TaskStakeState.Held, again);
        _play(world, again, Side(second, _honest()), Side(verifier, bad), second, 60);
        assertEq(sm.creditOf(second), _winnerShare(BOND));
        _assertAllGameLocks();
    }

    function test_withdrawQueued_returnsBondAndCountsDown() public {
        uint256 taskId = _submittedTask(world, bad);
        uint256 first = _open(taskId, verifier, _honestRoot());
        uint256 queued = _open(taskId, latecomer, _honestRoot());

        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotChallenger.selector, stranger, latecomer));
        game.withdrawQueued(queued);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotQueued.selector, first, GameStatus.Active));
        game.withdrawQueued(first);

        vm.expectEmit(true, true, true, true, address(game));
        emit IDisputeGame.GameWithdrawn(queued, taskId, latecomer, false);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskDisputeWithdrawn(taskId, operator, 1);
        vm.prank(latecomer);
        game.withdrawQueued(queued);
        _assertGame(queued, GameStatus.Withdrawn, CollateralKind.None);
        assertEq(sm.freeOf(latecomer), BOND, "the bond is back");
        assertEq(uint256(market.getTask(taskId).openDisputes), 1);
        (,,, uint256 openGames, uint256 queuedGames, uint256 head, uint256 tail) = game.taskDisputes(taskId);
        assertEq(openGames, 1);
        assertEq(queuedGames, 0);
        assertEq(head, 1, "the withdrawn head is dropped by the advance that follows");
        assertEq(tail, 1);

        vm.prank(latecomer);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotQueued.selector, queued, GameStatus.Withdrawn));
        game.withdrawQueued(queued);
        vm.expectRevert(abi.encodeWithSelector(Errors.QueueEmpty.selector, taskId));
        game.advanceQueue(taskId);
        _assertAllGameLocks();
    }

    /// @notice Withdrawn entries stay in the queue (lazy deletion) and each advance looks at no more
    ///         than MAX_QUEUE_STEPS entries, so a long run of them takes more than one call.
    function test_advanceQueue_boundedStepsSkipWithdrawnEntries() public {
        uint256 taskId = _submittedTask(world, _honest());
        uint256 grief = _open(taskId, griefer, world.traceRoot(bad));
        uint256 n = game.MAX_QUEUE_STEPS() + 2;
        uint256[] memory ids = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            ids[i] = _open(taskId, makeAddr(string.concat("queued", vm.toString(i))), world.traceRoot(bad));
        }
        // every entry but the last withdraws, newest first: the head stays Queued until the oldest
        // withdraws, and then the advance after that withdrawal drops only MAX_QUEUE_STEPS entries
        uint256 steps = game.MAX_QUEUE_STEPS();
        for (uint256 i = n - 1; i > 0; i--) {
            vm.prank(makeAddr(string.concat("queued", vm.toString(i - 1))));
            game.withdrawQueued(ids[i - 1]);
        }
        (,,,, uint256 queuedGames, uint256 head, uint256 tail) = game.taskDisputes(taskId);
        assertEq(queuedGames, 1);
        assertEq(head, steps, "one advance looks at MAX_QUEUE_STEPS entries");
        assertEq(tail, n);

        // the next advance drops the last withdrawn entry and stops at the queued game (no collateral)
        game.advanceQueue(taskId);
        (,,,,, head,) = game.taskDisputes(taskId);
        assertEq(head, n - 1);
        _assertGame(ids[n - 1], GameStatus.Queued, CollateralKind.None);

        // the griefing game ends: the task stake comes back and the queued game takes it
        _play(world, grief, Side(operator, _honest()), Side(griefer, bad), operator, 60);
        _assertGame(ids[n - 1], GameStatus.Active, CollateralKind.TaskStake);
        (,,,,, head,) = game.taskDisputes(taskId);
        assertEq(head, n);
    }

    function test_advanceQueue_emptyQueue_reverts() public {
        uint256 taskId = _submittedTask(world, bad);
        vm.expectRevert(abi.encodeWithSelector(Errors.QueueEmpty.selector, taskId));
        game.advanceQueue(taskId);
    }

    // ---------------------------------------------------------------- locks

    /// @notice A GameStake slash takes exactly that game's collateral: the operator's bond in a game
    ///         it challenges elsewhere and the other game's collateral stay locked.
    function test_gameStakeSlash_neverTouchesOtherGamesLocks() public {
        // the operator challenges another task (its bond is a lock of the game's)
        address otherOperator = makeAddr("other operator");
        address savedOperator = operator;
        operator = otherOperator;
        uint256 otherTask = _submittedTask(world, bad);
        operator = savedOperator;
        uint256 ownChallenge = _open(otherTask, operator, _honestRoot());

        // its own task: exactly minStake for the task, minStake more free
        uint256 taskId = _submittedTask(world, bad);
        _stake(operator, MIN_STAKE);
        uint256 a = _open(taskId, verifier, _honestRoot());
        uint256 b = _open(taskId, latecomer, _honestRoot());
        _assertGame(b, GameStatus.Active, CollateralKind.GameStake);
        assertEq(sm.lockedBy(operator, address(game)), BOND + MIN_STAKE);
        assertEq(sm.freeOf(operator), 0);

        _win(b);
        assertEq(sm.lockedBy(operator, address(game)), BOND, "the slash took only b's collateral");
        assertEq(sm.lockedBy(operator, address(market)), MIN_STAKE, "a's task stake is untouched");
        _assertAllGameLocks();

        _win(a);
        assertEq(sm.lockedBy(operator, address(game)), BOND, "the bond elsewhere is untouched");
        assertEq(sm.bondedOf(operator), BOND);
        assertEq(sm.creditOf(verifier), _winnerShare(MIN_STAKE));
        assertEq(sm.creditOf(latecomer), _winnerShare(MIN_STAKE));
        _assertAllGameLocks();

        // and the operator's own challenge still resolves with its bond exactly
        _play(world, ownChallenge, Side(otherOperator, bad), Side(operator, _honest()), operator, 60);
        assertEq(sm.lockedBy(operator, address(game)), 0);
        assertEq(sm.freeOf(operator), BOND);
        assertEq(sm.creditOf(operator), _winnerShare(MIN_STAKE));
    }

    /// @notice The task stake's game is won first while a GameStake game still runs: the task stake is
    ///         locked again for its game before the slash, so the slash takes it and the running
    ///         game's collateral stays locked.
    function test_taskStakeSlash_whileAGameStakeIsLocked_keepsThatGamesCollateral() public {
        uint256 taskId = _submittedTask(world, bad);
        _stake(operator, MIN_STAKE);
        uint256 honestGame = _open(taskId, verifier, _honestRoot());
        uint256 other = _open(taskId, latecomer, _honestRoot());
        _assertGame(other, GameStatus.Active, CollateralKind.GameStake);

        _win(honestGame);
        assertEq(sm.creditOf(verifier), _winnerShare(MIN_STAKE));
        assertEq(sm.lockedBy(operator, address(game)), MIN_STAKE, "the running game's collateral");
        assertEq(sm.lockedBy(operator, address(market)), 0, "the task stake was slashed");
        assertEq(sm.bondedOf(operator), MIN_STAKE);
        _assertTaskStake(taskId, TaskStakeState.Gone, 0);
        _assertAllGameLocks();

        _win(other);
        assertEq(sm.creditOf(latecomer), _winnerShare(MIN_STAKE));
        assertEq(sm.bondedOf(operator), 0);
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
        _assertAllGameLocks();
    }

    /// @notice A game that holds the task stake and loses to the operator after the result was voided
    ///         (by a GameStake game) hands the task stake back through the market, exactly once.
    function test_taskStakeGame_operatorWinsAfterVoid_marketReleasesTheStake() public {
        uint256 taskId = _submittedTask(world, bad);
        _stake(operator, MIN_STAKE);
        ToyWorld.Fault memory worse = _fault(0, 0, 0, 0);
        uint256 wrongChallenger = _open(taskId, griefer, world.traceRoot(worse));
        uint256 honestGame = _open(taskId, verifier, _honestRoot());
        _assertGame(wrongChallenger, GameStatus.Active, CollateralKind.TaskStake);
        _assertGame(honestGame, GameStatus.Active, CollateralKind.GameStake);

        _win(honestGame);
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Voided));
        assertEq(sm.lockedBy(operator, address(market)), MIN_STAKE, "held by the other game");

        // the operator's trace is wrong only at step 2; the griefer's is wrong from step 0
        (bytes memory descriptor, OperandProof[] memory operands) =
            _toLastMove(wrongChallenger, Side(operator, bad), Side(griefer, worse));
        _oneStep(wrongChallenger, operator, descriptor, operands);
        vm.expectEmit(true, true, true, true, address(market));
        emit TaskMarket.TaskStakeReleased(taskId, operator, MIN_STAKE);
        game.settle(wrongChallenger);
        assertEq(uint256(game.gameStatus(wrongChallenger)), uint256(GameStatus.OperatorWon));
        assertEq(sm.lockedOf(operator), 0);
        assertEq(sm.bondedOf(operator), MIN_STAKE, "lost only the GameStake it lost");
        assertEq(sm.creditOf(operator), _winnerShare(BOND));
        _assertTaskStake(taskId, TaskStakeState.Available, 0);
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open));
        _assertAllGameLocks();
    }

    /// @notice The per-game INVARIANT on `lockedBy`, checked after every step of a busy task: games
    ///         funded from both kinds of collateral, queued, withdrawn, won by either side.
    function test_lockedBy_equalsTheSumOfEveryGamesShare() public {
        uint256 taskId = _submittedTask(world, _honest());
        _assertAllGameLocks();
        uint256 g1 = _open(taskId, griefer, world.traceRoot(bad));
        _assertAllGameLocks();
        _stake(operator, MIN_STAKE);
        uint256 g2 = _open(taskId, griefer2, world.traceRoot(bad));
        _assertAllGameLocks();
        uint256 g3 = _open(taskId, sybil, world.traceRoot(bad));
        uint256 g4 = _open(taskId, stranger, world.traceRoot(bad));
        _assertGame(g3, GameStatus.Queued, CollateralKind.None);
        _assertAllGameLocks();
        vm.prank(stranger);
        game.withdrawQueued(g4);
        _assertAllGameLocks();
        _play(world, g2, Side(operator, _honest()), Side(griefer2, bad), operator, 60);
        _assertGame(g3, GameStatus.Active, CollateralKind.GameStake);
        _assertAllGameLocks();
        _play(world, g1, Side(operator, _honest()), Side(griefer, bad), operator, 60);
        _assertAllGameLocks();
        _play(world, g3, Side(operator, _honest()), Side(sybil, bad), operator, 60);
        _assertAllGameLocks();
        assertEq(sm.lockedBy(operator, address(game)), 0);
        assertEq(sm.creditOf(operator), 3 * _winnerShare(BOND));
        assertEq(address(sm).balance, sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending());
    }
}
