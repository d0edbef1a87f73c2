// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {InputShape, OperandProof, StepContext} from "../../../src/IOneStepProver.sol";
import {Commitments} from "../../../src/lib/Commitments.sol";
import {Float32} from "../../../src/lib/Float32.sol";
import {OpKind} from "../../../src/lib/OpKind.sol";
import {Programs} from "../../../src/lib/Programs.sol";
import {ShapeWords} from "../../../src/lib/ShapeWords.sol";
import {FullTree, TestTree} from "./TestTree.sol";

/// @notice A small real training step for the real `OneStepProver`: RepOps programs (`Programs`),
///         soft-float (`Float32`) and every commitment of `docs/protocol.md`.
///
///         State h_0 (3 slots): W (2,2) [next value by node 1], A (2,5), B (5,2); dataset 4 rows x 3.
///         Nodes: 0 MATMUL(A, B) -> (2,2), programs of 10; 1 BINARY ADD(node 0, W) -> (2,2);
///         2 BATCH_GATHER(dataset) -> (2,3); 3 UNARY COPY(W, produced by node 1) -> (2,2).
///         The values are element programs run by a tiny interpreter over `Programs.instruction`.
abstract contract RealWorld {
    using TestTree for FullTree;

    uint256 internal constant NUM_SLOTS = 3;
    uint256 internal constant NUM_NODES = 4;
    uint256 internal constant DATASET_ROWS = 4;
    uint256 internal constant DATASET_WIDTH = 3;
    uint256 internal constant BATCH_SEED = 77;
    uint256 internal constant REF_STATE = 1 << 248;
    uint256 internal constant REF_DATASET = 2 << 248;

    struct Tensor {
        bytes32 shapeWord;
        uint32[] values;
        FullTree tree;
        bytes32 dataRoot;
        bytes32 root;
    }

    struct NodeDef {
        uint8 opKind;
        uint256[] params;
        uint256[] refs;
        uint256[] shape;
    }

    struct Dataset {
        uint32[] values; // row-major
        Tensor[] rows;
        FullTree rowsTree;
        bytes32 root;
        bytes32 shapeWord;
    }

    struct World {
        Tensor[] slots;
        Dataset dataset;
        NodeDef[] nodes;
        FullTree nodesTree;
        Tensor[] outputs; // step 0
        FullTree h0;
        FullTree h1;
    }

    // ---------------------------------------------------------------- tensors

    function _dims(uint256 a) internal pure returns (uint256[] memory d) {
        d = new uint256[](1);
        d[0] = a;
    }

    function _dims(uint256 a, uint256 b) internal pure returns (uint256[] memory d) {
        d = new uint256[](2);
        (d[0], d[1]) = (a, b);
    }

    function _tensor(uint256[] memory dims, uint32[] memory values) internal pure returns (Tensor memory t) {
        t.shapeWord = ShapeWords.encode(dims);
        t.values = values;
        t.tree = TestTree.build(TestTree.pack(values));
        t.dataRoot = t.tree.root();
        t.root = Commitments.bindShape(t.dataRoot, t.shapeWord);
    }

    /// @notice Floats in [1, 2) drawn from `salt`.
    function _randomValues(uint256 count, string memory salt) internal pure returns (uint32[] memory values) {
        values = new uint32[](count);
        for (uint256 i = 0; i < count; i++) {
            values[i] = 0x3F800000 | uint32(uint256(keccak256(abi.encode(salt, i))) & 0x7FFFFF);
        }
    }

    // ---------------------------------------------------------------- the graph

    function _descriptor(World memory w, uint256 n) internal pure returns (bytes memory) {
        NodeDef memory d = w.nodes[n];
        return abi.encode(n, d.opKind, d.params, d.refs, d.shape);
    }

    function _state(uint256 producer, uint256 slot) internal pure returns (uint256) {
        return REF_STATE | (producer << 64) | slot;
    }

    function _graphRoot(World memory w) internal pure returns (bytes32) {
        return keccak256(abi.encode(w.nodesTree.root(), NUM_NODES, NUM_SLOTS));
    }

    function _buildWorld() internal pure returns (World memory w) {
        w.slots = new Tensor[](NUM_SLOTS);
        w.slots[0] = _tensor(_dims(2, 2), _randomValues(4, "W"));
        w.slots[1] = _tensor(_dims(2, 5), _randomValues(10, "A"));
        w.slots[2] = _tensor(_dims(5, 2), _randomValues(10, "B"));
        w.dataset = _dataset();

        w.nodes = new NodeDef[](NUM_NODES);
        uint256[] memory none = new uint256[](0);
        uint256[] memory refs = new uint256[](2);
        (refs[0], refs[1]) = (_state(5, 1), _state(6, 2));
        w.nodes[0] = NodeDef(OpKind.MATMUL, none, refs, _dims(2, 2));
        uint256[] memory params = new uint256[](2);
        (params[0], params[1]) = (Float32.ADD, 0);
        refs = new uint256[](2);
        (refs[0], refs[1]) = (0, _state(1, 0));
        w.nodes[1] = NodeDef(OpKind.BINARY, params, refs, _dims(2, 2));
        params = new uint256[](2);
        (params[0], params[1]) = (BATCH_SEED, DATASET_ROWS);
        w.nodes[2] = NodeDef(OpKind.BATCH_GATHER, params, _one(REF_DATASET), _dims(2, DATASET_WIDTH));
        w.nodes[3] = NodeDef(OpKind.UNARY, _one(Float32.COPY), _one(_state(1, 0)), _dims(2, 2));

        bytes32[] memory leaves = new bytes32[](NUM_NODES);
        for (uint256 n = 0; n < NUM_NODES; n++) {
            leaves[n] = keccak256(_descriptor(w, n));
        }
        w.nodesTree = TestTree.build(leaves);

        leaves = new bytes32[](NUM_SLOTS);
        for (uint256 j = 0; j < NUM_SLOTS; j++) {
            leaves[j] = w.slots[j].root;
        }
        w.h0 = TestTree.build(leaves);

        w.outputs = new Tensor[](NUM_NODES);
        leaves = new bytes32[](NUM_NODES);
        for (uint256 n = 0; n < NUM_NODES; n++) {
            uint256 numel = ShapeWords.numel(ShapeWords.encode(w.nodes[n].shape));
            uint32[] memory values = new uint32[](numel);
            for (uint256 e = 0; e < numel; e++) {
                uint32[] memory im = _intermediates(w, 0, n, e);
                values[e] = im[im.length - 1];
            }
            w.outputs[n] = _tensor(w.nodes[n].shape, values);
            leaves[n] = w.outputs[n].root;
        }
        w.h1 = TestTree.build(leaves);
    }

    function _one(uint256 x) internal pure returns (uint256[] memory a) {
        a = new uint256[](1);
        a[0] = x;
    }

    function _dataset() internal pure returns (Dataset memory d) {
        d.values = _randomValues(DATASET_ROWS * DATASET_WIDTH, "dataset");
        d.rows = new Tensor[](DATASET_ROWS);
        bytes32[] memory rowRoots = new bytes32[](DATASET_ROWS);
        for (uint256 r = 0; r < DATASET_ROWS; r++) {
            uint32[] memory row = new uint32[](DATASET_WIDTH);
            for (uint256 c = 0; c < DATASET_WIDTH; c++) {
                row[c] = d.values[r * DATASET_WIDTH + c];
            }
            d.rows[r] = _tensor(_dims(DATASET_WIDTH), row);
            rowRoots[r] = d.rows[r].root;
        }
        d.rowsTree = TestTree.build(rowRoots);
        d.shapeWord = ShapeWords.matrix(DATASET_ROWS, DATASET_WIDTH);
        d.root = Commitments.bindShape(d.rowsTree.root(), d.shapeWord);
    }

    // ---------------------------------------------------------------- inputs and programs

    /// @notice The tensor input `k` of node `n` reads at `step` (step 0 or 1), its state commitment
    ///         and the leaf index there (DATASET: index 0 and the dataset's rows).
    function _input(World memory w, uint256 step, uint256 n, uint256 k)
        internal
        pure
        returns (Tensor memory t, FullTree memory commitment, uint256 leafIndex)
    {
        uint256 ref = w.nodes[n].refs[k];
        uint256 kind = ref >> 248;
        uint256 index = ref & ((uint256(1) << 248) - 1);
        if (kind == 0) return (w.outputs[index], w.h1, index);
        if (kind == 1) {
            if (step == 0) return (w.slots[index & type(uint64).max], w.h0, index & type(uint64).max);
            return (w.outputs[index >> 64], w.h1, index >> 64);
        }
        t.shapeWord = w.dataset.shapeWord;
        t.values = w.dataset.values;
        t.dataRoot = w.dataset.rowsTree.root();
        t.root = w.dataset.root;
    }

    function _inputShapes(World memory w, uint256 step, uint256 n) internal pure returns (InputShape[] memory shapes) {
        shapes = new InputShape[](w.nodes[n].refs.length);
        for (uint256 k = 0; k < shapes.length; k++) {
            (Tensor memory t, FullTree memory commitment, uint256 leafIndex) = _input(w, step, n, k);
            shapes[k].tensorRoot = t.root;
            if (w.nodes[n].refs[k] >> 248 != 2) shapes[k].rootProof = commitment.proof(leafIndex);
            shapes[k].dataRoot = t.dataRoot;
            shapes[k].shapeWord = t.shapeWord;
        }
    }

    function _shapeWords(World memory w, uint256 step, uint256 n) internal pure returns (bytes32[] memory words) {
        words = new bytes32[](w.nodes[n].refs.length);
        for (uint256 k = 0; k < words.length; k++) {
            (Tensor memory t,,) = _input(w, step, n, k);
            words[k] = t.shapeWord;
        }
    }

    function _instruction(World memory w, uint256 step, uint256 n, uint256 e, uint256 i)
        internal
        pure
        returns (Programs.Instr memory)
    {
        NodeDef memory d = w.nodes[n];
        return Programs.instruction(d.opKind, d.params, _shapeWords(w, step, n), ShapeWords.encode(d.shape), e, i, step);
    }

    function _programLength(World memory w, uint256 step, uint256 n, uint256 e) internal pure returns (uint256) {
        NodeDef memory d = w.nodes[n];
        return Programs.programLength(d.opKind, d.params, _shapeWords(w, step, n), ShapeWords.encode(d.shape), e);
    }

    /// @notice Every intermediate of element `e` of node `n` at `step`, by running its program.
    function _intermediates(World memory w, uint256 step, uint256 n, uint256 e)
        internal
        pure
        returns (uint32[] memory values)
    {
        values = new uint32[](_programLength(w, step, n, e));
        for (uint256 i = 0; i < values.length; i++) {
            Programs.Instr memory ins = _instruction(w, step, n, e, i);
            uint32[3] memory x;
            for (uint256 k = 0; k < ins.arity; k++) {
                Programs.Operand memory op = ins.operands[k];
                if (op.kind == Programs.CONST) x[k] = uint32(op.a);
                else if (op.kind == Programs.TEMP) x[k] = values[op.a];
                else x[k] = _inputValue(w, step, n, op.a, op.b);
            }
            values[i] = Float32.execute(ins.opcode, x[0], x[1], x[2]);
        }
    }

    function _inputValue(World memory w, uint256 step, uint256 n, uint256 slot, uint256 index)
        internal
        pure
        returns (uint32)
    {
        (Tensor memory t,,) = _input(w, step, n, slot);
        return t.values[index];
    }

    // ---------------------------------------------------------------- one step

    /// @notice The context the game would build for instruction `i` of element `e` of node `n`,
    ///         with the honest intermediates.
    function _context(World memory w, uint256 step, uint256 n, uint256 e, uint256 i)
        internal
        pure
        returns (StepContext memory ctx, FullTree memory intermediates)
    {
        uint32[] memory values = _intermediates(w, step, n, e);
        intermediates = TestTree.build(TestTree.pack(values));
        ctx.datasetRoot = w.dataset.root;
        ctx.step = step;
        ctx.stateRoot = step == 0 ? w.h0.root() : w.h1.root();
        ctx.nextStateRoot = w.h1.root(); // step 1's outputs are not needed: only node 3 runs there
        ctx.nodesRoot = w.nodesTree.root();
        ctx.numNodes = NUM_NODES;
        ctx.numSlots = NUM_SLOTS;
        ctx.node = n;
        ctx.element = e;
        ctx.instruction = i;
        ctx.programLength = values.length;
        ctx.intermediatesRoot = intermediates.root();
        ctx.instructionLeaf = intermediates.leaf(i / 8);
    }

    /// @notice The operand proofs of instruction `i` of element `e` of node `n`.
    function _operandProofs(
        World memory w,
        uint256 step,
        uint256 n,
        uint256 e,
        uint256 i,
        FullTree memory intermediates
    ) internal pure returns (OperandProof[] memory proofs) {
        Programs.Instr memory ins = _instruction(w, step, n, e, i);
        proofs = new OperandProof[](ins.arity);
        for (uint256 k = 0; k < ins.arity; k++) {
            Programs.Operand memory op = ins.operands[k];
            if (op.kind == Programs.TEMP && op.a / 8 != i / 8) {
                proofs[k].leaf = intermediates.leaf(op.a / 8);
                proofs[k].leafProof = intermediates.proof(op.a / 8);
            } else if (op.kind == Programs.INPUT) {
                if (w.nodes[n].refs[op.a] >> 248 == 2) {
                    uint256 row = op.b / DATASET_WIDTH;
                    Tensor memory rowTensor = w.dataset.rows[row];
                    uint256 column = op.b % DATASET_WIDTH;
                    proofs[k].leaf = rowTensor.tree.leaf(column / 8);
                    proofs[k].leafProof = rowTensor.tree.proof(column / 8);
                    proofs[k].rowRoot = rowTensor.root;
                    proofs[k].rowProof = w.dataset.rowsTree.proof(row);
                } else {
                    (Tensor memory t,,) = _input(w, step, n, op.a);
                    proofs[k].leaf = t.tree.leaf(op.b / 8);
                    proofs[k].leafProof = t.tree.proof(op.b / 8);
                }
            }
        }
    }
}
