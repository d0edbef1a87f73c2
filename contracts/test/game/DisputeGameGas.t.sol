// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameStatus, GameView, Level} from "../../src/DisputeTypes.sol";
import {IOneStepProver, InputShape, OperandProof} from "../../src/IOneStepProver.sol";
import {OneStepProver} from "../../src/OneStepProver.sol";
import {ProgramRegistry} from "../../src/ProgramRegistry.sol";
import {Commitments} from "../../src/lib/Commitments.sol";
import {Float32} from "../../src/lib/Float32.sol";
import {OpKind} from "../../src/lib/OpKind.sol";
import {ShapeWords} from "../../src/lib/ShapeWords.sol";
import {GameFixture} from "./utils/GameFixture.sol";
import {SparseTree, TestTree} from "./utils/TestTree.sol";

/// @notice Gas of a whole dispute at a realistic size, with the real `OneStepProver`: 1000 steps
///         (10 rounds), 128 nodes (7 rounds), a 1024 x 1024 MATMUL output of 2^20 elements
///         (17 rounds), programs of 4096 instructions (9 rounds), the fault in the MUL of k = 1024,
///         whose operands are read from 1024 x 2048 and 2048 x 1024 state tensors. The trees are
///         sparse (`SparseTree`): only the paths the game walks are spelled out.
///
///         Every transaction is measured as its execution gas (gasleft around the call) plus the
///         intrinsic gas (21000 + 16 per non-zero and 4 per zero calldata byte, pre-EIP-7623).
///         `forge test --match-contract DisputeGameGasTest -vv` prints the table written down in
///         `contracts/GAS-dispute.md`. The chain is warmed first (one earlier slash), as on any
///         network the protocol has run on: the burn address exists and the burn counter is non-zero.
contract DisputeGameGasTest is GameFixture {
    using TestTree for SparseTree;

    event log_named_uint(string key, uint256 value);
    event log_string(string value);

    uint256 internal constant STEPS = 1000;
    uint256 internal constant NODES = 128;
    uint256 internal constant SLOTS = 10;
    uint256 internal constant ROWS = 1024;
    uint256 internal constant INNER = 2048;
    uint256 internal constant NUMEL = ROWS * ROWS;
    uint256 internal constant LENGTH = 2 * INNER;
    uint256 internal constant STEP = 700;
    uint256 internal constant NODE = 77;
    uint256 internal constant ROW = 321;
    uint256 internal constant COLUMN = 654;
    uint256 internal constant ELEMENT = ROW * ROWS + COLUMN;
    uint256 internal constant K = 1024;
    uint256 internal constant INSTRUCTION = 2 * K; // MUL(A[ROW, K], B[K, COLUMN])
    uint256 internal constant PRODUCER_A = 12;
    uint256 internal constant PRODUCER_B = 40;
    uint32 internal constant A_VALUE = 0x3FC00000; // 1.5
    uint32 internal constant B_VALUE = 0x40100000; // 2.25
    uint32 internal constant ELEMENT_VALUE = 0x41200000; // 10

    /// @dev The commit-interval scenario: checkpointEvery 100, the fault at step 750, so the step
    ///      descent ends at committed leaf 800 and the Segment round opens [700, 800] (101 states).
    uint256 internal constant EVERY = 100;
    uint256 internal constant SEG_STEP = 750;
    uint256 internal constant SEG_START = 700;
    uint256 internal constant SEG_END = 800;
    uint256 internal constant SEG_LEAVES = SEG_END - SEG_START + 1;

    string[14] internal kinds = [
        "open",
        "reveal (challenger)",
        "reveal (operator, bisects)",
        "startStep",
        "startNode",
        "revealOutputRoot (challenger)",
        "revealOutputRoot (operator)",
        "commitIntermediates (challenger)",
        "commitIntermediates (operator)",
        "oneStep (verdict)",
        "claimTimeout + settlement",
        "settle",
        "commitSegment (challenger)",
        "commitSegment (operator, starts the segment descent)"
    ];
    uint256[14] internal count;
    uint256[14] internal maxExecution;
    uint256[14] internal maxTotal;
    uint256[14] internal sumExecution;
    uint256 internal disputeTotal;
    uint256 internal disputeTransactions;
    uint256 internal largest;

    /// @dev One side's commitments, sparse.
    struct Side_ {
        SparseTree trace;
        SparseTree nextState;
        SparseTree output;
        SparseTree intermediates;
        SparseTree segment;
    }

    struct Inputs {
        SparseTree stateBefore;
        SparseTree a;
        SparseTree b;
        bytes32 aRoot;
        bytes32 bRoot;
        bytes descriptor;
        SparseTree descriptors;
    }

    function setUp() public {
        _deploy(IOneStepProver(address(new OneStepProver(new ProgramRegistry()))));
        _warmUpBurn();
    }

    // ---------------------------------------------------------------- the sparse world

    function _lane(bytes32 salt, uint256 index, uint256 lane, uint32 value) internal pure returns (bytes32) {
        return TestTree.withLane(keccak256(abi.encode(salt, index)), lane, value);
    }

    function _inputs() internal pure returns (Inputs memory x) {
        uint256 aIndex = ROW * INNER + K;
        uint256 bIndex = K * ROWS + COLUMN;
        x.a = TestTree.sparse(ROWS * INNER / 8, "A").set(aIndex / 8, _lane("A", aIndex / 8, aIndex % 8, A_VALUE));
        x.b = TestTree.sparse(INNER * ROWS / 8, "B").set(bIndex / 8, _lane("B", bIndex / 8, bIndex % 8, B_VALUE));
        x.aRoot = Commitments.bindShape(x.a.root(), ShapeWords.matrix(ROWS, INNER));
        x.bRoot = Commitments.bindShape(x.b.root(), ShapeWords.matrix(INNER, ROWS));
        x.stateBefore = TestTree.sparse(NODES, "h_t").set(PRODUCER_A, x.aRoot).set(PRODUCER_B, x.bRoot);
        uint256[] memory refs = new uint256[](2);
        refs[0] = (uint256(1) << 248) | (PRODUCER_A << 64) | 3;
        refs[1] = (uint256(1) << 248) | (PRODUCER_B << 64) | 4;
        uint256[] memory shape = new uint256[](2);
        (shape[0], shape[1]) = (ROWS, ROWS);
        x.descriptor = abi.encode(NODE, OpKind.MATMUL, new uint256[](0), refs, shape);
        x.descriptors = TestTree.sparse(NODES, "descriptors").set(NODE, keccak256(x.descriptor));
    }

    function _side(Inputs memory x, bool faulty) internal pure returns (Side_ memory s) {
        uint32 result = Float32.execute(Float32.MUL, A_VALUE, B_VALUE, 0);
        uint32 value = ELEMENT_VALUE;
        if (faulty) {
            result += 1;
            value += 1;
        }
        uint256 last = LENGTH - 1;
        s.intermediates = TestTree.sparse(LENGTH / 8, "intermediates")
            .set(INSTRUCTION / 8, _lane("im", INSTRUCTION / 8, INSTRUCTION % 8, result))
            .set(last / 8, _lane("im", last / 8, last % 8, value));
        s.output = TestTree.sparse(NUMEL / 8, "output").set(ELEMENT / 8, _lane("out", ELEMENT / 8, ELEMENT % 8, value));
        bytes32 outputRoot = Commitments.bindShape(s.output.root(), ShapeWords.matrix(ROWS, ROWS));
        s.nextState = TestTree.sparse(NODES, "h_t+1").set(NODE, outputRoot);
        // h_S is spelled out (the same for both parties) so that submitResult can prove it under the root
        s.trace = TestTree.sparse(STEPS + 1, "trace").set(STEP, x.stateBefore.root()).set(STEP + 1, s.nextState.root())
            .set(STEPS, keccak256("h_S"));
    }

    function _inputShapes(Inputs memory x) internal pure returns (InputShape[] memory shapes) {
        shapes = new InputShape[](2);
        shapes[0] = InputShape(x.aRoot, x.stateBefore.proof(PRODUCER_A), x.a.root(), ShapeWords.matrix(ROWS, INNER));
        shapes[1] = InputShape(x.bRoot, x.stateBefore.proof(PRODUCER_B), x.b.root(), ShapeWords.matrix(INNER, ROWS));
    }

    function _operands(Inputs memory x) internal pure returns (OperandProof[] memory ops) {
        uint256 aLeaf = (ROW * INNER + K) / 8;
        uint256 bLeaf = (K * ROWS + COLUMN) / 8;
        ops = new OperandProof[](2);
        ops[0].leaf = x.a.node(0, aLeaf);
        ops[0].leafProof = x.a.proof(aLeaf);
        ops[1].leaf = x.b.node(0, bLeaf);
        ops[1].leafProof = x.b.proof(bLeaf);
    }

    // ---------------------------------------------------------------- measuring

    function _calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i = 0; i < data.length; i++) {
            g += data[i] == 0 ? 4 : 16;
        }
    }

    function _tx(uint256 kind, address from, bytes memory data) internal {
        vm.prank(from);
        uint256 before = gasleft();
        (bool ok, bytes memory ret) = address(game).call(data);
        uint256 execution = before - gasleft();
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        uint256 total = execution + 21_000 + _calldataGas(data);
        count[kind]++;
        sumExecution[kind] += execution;
        if (execution > maxExecution[kind]) maxExecution[kind] = execution;
        if (total > maxTotal[kind]) maxTotal[kind] = total;
        if (total > largest) largest = total;
        disputeTotal += total;
        disputeTransactions++;
    }

    function _reveal(uint256 gameId, SparseTree memory c, SparseTree memory o) internal {
        GameView memory s = _state(gameId);
        (bytes32 l, bytes32 r) = c.children(s.height, s.position);
        _tx(1, challenger, abi.encodeCall(game.reveal, (gameId, l, r)));
        (l, r) = o.children(s.height, s.position);
        _tx(2, operator, abi.encodeCall(game.reveal, (gameId, l, r)));
    }

    function _descend(uint256 gameId, SparseTree memory c, SparseTree memory o) internal {
        Level level = _state(gameId).level;
        while (_state(gameId).level == level && _state(gameId).status == GameStatus.Active) {
            _reveal(gameId, c, o);
        }
    }

    function _resetStats() internal {
        disputeTotal = 0;
        disputeTransactions = 0;
    }

    // ---------------------------------------------------------------- the dispute

    /// @dev A side's trace and segment of the commit-interval scenario: h_700 agreed, h_750 (the
    ///      state before the fault) agreed, h_751 and everything after it (h_800 included) the side's own.
    function _intervalSide(Inputs memory x, Side_ memory s) internal pure returns (Side_ memory) {
        bytes32 hStart = keccak256("h_700");
        bytes32 hEnd = keccak256(abi.encode("h_800", s.nextState.root()));
        s.trace =
            TestTree.sparse(STEPS + 1, "trace").set(SEG_START, hStart).set(SEG_END, hEnd).set(STEPS, keccak256("h_S"));
        s.segment = TestTree.sparse(SEG_LEAVES, "segment").set(0, hStart)
            .set(SEG_STEP - SEG_START, x.stateBefore.root()).set(SEG_STEP - SEG_START + 1, s.nextState.root())
            .set(SEG_LEAVES - 1, hEnd);
        return s;
    }

    function _commitSegment(uint256 gameId, uint256 kind, address from, Side_ memory mover, Side_ memory o) internal {
        uint256 last = SEG_LEAVES - 1;
        bytes memory data = abi.encodeCall(
            game.commitSegment,
            (
                gameId,
                mover.segment.root(),
                o.trace.node(0, SEG_START),
                o.trace.proof(SEG_START),
                mover.segment.proof(0),
                mover.segment.proof(last)
            )
        );
        _tx(kind, from, data);
    }

    /// @dev From the end of the step descent to the node descent: the Segment round and the segment
    ///      descent (commit intervals), then startStep.
    function _startStep(uint256 gameId, Inputs memory x, Side_ memory o, Side_ memory c, bool intervals) internal {
        bytes32[] memory stateProof;
        if (intervals) {
            assertEq(uint256(_state(gameId).level), uint256(Level.Segment));
            _commitSegment(gameId, 12, challenger, c, o);
            _commitSegment(gameId, 13, operator, o, o);
            _descend(gameId, c.segment, o.segment);
            assertEq(_state(gameId).step, SEG_STEP);
            stateProof = o.segment.proof(SEG_STEP - SEG_START);
        } else {
            stateProof = o.trace.proof(STEP);
        }
        _tx(
            3,
            challenger,
            abi.encodeCall(
                game.startStep, (gameId, x.stateBefore.root(), stateProof, x.descriptors.root(), NODES, SLOTS)
            )
        );
    }

    function _playDispute(bool operatorFaulty) internal returns (uint256 gameId) {
        return _playDispute(operatorFaulty, false);
    }

    /// @param intervals The commit-interval scenario (checkpointEvery 100, a Segment round).
    function _playDispute(bool operatorFaulty, bool intervals) internal returns (uint256 gameId) {
        Inputs memory x = _inputs();
        Side_ memory o = _side(x, operatorFaulty);
        Side_ memory c = _side(x, !operatorFaulty);
        if (intervals) {
            o = _intervalSide(x, o);
            c = _intervalSide(x, c);
            nextCheckpointEvery = uint32(EVERY);
        }
        bytes32 graphRoot = keccak256(abi.encode(x.descriptors.root(), NODES, SLOTS));
        uint256 taskId = _submittedTask(keccak256("dataset"), keccak256("h_0"), graphRoot, STEPS, o.trace);
        _stake(challenger, BOND);
        _resetStats();
        uint256 id = game.gameCount() + 1;
        _tx(0, challenger, abi.encodeCall(game.open, (taskId, c.trace.root())));
        gameId = id;

        _descend(gameId, c.trace, o.trace);
        _startStep(gameId, x, o, c, intervals);
        _descend(gameId, c.nextState, o.nextState);
        _tx(4, challenger, abi.encodeCall(game.startNode, (gameId, x.descriptor, x.descriptors.proof(NODE))));
        _tx(5, challenger, abi.encodeCall(game.revealOutputRoot, (gameId, c.output.root())));
        _tx(6, operator, abi.encodeCall(game.revealOutputRoot, (gameId, o.output.root())));
        _descend(gameId, c.output, o.output);
        assertEq(_state(gameId).element, ELEMENT);

        _commit(gameId, 7, challenger, x.descriptor, _inputShapes(x), c.intermediates);
        _commit(gameId, 8, operator, "", new InputShape[](0), o.intermediates);
        _descend(gameId, c.intermediates, o.intermediates);
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.OneStep));
        assertEq(s.instruction, INSTRUCTION);
        _tx(9, challenger, abi.encodeCall(game.oneStep, (gameId, x.descriptor, _inputShapes(x), _operands(x))));
        assertEq(
            uint256(_state(gameId).status), uint256(operatorFaulty ? GameStatus.ChallengerWon : GameStatus.OperatorWon)
        );
        // the winner settles the verdict (anyone may)
        _tx(11, operatorFaulty ? challenger : operator, abi.encodeCall(game.settle, (gameId)));
        assertTrue(game.isSettled(gameId));
    }

    function _commit(
        uint256 gameId,
        uint256 kind,
        address from,
        bytes memory descriptor,
        InputShape[] memory inputs,
        SparseTree memory tree
    ) internal {
        uint256 last = (LENGTH - 1) / 8;
        bytes memory data = abi.encodeCall(
            game.commitIntermediates, (gameId, descriptor, inputs, tree.root(), tree.node(0, last), tree.proof(last))
        );
        _tx(kind, from, data);
    }

    function _report(string memory title) internal {
        emit log_string(title);
        for (uint256 k = 0; k < kinds.length; k++) {
            if (count[k] == 0) continue;
            emit log_string(string.concat(
                    "  ",
                    kinds[k],
                    ": count ",
                    vm.toString(count[k]),
                    ", mean execution ",
                    vm.toString(sumExecution[k] / count[k]),
                    ", max execution ",
                    vm.toString(maxExecution[k]),
                    ", max with intrinsic ",
                    vm.toString(maxTotal[k])
                ));
        }
        emit log_named_uint("  transactions", disputeTransactions);
        emit log_named_uint("  whole dispute (with intrinsic)", disputeTotal);
        emit log_named_uint("  largest transaction (with intrinsic)", largest);
    }

    function test_gas_wholeDispute_operatorFaulty() public {
        _playDispute(true);
        _report("dispute at scale, real prover, operator faulty (challenger wins)");
        _assertGoals();
    }

    function test_gas_wholeDispute_challengerFaulty() public {
        _playDispute(false);
        _report("dispute at scale, real prover, challenger faulty (operator wins)");
        _assertGoals();
    }

    function test_gas_wholeDispute_commitIntervals_operatorFaulty() public {
        _playDispute(true, true);
        _report("dispute at scale with commit intervals (K = 100, segment of 101 states), operator faulty");
        _assertGoals();
    }

    function test_gas_wholeDispute_commitIntervals_challengerFaulty() public {
        _playDispute(false, true);
        _report("dispute at scale with commit intervals (K = 100, segment of 101 states), challenger faulty");
        _assertGoals();
    }

    function test_gas_claimTimeout() public {
        Inputs memory x = _inputs();
        Side_ memory o = _side(x, false);
        bytes32 graphRoot = keccak256(abi.encode(x.descriptors.root(), NODES, SLOTS));
        uint256 taskId = _submittedTask(keccak256("dataset"), keccak256("h_0"), graphRoot, STEPS, o.trace);
        _stake(challenger, BOND);
        _tx(0, challenger, abi.encodeCall(game.open, (taskId, keccak256("challenger trace"))));
        uint256 gameId = game.gameCount();
        vm.warp(block.timestamp + MAX_CLOCK + 1);
        _tx(10, operator, abi.encodeCall(game.claimTimeout, (gameId)));
        _report("open, then the challenger never moves");
    }

    function _assertGoals() internal view {
        assertLe(largest, 1_000_000, "no transaction over 1M gas");
        assertLe(maxTotal[9], 150_000, "the oneStep transaction (with intrinsic gas) under 150k");
        assertLe(maxTotal[11], 150_000, "the settle transaction under 150k");
        assertLe(disputeTotal, 8_000_000, "whole dispute under 8M");
    }
}
