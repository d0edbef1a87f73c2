// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameStatus, GameView, Level, Resolution} from "../../src/DisputeTypes.sol";
import {IOneStepProver, InputShape, OperandProof} from "../../src/IOneStepProver.sol";
import {OneStepProver} from "../../src/OneStepProver.sol";
import {ProgramRegistry} from "../../src/ProgramRegistry.sol";
import {GameFixture} from "./utils/GameFixture.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";
import {RealWorld} from "./utils/RealWorld.sol";

/// @notice Whole games with the real `OneStepProver` (RepOps programs, Merkle proofs, soft-float) on
///         the small real step of `RealWorld`: a party's MATMUL accumulator is one ulp off at the
///         element's last instruction, which reads one intermediate by proof and one from its leaf.
contract RealProverGameTest is GameFixture, RealWorld {
    using TestTree for FullTree;

    uint256 internal constant NODE = 0;
    uint256 internal constant ELEMENT = 3;
    uint256 internal constant INSTRUCTION = 9;

    /// @dev One party's commitments.
    struct View {
        FullTree trace;
        FullTree h1;
        Tensor out0;
        FullTree intermediates;
    }

    World internal w;

    function setUp() public {
        _deploy(IOneStepProver(address(new OneStepProver(new ProgramRegistry()))));
        _warmUpBurn();
    }

    function _view(World memory world, bool faulty) internal pure returns (View memory v) {
        uint32[] memory im = _intermediates(world, 0, NODE, ELEMENT);
        uint32[] memory values = world.outputs[NODE].values;
        if (faulty) {
            im[INSTRUCTION] += 1;
            uint32[] memory copy = new uint32[](values.length);
            for (uint256 e = 0; e < values.length; e++) {
                copy[e] = values[e];
            }
            copy[ELEMENT] = im[INSTRUCTION];
            values = copy;
        }
        v.intermediates = TestTree.build(TestTree.pack(im));
        v.out0 = _tensor(world.nodes[NODE].shape, values);
        bytes32[] memory leaves = new bytes32[](NUM_NODES);
        for (uint256 n = 0; n < NUM_NODES; n++) {
            leaves[n] = world.outputs[n].root;
        }
        leaves[NODE] = v.out0.root;
        v.h1 = TestTree.build(leaves);
        leaves = new bytes32[](2);
        (leaves[0], leaves[1]) = (world.h0.root(), v.h1.root());
        v.trace = TestTree.build(leaves);
    }

    function _reveal(uint256 gameId, FullTree memory c, FullTree memory o) internal {
        GameView memory s = _state(gameId);
        (bytes32 l, bytes32 r) = c.children(s.height, s.position);
        vm.prank(challenger);
        game.reveal(gameId, l, r);
        (l, r) = o.children(s.height, s.position);
        vm.prank(operator);
        game.reveal(gameId, l, r);
    }

    /// @notice Plays the whole game; returns the gas of the one-step move.
    function _playReal(World memory world, View memory o, View memory c)
        internal
        returns (uint256 gameId, uint256 oneStepGas)
    {
        uint256 taskId = _submittedTask(world.dataset.root, world.h0.root(), _graphRoot(world), 1, o.trace);
        gameId = _open(taskId, challenger, c.trace.root());

        _reveal(gameId, c.trace, o.trace); // steps: leaf 1 -> t = 0
        vm.prank(challenger);
        game.startStep(gameId, bytes32(0), new bytes32[](0), world.nodesTree.root(), NUM_NODES, NUM_SLOTS);
        _reveal(gameId, c.h1, o.h1); // nodes, height 2
        _reveal(gameId, c.h1, o.h1); // nodes, height 1 -> node 0
        bytes memory descriptor = _descriptor(world, NODE);
        vm.prank(challenger);
        game.startNode(gameId, descriptor, world.nodesTree.proof(NODE));
        vm.prank(challenger);
        game.revealOutputRoot(gameId, c.out0.dataRoot);
        vm.prank(operator);
        game.revealOutputRoot(gameId, o.out0.dataRoot); // 4 elements: one leaf -> element 3
        assertEq(_state(gameId).element, ELEMENT);

        InputShape[] memory inputs = _inputShapes(world, 0, NODE);
        vm.prank(challenger);
        game.commitIntermediates(
            gameId, descriptor, inputs, c.intermediates.root(), c.intermediates.leaf(1), c.intermediates.proof(1)
        );
        vm.prank(operator);
        game.commitIntermediates(
            gameId, "", new InputShape[](0), o.intermediates.root(), o.intermediates.leaf(1), o.intermediates.proof(1)
        );
        _reveal(gameId, c.intermediates, o.intermediates); // 10 intermediates: 2 leaves -> instruction 9
        GameView memory s = _state(gameId);
        assertEq(uint256(s.level), uint256(Level.OneStep));
        assertEq(s.instruction, INSTRUCTION);
        assertEq(s.programLength, 10);

        OperandProof[] memory operands = _operandProofs(world, 0, NODE, ELEMENT, INSTRUCTION, o.intermediates);
        vm.prank(challenger);
        uint256 before = gasleft();
        game.oneStep(gameId, descriptor, inputs, operands);
        oneStepGas = before - gasleft();
    }

    function test_realProver_operatorWrongAccumulator_operatorLoses() public {
        World memory world = _buildWorld();
        (uint256 gameId, uint256 gasUsed) = _playReal(world, _view(world, true), _view(world, false));
        GameView memory s = _state(gameId);
        assertEq(uint256(s.status), uint256(GameStatus.ChallengerWon));
        assertEq(uint256(s.resolution), uint256(Resolution.OneStep));
        assertLe(gasUsed, 150_000, "one step with the real prover");
    }

    function test_realProver_challengerWrongAccumulator_challengerLoses() public {
        World memory world = _buildWorld();
        (uint256 gameId,) = _playReal(world, _view(world, false), _view(world, true));
        GameView memory s = _state(gameId);
        assertEq(uint256(s.status), uint256(GameStatus.OperatorWon));
        assertEq(uint256(s.resolution), uint256(Resolution.OneStep));
    }
}
