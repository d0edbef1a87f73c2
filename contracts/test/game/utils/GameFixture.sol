// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../../utils/Test.sol";
import {VmGame} from "../../utils/VmGame.sol";
import {DisputeGame} from "../../../src/DisputeGame.sol";
import {GameStatus, GameView, Level, Party} from "../../../src/DisputeTypes.sol";
import {IOneStepProver, InputShape, OperandProof} from "../../../src/IOneStepProver.sol";
import {StakeManager} from "../../../src/StakeManager.sol";
import {TaskMarket} from "../../../src/TaskMarket.sol";
import {TaskParams} from "../../../src/Task.sol";
import {AlphabetProver} from "../mocks/AlphabetProver.sol";
import {FullTree, SparseTree, TestTree} from "./TestTree.sol";
import {GameDriver} from "./GameDriver.sol";
import {ToyWorld} from "./ToyWorld.sol";

/// @notice StakeManager + TaskMarket + DisputeGame (with the AlphabetProver) wired as a deployment
///         wires them, a task whose result is disputed, and a driver that plays a game to its end
///         with each party moving from its own view of a `ToyWorld`.
abstract contract GameFixture is Test, GameDriver {
    using TestTree for FullTree;
    using TestTree for SparseTree;

    uint256 internal constant UNBONDING_DELAY = 14 days;
    uint256 internal constant SLASH_WINNER_BPS = 5000;
    uint64 internal constant MAX_CHALLENGE_WINDOW = 2 days;
    uint64 internal constant MAX_DISPUTE_DURATION = 7 days;
    uint16 internal constant MISSED_DEADLINE_SLASH_BPS = 1000;
    uint64 internal constant MIN_CHALLENGE_WINDOW = 1;
    uint256 internal constant MIN_TASK_STAKE = 1 ether;
    uint64 internal constant CLAIM_TIMEOUT = 7 days;
    uint256 internal constant REWARD = 3 ether;
    uint256 internal constant MIN_STAKE = 5 ether;
    uint64 internal constant WINDOW = 1 days;
    uint256 internal constant BOND = 1 ether;
    uint64 internal constant MAX_CLOCK = 3 days;
    uint256 internal constant CHUNK_BOND = 0.01 ether;
    uint256 internal constant CHUNK_LEAVES = 64;
    uint64 internal constant DEADLINE_IN = 30 days;

    VmGame internal constant vmGame = VmGame(address(uint160(uint256(keccak256("hevm cheat code")))));

    StakeManager internal sm;
    TaskMarket internal market;
    AlphabetProver internal prover;

    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    address internal challenger = makeAddr("challenger");

    function _deploy() internal {
        prover = new AlphabetProver();
        _deploy(IOneStepProver(address(prover)));
    }

    /// @notice Deploys and wires in the order a real deployment follows: StakeManager, TaskMarket,
    ///         `setSlashers(market, 0)`, the game, then `setDisputeGame` on the StakeManager and the market.
    function _deploy(IOneStepProver oneStepProver) internal {
        sm = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        market = new TaskMarket(
            sm,
            MAX_CHALLENGE_WINDOW,
            MAX_DISPUTE_DURATION,
            MISSED_DEADLINE_SLASH_BPS,
            MIN_CHALLENGE_WINDOW,
            MIN_TASK_STAKE,
            CLAIM_TIMEOUT
        );
        sm.setSlashers(address(market), address(0));
        game = new DisputeGame(sm, market, BOND, MAX_CLOCK, oneStepProver, CHUNK_BOND, CHUNK_LEAVES);
        sm.setDisputeGame(address(game));
        market.setDisputeGame(address(game));
    }

    /// @notice One slash before measuring gas (a missed deadline), as on any network the protocol
    ///         has run on: the burn address exists and the burn counter is non-zero, so the first
    ///         measured slash does not pay their one-time creation (about 45k gas).
    function _warmUpBurn() internal {
        vm.deal(submitter, submitter.balance + 1 ether);
        TaskParams memory p = TaskParams({
            specHash: keccak256("warm-up"),
            specURI: "artifact://warm-up",
            datasetRoot: keccak256("d"),
            initStateRoot: keccak256("h"),
            graphRoot: keccak256("g"),
            steps: 1,
            checkpointEvery: 1,
            minStake: 1 ether,
            deadline: uint64(block.timestamp + 1 hours),
            challengeWindow: 1
        });
        vm.prank(submitter);
        uint256 taskId = market.postTask{value: 1 ether}(p);
        address lazy = makeAddr("lazy");
        _stake(lazy, 1 ether);
        vm.prank(lazy);
        market.claim(taskId);
        vm.warp(block.timestamp + 2 hours);
        market.expire(taskId);
    }

    function _world(uint256 steps, uint256 numNodes, uint256 numel, uint256 length) internal returns (ToyWorld) {
        uint256[] memory numels = new uint256[](numNodes);
        uint256[] memory lengths = new uint256[](numNodes);
        for (uint256 n = 0; n < numNodes; n++) {
            numels[n] = numel;
            lengths[n] = length;
        }
        return new ToyWorld(steps, numels, lengths);
    }

    function _stake(address account, uint256 amount) internal {
        vm.deal(account, account.balance + amount);
        vm.prank(account);
        sm.stake{value: amount}();
    }

    /// @notice checkpointEvery of the next task `_postedAndClaimed` posts (reset to 1 after each).
    uint32 internal nextCheckpointEvery = 1;

    /// @notice Posts a task of `world` (with its checkpointEvery), has `operator` claim it and submit
    ///         the trace of `fault`.
    function _submittedTask(ToyWorld world, ToyWorld.Fault memory fault) internal returns (uint256 taskId) {
        // forge-lint: disable-next-line(unsafe-typecast) test worlds are small
        nextCheckpointEvery = uint32(world.checkpointEvery());
        return _submittedTask(
            keccak256("toy dataset"),
            world.initStateRoot(),
            world.graphRoot(),
            world.steps(),
            TestTree.build(world.traceLeaves(fault))
        );
    }

    /// @notice Posts a task with these roots, has `operator` claim it and submit `trace` (the tree
    ///         over h_0..h_S: its root, and h_S with its proof).
    function _submittedTask(
        bytes32 datasetRoot,
        bytes32 initStateRoot,
        bytes32 graphRoot,
        uint256 steps,
        FullTree memory trace
    ) internal returns (uint256 taskId) {
        taskId = _postedAndClaimed(datasetRoot, initStateRoot, graphRoot, steps);
        vm.prank(operator);
        market.submitResult(taskId, trace.root(), trace.leaf(steps), trace.proof(steps), keccak256("model"));
    }

    /// @notice Posts a task with these roots and has `operator` claim it.
    function _postedAndClaimed(bytes32 datasetRoot, bytes32 initStateRoot, bytes32 graphRoot, uint256 steps)
        internal
        returns (uint256 taskId)
    {
        vm.deal(submitter, submitter.balance + REWARD);
        TaskParams memory p = TaskParams({
            specHash: keccak256("toy spec"),
            specURI: "artifact://spec/toy",
            datasetRoot: datasetRoot,
            initStateRoot: initStateRoot,
            graphRoot: graphRoot,
            // forge-lint: disable-next-line(unsafe-typecast) test worlds are small
            steps: uint32(steps),
            checkpointEvery: nextCheckpointEvery,
            minStake: MIN_STAKE,
            deadline: uint64(block.timestamp + DEADLINE_IN),
            challengeWindow: WINDOW
        });
        nextCheckpointEvery = 1;
        vm.prank(submitter);
        taskId = market.postTask{value: REWARD}(p);
        if (sm.freeOf(operator) < MIN_STAKE) _stake(operator, MIN_STAKE);
        vm.prank(operator);
        market.claim(taskId);
    }

    /// @notice `_submittedTask` with a trace of a realistic size, of which only a few leaves are spelled out.
    function _submittedTask(
        bytes32 datasetRoot,
        bytes32 initStateRoot,
        bytes32 graphRoot,
        uint256 steps,
        SparseTree memory trace
    ) internal returns (uint256 taskId) {
        taskId = _postedAndClaimed(datasetRoot, initStateRoot, graphRoot, steps);
        vm.prank(operator);
        market.submitResult(taskId, trace.root(), trace.node(0, steps), trace.proof(steps), keccak256("model"));
    }

    function _open(uint256 taskId, address who, bytes32 traceRoot) internal returns (uint256 gameId) {
        if (sm.freeOf(who) < BOND) _stake(who, BOND);
        vm.prank(who);
        gameId = game.open(taskId, traceRoot);
    }

    /// @notice A task of `world` where the operator plays `faultO` and a challenger `faultC`.
    function _dispute(ToyWorld world, ToyWorld.Fault memory faultO, ToyWorld.Fault memory faultC)
        internal
        returns (uint256 gameId)
    {
        uint256 taskId = _submittedTask(world, faultO);
        gameId = _open(taskId, challenger, world.traceRoot(faultC));
    }

    function _state(uint256 gameId) internal view returns (GameView memory) {
        return game.gameState(gameId);
    }

    function _fault(uint256 step, uint256 node, uint256 element, uint256 instruction)
        internal
        pure
        returns (ToyWorld.Fault memory f)
    {
        f = ToyWorld.Fault({
            active: true,
            kind: ToyWorld.FaultKind.Instruction,
            step: step,
            node: node,
            element: element,
            instruction: instruction,
            delta: 1,
            corruptRight: false
        });
    }

    function _honest() internal pure returns (ToyWorld.Fault memory f) {}

    /// @notice A fault of `kind` at (step, node, element) (see `ToyWorld`).
    function _fault(ToyWorld.FaultKind kind, uint256 step, uint256 node, uint256 element)
        internal
        pure
        returns (ToyWorld.Fault memory f)
    {
        f = _fault(step, node, element, 0);
        f.kind = kind;
    }
}
