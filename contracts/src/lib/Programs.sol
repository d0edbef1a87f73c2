// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "../Errors.sol";
import {AffineMaps} from "./AffineMaps.sol";
import {Commitments} from "./Commitments.sol";
import {Float32} from "./Float32.sol";
import {OpKind} from "./OpKind.sol";
import {ShapeWords} from "./ShapeWords.sol";
import {TranscendentalTables} from "./generated/TranscendentalTables.sol";

/// @title Programs
/// @notice The element programs of RepOps, on-chain: instruction `i` of output element `e` of a
///         node, derived in O(1) from the node's op kind, its committed params, the input and
///         output shape words and (BATCH_GATHER only) the step number — a port of
///         `tribunal.repops.registry.program_length` / `instruction`, checked bit for bit against
///         it by `test/programs/Programs.t.sol` on the vectors of `vectors/programs.json`
///         (`python -m tools.generate.program_vectors`). The dispute's ONE STEP uses it
///         (`docs/protocol.md, "The dispute game"`).
///
///         Encodings: op kinds and opcodes are the numbers of the Python `OpKind` and `Opcode`
///         enums (`OpKind.MATMUL`, `Float32.ADD` …); params are what `tribunal.graph.descriptor_params` commits
///         (signed values as int256 two's complement; BATCH_GATHER's `(seed, numRows)`); shapes
///         are shape words (`ShapeWords`; `docs/protocol.md`, "Tensor roots").
///
///         How: every op but the layout ones is a loop program (`tribunal.repops.core.loop`): a body
///         of steps repeated `trips` times, then an epilogue; a step's operands are relative
///         (input slot, earlier step of the block, the accumulator, a constant, a param, the loop
///         constant). Every input address an op reads is affine in the iteration `k`, so the
///         program of one element is built with O(rank) index arithmetic and any instruction of
///         it is then a lookup. EXP and LOG are fixed tables (`TranscendentalTables`, generated
///         from `tribunal.repops.ops.transcendental`). COPY and GATHER_SUM walk their affine map
///         (`AffineMaps`, ranks at most 7), CAUSAL_MASK and BATCH_GATHER are one COPY each. No loop runs longer than a
///         rank or a table.
///
///         Like the Python, the functions validate the op against its shapes (input count,
///         shapes that fit, the declared output shape, counts used as float32 divisors) and
///         revert with an `Errors` error where the Python raises. Only absurd parameters
///         that Python's big integers tolerate revert here instead: affine maps with a view rank
///         above 7, a view dimension of 2**32 or more, a coefficient, offset or divisor of
///         magnitude 2**127 or more.
///
///         Gas of `instruction` (forge 1.7.1, solc 0.8.37, optimizer 200 runs, cancun; an internal
///         call from a fresh call frame with params and shapes already in memory, over the vectors
///         and hand-made worst cases of `test/programs/ProgramsGas.t.sol`; see
///         `contracts/GAS-programs.md`):
///
///         | op kind                                          | mean over vectors | worst measured |
///         |--------------------------------------------------|------------------:|---------------:|
///         | CAUSAL_MASK, BATCH_GATHER (keccak256 included)   |       2,537-2,963 |          3,646 |
///         | UNARY, EXP, LOG, PICK, MSE_LOSS, BINARY_CONST    |       4,197-4,557 |          5,120 |
///         | LN_RSTD, EMBEDDING, MATMUL, MATMUL_AT, MATMUL_BT |       4,760-4,888 |          5,099 |
///         | RELU_GRAD, REDUCE, LN_GRAD_GAIN, BINARY          |       5,055-5,285 |          6,611 |
///         | EMBEDDING_GRAD, SGD, MOMENTUM, ADAM_M, ADAM_V    |       5,287-5,627 |          5,718 |
///         | MSE_GRAD, LN_GRAD_STATS, XENT_GRAD               |       5,858-6,911 |          7,305 |
///         | ADAM_UPDATE, LN_APPLY                            |       7,290-7,840 |          7,896 |
///         | LN_GRAD_INPUT (7 inputs)                         |             9,197 |          9,665 |
///         | COPY (im2col 11,813; split_heads 10,997)         |            12,649 |         20,597 |
///         | GATHER_SUM (col2im 14,772)                       |            12,573 |         30,380 |
///
///         The COPY / GATHER_SUM worst cases are dense rank-7 affine maps no builder produces.
///         `programLength` costs about 2k less (about half for COPY / GATHER_SUM).
library Programs {
    /// @notice An operand of an instruction (`tribunal.repops.core.instructions.Operand`).
    /// @dev kind INPUT: `a` = input slot, `b` = flat row-major index in that input; TEMP: `a` =
    ///      the index of an earlier instruction of the same element's program; CONST: `a` = the
    ///      float32 bits. Unused fields are zero.
    struct Operand {
        uint8 kind;
        uint256 a;
        uint256 b;
    }

    /// @notice One float32 instruction: `opcode` (a `Float32` opcode) over its first `arity`
    ///         operands; the operands past `arity` are all zero.
    struct Instr {
        uint8 opcode;
        uint8 arity;
        Operand[3] operands;
    }

    // ---------------------------------------------------------------- operand kinds (never renumber)

    uint8 internal constant INPUT = 0;
    uint8 internal constant TEMP = 1;
    uint8 internal constant CONST = 2;

    // ---------------------------------------------------------------- constants

    uint256 private constant POS_ZERO = 0x00000000;
    uint256 private constant ONE = 0x3F800000;
    uint256 private constant TWO = 0x40000000;
    uint256 private constant POS_INF = 0x7F800000;
    uint256 private constant NEG_INF = 0xFF800000;

    /// @dev Counts a program divides by must be exact float32 values.
    uint256 private constant MAX_EXACT_COUNT = 1 << 24;
    uint256 private constant MAX_DIM = 0xFFFFFFFF;

    /// @dev Opcode sets as bitmasks over the opcode number.
    uint256 private constant BINARY_OPCODES =
        (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 9) | (1 << 10) | (1 << 11);
    uint256 private constant UNARY_OPCODES = (1 << 5) | (1 << 12) | (1 << 13) | (1 << 14);
    uint256 private constant REDUCE_OPCODES = (1 << 1) | (1 << 6) | (1 << 7);

    /// @dev How an elementwise op's input maps onto output elements `(..., N)`
    ///      (`tribunal.repops.core.opdef.Role`): FULL reads e, ROW e / N, COLUMN e % N, SCALAR 0.
    uint256 private constant FULL = 0;
    uint256 private constant ROW = 1;
    uint256 private constant COLUMN = 2;
    uint256 private constant SCALAR = 3;

    // ---------------------------------------------------------------- steps
    //
    // A step is an instruction with relative operands (`tribunal.repops.core.loop.Step`), packed in
    // 128 bits: opcode (8) ‖ three operand refs of 40 bits, each tag (8) ‖ value (32); refs past
    // the opcode's arity are zero. The EXP/LOG tables (`TranscendentalTables`) hold steps as
    // 16-byte rows.

    uint256 private constant REF_SLOT = 1; // input slot `value`, at the op's address for (e, k)
    uint256 private constant REF_TMP = 2; // step `value` of the same block
    uint256 private constant REF_ACC = 3; // the previous iteration's last step (`init` at k = 0)
    uint256 private constant REF_CONST = 4; // float32 bits `value`
    uint256 private constant REF_LOOP_CONST = 5; // float32(loopConstBase + k * loopConstStride)
    uint256 private constant REF_PARAM = 6; // params[value], taken as float32 bits

    uint256 private constant S0 = REF_SLOT << 32;
    uint256 private constant S1 = (REF_SLOT << 32) | 1;
    uint256 private constant S2 = (REF_SLOT << 32) | 2;
    uint256 private constant S3 = (REF_SLOT << 32) | 3;
    uint256 private constant S4 = (REF_SLOT << 32) | 4;
    uint256 private constant S5 = (REF_SLOT << 32) | 5;
    uint256 private constant S6 = (REF_SLOT << 32) | 6;
    uint256 private constant T0 = REF_TMP << 32;
    uint256 private constant T1 = (REF_TMP << 32) | 1;
    uint256 private constant T2 = (REF_TMP << 32) | 2;
    uint256 private constant T3 = (REF_TMP << 32) | 3;
    uint256 private constant T4 = (REF_TMP << 32) | 4;
    uint256 private constant T5 = (REF_TMP << 32) | 5;
    uint256 private constant T6 = (REF_TMP << 32) | 6;
    uint256 private constant T7 = (REF_TMP << 32) | 7;
    uint256 private constant ACC = REF_ACC << 32;
    uint256 private constant LOOP_CONST = REF_LOOP_CONST << 32;
    uint256 private constant P0 = REF_PARAM << 32;
    uint256 private constant P1 = (REF_PARAM << 32) | 1;
    uint256 private constant C_ZERO = (REF_CONST << 32) | POS_ZERO;
    uint256 private constant C_ONE = (REF_CONST << 32) | ONE;
    uint256 private constant C_TWO = (REF_CONST << 32) | TWO;

    /// @dev One element's program of a loop op, with every input address resolved for that
    ///      element: input slot `s` is read at `base[s] + k * stride[s]` in iteration `k`
    ///      (epilogues read at k = 0).
    struct LoopProgram {
        uint256 trips;
        uint256 bodyLength;
        uint256 epilogueLength;
        uint256 init; // the accumulator's bits before iteration 0
        uint256 countBits; // the float32 count an epilogue divides by
        uint256 loopConstBase;
        uint256 loopConstStride;
        uint256[7] base;
        uint256[7] stride;
    }

    // ---------------------------------------------------------------- API

    /// @notice The number of instructions of output element `element`'s program
    ///         (`tribunal.repops.registry.program_length`).
    /// @param opKind The node's op kind (`OpKind`).
    /// @param params The node's committed params.
    /// @param inputShapes The shape words of the node's inputs, in slot order.
    /// @param outShape The node's output shape word.
    /// @param element The flat row-major index of the output element.
    /// @return The program length L; intermediate L - 1 is the element's value.
    function programLength(
        uint8 opKind,
        uint256[] memory params,
        bytes32[] memory inputShapes,
        bytes32 outShape,
        uint256 element
    ) internal pure returns (uint256) {
        if (opKind == OpKind.COPY || opKind == OpKind.GATHER_SUM) {
            return _affineMap(opKind, params, inputShapes, outShape, element).trips;
        }
        if (opKind == OpKind.CAUSAL_MASK) {
            _causalMaskWidth(params, inputShapes, outShape, element);
            return 1;
        }
        if (opKind == OpKind.BATCH_GATHER) {
            _batchRowLength(params, inputShapes, outShape, element);
            return 1;
        }
        LoopProgram memory p;
        _loopProgram(p, opKind, params, inputShapes, outShape, element);
        unchecked {
            return p.trips * p.bodyLength + p.epilogueLength;
        }
    }

    /// @notice Instruction `i` of output element `element`'s program, operands absolute
    ///         (`tribunal.repops.registry.instruction`).
    /// @param opKind The node's op kind (`OpKind`).
    /// @param params The node's committed params.
    /// @param inputShapes The shape words of the node's inputs, in slot order.
    /// @param outShape The node's output shape word.
    /// @param element The flat row-major index of the output element.
    /// @param i The instruction index, below `programLength(...)`.
    /// @param step The training step the node runs in; only BATCH_GATHER reads it (its
    ///        dataset row is `Commitments.batchRowIndex(seed, step, row, numRows)`).
    /// @return ins The instruction.
    function instruction(
        uint8 opKind,
        uint256[] memory params,
        bytes32[] memory inputShapes,
        bytes32 outShape,
        uint256 element,
        uint256 i,
        uint256 step
    ) internal pure returns (Instr memory ins) {
        if (opKind == OpKind.COPY || opKind == OpKind.GATHER_SUM) {
            _affineInstruction(ins, opKind, params, inputShapes, outShape, element, i);
            return ins;
        }
        if (opKind == OpKind.CAUSAL_MASK) {
            uint256 width = _causalMaskWidth(params, inputShapes, outShape, element);
            if (i != 0) revert Errors.InstructionOutOfRange(i, 1);
            // column <= row: the element itself, else the fill constant
            if (element % width <= (element / width) % width) _setCopy(ins, INPUT, 0, element);
            else _setCopy(ins, CONST, params[0], 0);
            return ins;
        }
        if (opKind == OpKind.BATCH_GATHER) {
            uint256 rowLength = _batchRowLength(params, inputShapes, outShape, element);
            if (i != 0) revert Errors.InstructionOutOfRange(i, 1);
            uint256 row = Commitments.batchRowIndex(params[0], step, element / rowLength, params[1]);
            unchecked {
                _setCopy(ins, INPUT, 0, row * rowLength + element % rowLength);
            }
            return ins;
        }
        LoopProgram memory p;
        _loopProgram(p, opKind, params, inputShapes, outShape, element);
        unchecked {
            uint256 bodyEnd = p.trips * p.bodyLength;
            uint256 length = bodyEnd + p.epilogueLength;
            if (i >= length) revert Errors.InstructionOutOfRange(i, length);
            if (i < bodyEnd) {
                uint256 k = i / p.bodyLength;
                uint256 start = k * p.bodyLength;
                _resolve(ins, _bodyStep(opKind, params, i - start), p, params, k, start);
            } else {
                _resolve(ins, _epilogueStep(opKind, params, p, i - bodyEnd), p, params, 0, bodyEnd);
            }
        }
    }

    // ---------------------------------------------------------------- loop programs

    /// @dev Fills `p` with `kind`'s program for `element`, after checking the op and its shapes.
    function _loopProgram(
        LoopProgram memory p,
        uint8 kind,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 outShape,
        uint256 element
    ) private pure {
        if (kind >= OpKind.MATMUL && kind <= OpKind.MATMUL_BT) {
            _matmul(p, kind, shapes, outShape, element);
        } else if (kind == OpKind.REDUCE) {
            _reduce(p, params, shapes, outShape, element);
        } else if (kind == OpKind.PICK) {
            _pick(p, shapes, outShape, element);
        } else if (kind == OpKind.MSE_LOSS) {
            _mseLoss(p, shapes, outShape, element);
        } else if (kind == OpKind.LN_RSTD) {
            _lnRstd(p, params, shapes, outShape, element);
        } else if (kind == OpKind.LN_GRAD_STATS) {
            _lnGradStats(p, params, shapes, outShape, element);
        } else if (kind == OpKind.LN_GRAD_GAIN) {
            _lnGradGain(p, shapes, outShape, element);
        } else if (kind == OpKind.EMBEDDING) {
            _embedding(p, shapes, outShape, element);
        } else if (kind == OpKind.EMBEDDING_GRAD) {
            _embeddingGrad(p, params, shapes, outShape, element);
        } else {
            _elementwise(p, kind, params, shapes, outShape, element);
        }
    }

    /// @dev A (*b, M, K) or (*b, K, M) times B (*b, K, N) or (*b, N, K): acc += A[i,k] * B[k,j].
    function _matmul(LoopProgram memory p, uint8 kind, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
    {
        (uint256 m, uint256 depth, uint256 n) = _matmulDims(kind, shapes, outShape, element);
        bool transposeA = kind == OpKind.MATMUL_AT;
        bool transposeB = kind == OpKind.MATMUL_BT;
        p.trips = depth;
        p.bodyLength = 2;
        unchecked {
            uint256 batch = element / (m * n);
            uint256 i = (element / n) % m;
            uint256 j = element % n;
            p.base[0] = batch * m * depth + (transposeA ? i : i * depth);
            p.stride[0] = transposeA ? m : 1;
            p.base[1] = batch * depth * n + (transposeB ? j * depth : j);
            p.stride[1] = transposeB ? 1 : n;
        }
    }

    /// @dev Checks a matmul's shapes; returns (M, K, N).
    function _matmulDims(uint8 kind, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
        returns (uint256 m, uint256 depth, uint256 n)
    {
        _inputs(kind, shapes, 2);
        bytes32 a = shapes[0];
        bytes32 b = shapes[1];
        uint256 rank = ShapeWords.ndim(a);
        if (rank < 2) revert Errors.InputShapeMismatch(kind, 0, a);
        unchecked {
            // INVARIANT: equal ranks and batch dims: the words agree above their last two dims.
            uint256 low = 248 - 32 * rank;
            if ((uint256(a) ^ uint256(b)) >> (low + 64) != 0) revert Errors.InputShapeMismatch(kind, 1, b);
            bool transposeA = kind == OpKind.MATMUL_AT;
            bool transposeB = kind == OpKind.MATMUL_BT;
            m = ShapeWords.dim(a, transposeA ? rank - 1 : rank - 2);
            depth = ShapeWords.dim(a, transposeA ? rank - 2 : rank - 1);
            n = ShapeWords.dim(b, transposeB ? rank - 2 : rank - 1);
            if (ShapeWords.dim(b, transposeB ? rank - 1 : rank - 2) != depth) {
                revert Errors.InputShapeMismatch(kind, 1, b);
            }
            if (depth == 0) revert Errors.InputShapeMismatch(kind, 0, a);
            _output(
                kind, bytes32(uint256(a) >> (low + 64) << (low + 64) | m << (low + 32) | n << low), outShape, element
            );
        }
    }

    /// @dev acc = op(acc, x_k) over the contiguous dims [start, stop); mean divides by the count.
    function _reduce(
        LoopProgram memory p,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 outShape,
        uint256 element
    ) private pure {
        _paramCount(OpKind.REDUCE, params, 4);
        _inputs(OpKind.REDUCE, shapes, 1);
        uint256 opcode = params[0];
        if (opcode > 255 || (REDUCE_OPCODES >> opcode) & 1 == 0) revert Errors.ParamInvalid(OpKind.REDUCE, 0, opcode);
        bytes32 x = shapes[0];
        uint256 start = params[1];
        uint256 stop = params[2];
        if (stop > ShapeWords.ndim(x)) revert Errors.ParamInvalid(OpKind.REDUCE, 2, stop);
        if (start >= stop) revert Errors.ParamInvalid(OpKind.REDUCE, 1, start);
        (uint256 count, uint256 inner, bytes32 kept) = _splitDims(x, start, stop);
        if (count == 0) revert Errors.InputShapeMismatch(OpKind.REDUCE, 0, x);
        bool mean = params[3] != 0;
        if (mean && opcode != Float32.ADD) revert Errors.ParamInvalid(OpKind.REDUCE, 3, params[3]);
        _output(OpKind.REDUCE, kept, outShape, element);

        p.trips = count;
        p.bodyLength = 1;
        p.init = opcode == Float32.ADD ? POS_ZERO : (opcode == Float32.MAX ? NEG_INF : POS_INF);
        if (mean) {
            p.epilogueLength = 1;
            p.countBits = _countBits(count);
        }
        unchecked {
            p.base[0] = (element / inner) * count * inner + element % inner;
        }
        p.stride[0] = inner;
    }

    /// @dev For the reduced dims [start, stop) of `x`: their element count, the element count of
    ///      the dims after them, and the shape without them.
    function _splitDims(bytes32 x, uint256 start, uint256 stop)
        private
        pure
        returns (uint256 count, uint256 inner, bytes32 kept)
    {
        unchecked {
            uint256 rank = ShapeWords.ndim(x);
            count = 1;
            inner = 1;
            uint256 word = (rank - (stop - start)) << 248;
            uint256 position = 0;
            for (uint256 d = 0; d < rank; ++d) {
                uint256 size = ShapeWords.dim(x, d);
                if (d >= start && d < stop) {
                    count *= size;
                } else {
                    if (d >= stop) inner *= size;
                    word |= size << (216 - 32 * position);
                    ++position;
                }
            }
            kept = bytes32(word);
        }
    }

    /// @dev x (..., C), ids (...): acc = SELECT(EQ(id, k), x[..., k], acc).
    function _pick(LoopProgram memory p, bytes32[] memory shapes, bytes32 outShape, uint256 element) private pure {
        _inputs(OpKind.PICK, shapes, 2);
        bytes32 x = shapes[0];
        if (ShapeWords.ndim(x) == 0 || ShapeWords.lastDim(x) == 0) revert Errors.InputShapeMismatch(OpKind.PICK, 0, x);
        bytes32 rows = ShapeWords.dropLast(x);
        if (shapes[1] != rows) revert Errors.InputShapeMismatch(OpKind.PICK, 1, shapes[1]);
        _output(OpKind.PICK, rows, outShape, element);

        uint256 classes = ShapeWords.lastDim(x);
        p.trips = classes;
        p.bodyLength = 2;
        unchecked {
            p.base[0] = element * classes;
        }
        p.stride[0] = 1;
        p.base[1] = element;
        p.loopConstStride = 1;
    }

    /// @dev pred, target: acc += (p_k - t_k)^2 in flat order, then / n.
    function _mseLoss(LoopProgram memory p, bytes32[] memory shapes, bytes32 outShape, uint256 element) private pure {
        _inputs(OpKind.MSE_LOSS, shapes, 2);
        if (shapes[1] != shapes[0]) revert Errors.InputShapeMismatch(OpKind.MSE_LOSS, 1, shapes[1]);
        _output(OpKind.MSE_LOSS, bytes32(0), outShape, element);

        uint256 count = ShapeWords.numel(shapes[0]);
        p.trips = count;
        p.bodyLength = 3;
        p.epilogueLength = 1;
        p.countBits = _countBits(count);
        p.stride[0] = 1;
        p.stride[1] = 1;
    }

    /// @dev x (..., D), mean (...): 1 / sqrt(sum((x - mean)^2) / D + eps).
    function _lnRstd(
        LoopProgram memory p,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 outShape,
        uint256 element
    ) private pure {
        _paramCount(OpKind.LN_RSTD, params, 1);
        _inputs(OpKind.LN_RSTD, shapes, 2);
        bytes32 x = shapes[0];
        if (ShapeWords.ndim(x) == 0) revert Errors.InputShapeMismatch(OpKind.LN_RSTD, 0, x);
        bytes32 rows = ShapeWords.dropLast(x);
        if (shapes[1] != rows) revert Errors.InputShapeMismatch(OpKind.LN_RSTD, 1, shapes[1]);
        _output(OpKind.LN_RSTD, rows, outShape, element);

        uint256 width = ShapeWords.lastDim(x);
        p.trips = width;
        p.bodyLength = 3;
        p.epilogueLength = 4;
        p.countBits = _countBits(width);
        unchecked {
            p.base[0] = element * width;
        }
        p.stride[0] = 1;
        p.base[1] = element;
    }

    /// @dev dy (..., D), x, mean (...), rstd (...), gain (D,): per row, mean(dy*gain) (moment 0)
    ///      or mean(dy*gain*xhat) (moment 1).
    function _lnGradStats(
        LoopProgram memory p,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 outShape,
        uint256 element
    ) private pure {
        _paramCount(OpKind.LN_GRAD_STATS, params, 1);
        _inputs(OpKind.LN_GRAD_STATS, shapes, 5);
        bytes32 dy = shapes[0];
        if (ShapeWords.ndim(dy) == 0) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_STATS, 0, dy);
        bytes32 rows = ShapeWords.dropLast(dy);
        if (shapes[1] != dy) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_STATS, 1, shapes[1]);
        if (shapes[2] != rows) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_STATS, 2, shapes[2]);
        if (shapes[3] != rows) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_STATS, 3, shapes[3]);
        if (shapes[4] != ShapeWords.lastOnly(dy)) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_STATS, 4, shapes[4]);
        _output(OpKind.LN_GRAD_STATS, rows, outShape, element);
        uint256 moment = params[0];
        if (moment > 1) revert Errors.ParamInvalid(OpKind.LN_GRAD_STATS, 0, moment);

        uint256 width = ShapeWords.lastDim(dy);
        p.trips = width;
        p.bodyLength = moment == 0 ? 2 : 5;
        p.epilogueLength = 1;
        p.countBits = _countBits(width);
        unchecked {
            p.base[0] = element * width;
            p.base[1] = element * width;
        }
        p.stride[0] = 1;
        p.stride[1] = 1;
        p.base[2] = element;
        p.base[3] = element;
        p.stride[4] = 1;
    }

    /// @dev dy (..., D), x, mean (...), rstd (...): column d sums dy * xhat over the rows.
    function _lnGradGain(LoopProgram memory p, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
    {
        _inputs(OpKind.LN_GRAD_GAIN, shapes, 4);
        bytes32 dy = shapes[0];
        if (ShapeWords.ndim(dy) == 0) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_GAIN, 0, dy);
        bytes32 rows = ShapeWords.dropLast(dy);
        if (shapes[1] != dy) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_GAIN, 1, shapes[1]);
        if (shapes[2] != rows) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_GAIN, 2, shapes[2]);
        if (shapes[3] != rows) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_GAIN, 3, shapes[3]);
        _output(OpKind.LN_GRAD_GAIN, ShapeWords.lastOnly(dy), outShape, element);
        uint256 rowCount = ShapeWords.numel(rows);
        if (rowCount == 0) revert Errors.InputShapeMismatch(OpKind.LN_GRAD_GAIN, 2, rows);

        uint256 width = ShapeWords.lastDim(dy);
        p.trips = rowCount;
        p.bodyLength = 4;
        p.base[0] = element;
        p.stride[0] = width;
        p.base[1] = element;
        p.stride[1] = width;
        p.stride[2] = 1;
        p.stride[3] = 1;
    }

    /// @dev ids (...), table (V, D): acc = SELECT(EQ(id, v), table[v, d], acc).
    function _embedding(LoopProgram memory p, bytes32[] memory shapes, bytes32 outShape, uint256 element) private pure {
        _inputs(OpKind.EMBEDDING, shapes, 2);
        bytes32 ids = shapes[0];
        bytes32 table = shapes[1];
        if (ShapeWords.ndim(table) != 2 || ShapeWords.dim(table, 0) == 0) {
            revert Errors.InputShapeMismatch(OpKind.EMBEDDING, 1, table);
        }
        if (ShapeWords.ndim(ids) >= ShapeWords.MAX_NDIM) revert Errors.InputShapeMismatch(OpKind.EMBEDDING, 0, ids);
        uint256 width = ShapeWords.dim(table, 1);
        _output(OpKind.EMBEDDING, ShapeWords.appendDim(ids, width), outShape, element);

        p.trips = ShapeWords.dim(table, 0);
        p.bodyLength = 2;
        p.base[0] = element / width;
        p.base[1] = element % width;
        p.stride[1] = width;
        p.loopConstStride = 1;
    }

    /// @dev ids (...) (N ids), dout (..., D) -> (vocab, D): acc += SELECT(EQ(ids[n], v), dout[n, d], +0).
    function _embeddingGrad(
        LoopProgram memory p,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 outShape,
        uint256 element
    ) private pure {
        _paramCount(OpKind.EMBEDDING_GRAD, params, 1);
        _inputs(OpKind.EMBEDDING_GRAD, shapes, 2);
        bytes32 ids = shapes[0];
        bytes32 dout = shapes[1];
        if (ShapeWords.ndim(dout) != ShapeWords.ndim(ids) + 1 || ShapeWords.dropLast(dout) != ids) {
            revert Errors.InputShapeMismatch(OpKind.EMBEDDING_GRAD, 1, dout);
        }
        uint256 idCount = ShapeWords.numel(ids);
        if (idCount == 0) revert Errors.InputShapeMismatch(OpKind.EMBEDDING_GRAD, 0, ids);
        uint256 vocab = params[0];
        if (vocab > MAX_DIM) revert Errors.ParamInvalid(OpKind.EMBEDDING_GRAD, 0, vocab);
        uint256 width = ShapeWords.lastDim(dout);
        _output(
            OpKind.EMBEDDING_GRAD, bytes32((uint256(2) << 248) | (vocab << 216) | (width << 184)), outShape, element
        );

        p.trips = idCount;
        p.bodyLength = 3;
        p.stride[0] = 1;
        p.base[1] = element % width;
        p.stride[1] = width;
        p.loopConstBase = element / width;
    }

    /// @dev The ops with no loop: each input read once, at the address its role gives.
    function _elementwise(
        LoopProgram memory p,
        uint8 kind,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 outShape,
        uint256 element
    ) private pure {
        uint256 roles; // the role of input slot s in bits [4s, 4s + 4)
        uint256 count; // inputs
        if (kind == OpKind.BINARY) {
            _paramCount(kind, params, 2);
            _opcodeParam(kind, params[0], BINARY_OPCODES);
            uint256 broadcast = params[1];
            if (broadcast > 3) revert Errors.ParamInvalid(kind, 1, broadcast);
            // Broadcast SAME, COLUMN, ROW, SCALAR are the roles FULL, COLUMN, ROW, SCALAR
            (roles, count) = _roles(FULL, (0x3120 >> (4 * broadcast)) & 0xF);
            p.epilogueLength = 1;
        } else if (kind == OpKind.BINARY_CONST) {
            _paramCount(kind, params, 3);
            _opcodeParam(kind, params[0], BINARY_OPCODES);
            (roles, count) = _roles(FULL);
            p.epilogueLength = 1;
        } else if (kind == OpKind.UNARY) {
            _paramCount(kind, params, 1);
            _opcodeParam(kind, params[0], UNARY_OPCODES);
            (roles, count) = _roles(FULL);
            p.epilogueLength = 1;
        } else if (kind == OpKind.EXP) {
            (roles, count) = _roles(FULL);
            p.epilogueLength = TranscendentalTables.EXP_LENGTH;
        } else if (kind == OpKind.LOG) {
            (roles, count) = _roles(FULL);
            p.epilogueLength = TranscendentalTables.LOG_LENGTH;
        } else if (kind == OpKind.RELU_GRAD) {
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = 2;
        } else if (kind == OpKind.XENT_GRAD) {
            (roles, count) = _roles(FULL, ROW, ROW);
            p.epilogueLength = 4;
        } else if (kind == OpKind.MSE_GRAD) {
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = 3;
        } else if (kind == OpKind.LN_APPLY) {
            (roles, count) = _roles(FULL, ROW, ROW, COLUMN, COLUMN);
            p.epilogueLength = 4;
        } else if (kind == OpKind.LN_GRAD_INPUT) {
            (roles, count) = _roles(FULL, FULL, ROW, ROW, COLUMN, ROW, ROW);
            p.epilogueLength = 7;
        } else if (kind == OpKind.SGD || kind == OpKind.MOMENTUM) {
            _paramCount(kind, params, 1);
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = 2;
        } else if (kind == OpKind.ADAM_M || kind == OpKind.ADAM_V) {
            _paramCount(kind, params, 2);
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = kind == OpKind.ADAM_M ? 3 : 4;
        } else if (kind == OpKind.ADAM_UPDATE) {
            _paramCount(kind, params, 2);
            (roles, count) = _roles(FULL, FULL, FULL, SCALAR, SCALAR);
            p.epilogueLength = 9;
        } else {
            revert Errors.UnknownOpKind(kind);
        }

        _inputs(kind, shapes, count);
        bytes32 x = shapes[0];
        uint256 rank = ShapeWords.ndim(x);
        uint256 width = rank == 0 ? 1 : ShapeWords.lastDim(x);
        unchecked {
            for (uint256 s = 1; s < count; ++s) {
                uint256 role = (roles >> (4 * s)) & 0xF;
                bytes32 expected = x;
                if (role == SCALAR) {
                    expected = bytes32(0);
                } else if (role != FULL) {
                    if (rank == 0) revert Errors.InputShapeMismatch(kind, 0, x);
                    expected = role == ROW ? ShapeWords.dropLast(x) : ShapeWords.lastOnly(x);
                }
                if (shapes[s] != expected) revert Errors.InputShapeMismatch(kind, s, shapes[s]);
            }
            _output(kind, x, outShape, element);
            for (uint256 s = 0; s < count; ++s) {
                uint256 role = (roles >> (4 * s)) & 0xF;
                if (role == FULL) p.base[s] = element;
                else if (role == ROW) p.base[s] = element / width;
                else if (role == COLUMN) p.base[s] = element % width;
            }
        }
        if (kind == OpKind.XENT_GRAD) {
            p.countBits = _countBits(ShapeWords.numel(shapes[1]));
            p.loopConstBase = element % width;
        } else if (kind == OpKind.MSE_GRAD) {
            p.countBits = _countBits(ShapeWords.numel(x));
        }
    }

    /// @dev Step `j` of `kind`'s loop body (`tribunal.repops.ops.reductions`, `linear`).
    function _bodyStep(uint8 kind, uint256[] memory params, uint256 j) private pure returns (uint256) {
        if (kind <= OpKind.MATMUL_BT) return j == 0 ? _step(Float32.MUL, S0, S1) : _step(Float32.ADD, ACC, T0);
        if (kind == OpKind.REDUCE) return _step(params[0], ACC, S0);
        if (kind == OpKind.PICK) {
            return j == 0 ? _step(Float32.EQ, S1, LOOP_CONST) : _step(Float32.SELECT, T0, S0, ACC);
        }
        if (kind == OpKind.EMBEDDING) {
            return j == 0 ? _step(Float32.EQ, S0, LOOP_CONST) : _step(Float32.SELECT, T0, S1, ACC);
        }
        if (kind == OpKind.MSE_LOSS || kind == OpKind.LN_RSTD) {
            if (j == 0) return _step(Float32.SUB, S0, S1);
            if (j == 1) return _step(Float32.MUL, T0, T0);
            return _step(Float32.ADD, ACC, T1);
        }
        if (kind == OpKind.LN_GRAD_STATS) {
            if (params[0] == 0) return j == 0 ? _step(Float32.MUL, S0, S4) : _step(Float32.ADD, ACC, T0);
            if (j == 0) return _step(Float32.SUB, S1, S2);
            if (j == 1) return _step(Float32.MUL, T0, S3);
            if (j == 2) return _step(Float32.MUL, S0, S4);
            if (j == 3) return _step(Float32.MUL, T2, T1);
            return _step(Float32.ADD, ACC, T3);
        }
        if (kind == OpKind.LN_GRAD_GAIN) {
            if (j == 0) return _step(Float32.SUB, S1, S2);
            if (j == 1) return _step(Float32.MUL, T0, S3);
            if (j == 2) return _step(Float32.MUL, S0, T1);
            return _step(Float32.ADD, ACC, T2);
        }
        // EMBEDDING_GRAD
        if (j == 0) return _step(Float32.EQ, S0, LOOP_CONST);
        if (j == 1) return _step(Float32.SELECT, T0, S1, C_ZERO);
        return _step(Float32.ADD, ACC, T1);
    }

    /// @dev Step `j` of `kind`'s epilogue (`tribunal.repops.ops.elementwise`, and the reductions'
    ///      final divisions).
    function _epilogueStep(uint8 kind, uint256[] memory params, LoopProgram memory p, uint256 j)
        private
        pure
        returns (uint256)
    {
        if (kind == OpKind.EXP) return _tableStep(TranscendentalTables.EXP_STEPS, j);
        if (kind == OpKind.LOG) return _tableStep(TranscendentalTables.LOG_STEPS, j);
        if (kind == OpKind.BINARY) return _step(params[0], S0, S1);
        if (kind == OpKind.BINARY_CONST) return params[2] != 0 ? _step(params[0], P1, S0) : _step(params[0], S0, P1);
        if (kind == OpKind.UNARY) return _step(params[0], S0);
        uint256 count = (REF_CONST << 32) | p.countBits;
        if (kind == OpKind.REDUCE || kind == OpKind.MSE_LOSS || kind == OpKind.LN_GRAD_STATS) {
            return _step(Float32.DIV, ACC, count);
        }
        if (kind == OpKind.RELU_GRAD) {
            return j == 0 ? _step(Float32.LT, C_ZERO, S0) : _step(Float32.SELECT, T0, S1, C_ZERO);
        }
        if (kind == OpKind.LN_RSTD) {
            if (j == 0) return _step(Float32.DIV, ACC, count);
            if (j == 1) return _step(Float32.ADD, T0, P0);
            if (j == 2) return _step(Float32.SQRT, T1);
            return _step(Float32.DIV, C_ONE, T2);
        }
        if (kind == OpKind.XENT_GRAD) {
            if (j == 0) return _step(Float32.DIV, S0, S1);
            if (j == 1) return _step(Float32.EQ, S2, LOOP_CONST);
            if (j == 2) return _step(Float32.SUB, T0, T1);
            return _step(Float32.DIV, T2, count);
        }
        if (kind == OpKind.MSE_GRAD) {
            if (j == 0) return _step(Float32.SUB, S0, S1);
            if (j == 1) return _step(Float32.MUL, T0, C_TWO);
            return _step(Float32.DIV, T1, count);
        }
        if (kind == OpKind.LN_APPLY) {
            if (j == 0) return _step(Float32.SUB, S0, S1);
            if (j == 1) return _step(Float32.MUL, T0, S2);
            if (j == 2) return _step(Float32.MUL, T1, S3);
            return _step(Float32.ADD, T2, S4);
        }
        if (kind == OpKind.LN_GRAD_INPUT) {
            if (j == 0) return _step(Float32.SUB, S1, S2);
            if (j == 1) return _step(Float32.MUL, T0, S3);
            if (j == 2) return _step(Float32.MUL, S0, S4);
            if (j == 3) return _step(Float32.SUB, T2, S5);
            if (j == 4) return _step(Float32.MUL, T1, S6);
            if (j == 5) return _step(Float32.SUB, T3, T4);
            return _step(Float32.MUL, T5, S3);
        }
        if (kind == OpKind.SGD) return j == 0 ? _step(Float32.MUL, S1, P0) : _step(Float32.SUB, S0, T0);
        if (kind == OpKind.MOMENTUM) return j == 0 ? _step(Float32.MUL, S0, P0) : _step(Float32.ADD, T0, S1);
        if (kind == OpKind.ADAM_M) {
            if (j == 0) return _step(Float32.MUL, S0, P0);
            if (j == 1) return _step(Float32.MUL, S1, P1);
            return _step(Float32.ADD, T0, T1);
        }
        if (kind == OpKind.ADAM_V) {
            if (j == 0) return _step(Float32.MUL, S1, S1);
            if (j == 1) return _step(Float32.MUL, S0, P0);
            if (j == 2) return _step(Float32.MUL, T0, P1);
            return _step(Float32.ADD, T1, T2);
        }
        // ADAM_UPDATE
        if (j == 0) return _step(Float32.SUB, C_ONE, S3);
        if (j == 1) return _step(Float32.DIV, S1, T0);
        if (j == 2) return _step(Float32.SUB, C_ONE, S4);
        if (j == 3) return _step(Float32.DIV, S2, T2);
        if (j == 4) return _step(Float32.SQRT, T3);
        if (j == 5) return _step(Float32.ADD, T4, P1);
        if (j == 6) return _step(Float32.DIV, T1, T5);
        if (j == 7) return _step(Float32.MUL, T6, P0);
        return _step(Float32.SUB, S0, T7);
    }

    /// @dev Writes `step` into `ins` with its operands made absolute (`tribunal.repops.core.loop.resolve`):
    ///      `k` is the iteration inputs are read at, `start` the index of the step's block's first
    ///      instruction. PARAM refs name params whose count the op's checks fixed.
    function _resolve(
        Instr memory ins,
        uint256 step,
        LoopProgram memory p,
        uint256[] memory params,
        uint256 k,
        uint256 start
    ) private pure {
        uint256 loopConst;
        unchecked {
            // only a step that reads the loop constant pays for its conversion
            if (((step >> 112) & 0xFF) == REF_LOOP_CONST || ((step >> 72) & 0xFF) == REF_LOOP_CONST) {
                loopConst = _toFloat32(p.loopConstBase + k * p.loopConstStride);
            }
        }
        uint256 init = p.init;
        uint256[7] memory base = p.base;
        uint256[7] memory stride = p.stride;
        // Memory layout: ins = (opcode, arity, operands), operands = three pointers to
        // (kind, a, b), every field a word; `ins` is freshly zeroed, so INPUT (0) needs no write.
        assembly ("memory-safe") {
            let opcode := shr(120, step)
            let arity := 2
            if eq(opcode, 8) { arity := 3 } // SELECT
            if and(shr(opcode, UNARY_OPCODES), 1) { arity := 1 }
            mstore(ins, opcode)
            mstore(add(ins, 0x20), arity)
            let operands := mload(add(ins, 0x40))
            for { let r := 0 } lt(r, arity) { r := add(r, 1) } {
                let ref := shr(sub(80, mul(40, r)), step)
                let tag := and(shr(32, ref), 0xff)
                let value := and(ref, 0xffffffff)
                let operand := mload(add(operands, shl(5, r)))
                switch tag
                case 1 {
                    // REF_SLOT: input slot `value` at base + k * stride
                    mstore(add(operand, 0x20), value)
                    let address_ := add(mload(add(base, shl(5, value))), mul(k, mload(add(stride, shl(5, value)))))
                    mstore(add(operand, 0x40), address_)
                }
                case 2 {
                    // REF_TMP
                    mstore(operand, 1)
                    mstore(add(operand, 0x20), add(start, value))
                }
                case 3 {
                    // REF_ACC: the previous instruction, or the initial constant
                    switch start
                    case 0 {
                        mstore(operand, 2)
                        mstore(add(operand, 0x20), init)
                    }
                    default {
                        mstore(operand, 1)
                        mstore(add(operand, 0x20), sub(start, 1))
                    }
                }
                case 4 {
                    // REF_CONST
                    mstore(operand, 2)
                    mstore(add(operand, 0x20), value)
                }
                case 5 {
                    // REF_LOOP_CONST
                    mstore(operand, 2)
                    mstore(add(operand, 0x20), loopConst)
                }
                default {
                    // REF_PARAM
                    mstore(operand, 2)
                    mstore(add(operand, 0x20), mload(add(add(params, 0x20), shl(5, value))))
                }
            }
        }
    }

    function _step(uint256 opcode, uint256 ref0) private pure returns (uint256) {
        return (opcode << 120) | (ref0 << 80);
    }

    function _step(uint256 opcode, uint256 ref0, uint256 ref1) private pure returns (uint256) {
        return (opcode << 120) | (ref0 << 80) | (ref1 << 40);
    }

    function _step(uint256 opcode, uint256 ref0, uint256 ref1, uint256 ref2) private pure returns (uint256) {
        return (opcode << 120) | (ref0 << 80) | (ref1 << 40) | ref2;
    }

    /// @dev Row `j` of a step table (16 bytes per row). The caller keeps `j` below the row count.
    function _tableStep(bytes memory table, uint256 j) private pure returns (uint256 step) {
        assembly ("memory-safe") {
            // the 32 bytes ending where row j ends: row j is their low half
            step := and(mload(add(add(table, 16), shl(4, j))), 0xffffffffffffffffffffffffffffffff)
        }
    }

    function _roles(uint256 r0) private pure returns (uint256, uint256) {
        return (r0, 1);
    }

    function _roles(uint256 r0, uint256 r1) private pure returns (uint256, uint256) {
        return (r0 | (r1 << 4), 2);
    }

    function _roles(uint256 r0, uint256 r1, uint256 r2) private pure returns (uint256, uint256) {
        return (r0 | (r1 << 4) | (r2 << 8), 3);
    }

    function _roles(uint256 r0, uint256 r1, uint256 r2, uint256 r3, uint256 r4)
        private
        pure
        returns (uint256, uint256)
    {
        return (r0 | (r1 << 4) | (r2 << 8) | (r3 << 12) | (r4 << 16), 5);
    }

    function _roles(uint256 r0, uint256 r1, uint256 r2, uint256 r3, uint256 r4, uint256 r5, uint256 r6)
        private
        pure
        returns (uint256, uint256)
    {
        return (r0 | (r1 << 4) | (r2 << 8) | (r3 << 12) | (r4 << 16) | (r5 << 20) | (r6 << 24), 7);
    }

    // ---------------------------------------------------------------- layout ops

    /// @dev COPY / GATHER_SUM's affine map, after checking the op's input and declared output.
    function _affineMap(uint8 kind, uint256[] memory params, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
        returns (AffineMaps.AffineMap memory m)
    {
        _inputs(kind, shapes, 1);
        _output(kind, AffineMaps.decode(m, kind, params, shapes[0]), outShape, element);
    }

    /// @dev COPY: one COPY of x[addr(e)] or of +0.0 (padding). GATHER_SUM: acc = ADD(acc, x[addr(e, i)]
    ///      or +0.0), acc of i = 0 is +0.0.
    function _affineInstruction(
        Instr memory ins,
        uint8 kind,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 outShape,
        uint256 element,
        uint256 i
    ) private pure {
        AffineMaps.AffineMap memory m = _affineMap(kind, params, shapes, outShape, element);
        if (i >= m.trips) revert Errors.InstructionOutOfRange(i, m.trips);
        (bool valid, uint256 flat) = AffineMaps.inputAddress(m, params, element, i);
        if (kind == OpKind.COPY) {
            if (valid) _setCopy(ins, INPUT, 0, flat);
            else _setCopy(ins, CONST, POS_ZERO, 0);
            return;
        }
        ins.opcode = Float32.ADD;
        ins.arity = 2;
        if (i > 0) {
            ins.operands[0].kind = TEMP;
            ins.operands[0].a = i - 1;
        } else {
            ins.operands[0].kind = CONST;
        }
        if (valid) ins.operands[1].b = flat;
        else ins.operands[1].kind = CONST;
    }

    /// @dev Checks CAUSAL_MASK (x (..., T, T) -> same shape) and returns T.
    function _causalMaskWidth(uint256[] memory params, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
        returns (uint256)
    {
        _paramCount(OpKind.CAUSAL_MASK, params, 1);
        _inputs(OpKind.CAUSAL_MASK, shapes, 1);
        bytes32 x = shapes[0];
        uint256 rank = ShapeWords.ndim(x);
        if (rank < 2 || ShapeWords.dim(x, rank - 1) != ShapeWords.dim(x, rank - 2)) {
            revert Errors.InputShapeMismatch(OpKind.CAUSAL_MASK, 0, x);
        }
        _output(OpKind.CAUSAL_MASK, x, outShape, element);
        return ShapeWords.dim(x, rank - 1);
    }

    /// @dev Checks BATCH_GATHER (params `(seed, numRows)`, dataset (numRows, ...) -> (batch, ...))
    ///      and returns the length of one row.
    function _batchRowLength(uint256[] memory params, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
        returns (uint256)
    {
        _paramCount(OpKind.BATCH_GATHER, params, 2);
        _inputs(OpKind.BATCH_GATHER, shapes, 1);
        bytes32 dataset = shapes[0];
        if (ShapeWords.ndim(dataset) == 0) revert Errors.InputShapeMismatch(OpKind.BATCH_GATHER, 0, dataset);
        uint256 numRows = params[1];
        if (numRows == 0 || numRows != ShapeWords.dim(dataset, 0)) {
            revert Errors.ParamInvalid(OpKind.BATCH_GATHER, 1, numRows);
        }
        // the output is the dataset's shape with any batch size in place of the row count
        uint256 firstDim = MAX_DIM << 216;
        _output(
            OpKind.BATCH_GATHER,
            bytes32((uint256(dataset) & ~firstDim) | (uint256(outShape) & firstDim)),
            outShape,
            element
        );
        return ShapeWords.numel(dataset) / numRows;
    }

    function _setCopy(Instr memory ins, uint8 kind, uint256 a, uint256 b) private pure {
        ins.opcode = Float32.COPY;
        ins.arity = 1;
        Operand memory operand = ins.operands[0];
        operand.kind = kind;
        operand.a = a;
        operand.b = b;
    }

    // ---------------------------------------------------------------- checks

    function _paramCount(uint8 kind, uint256[] memory params, uint256 count) private pure {
        if (params.length != count) revert Errors.ParamCountMismatch(kind, count, params.length);
    }

    function _opcodeParam(uint8 kind, uint256 opcode, uint256 allowed) private pure {
        if (opcode > 255 || (allowed >> opcode) & 1 == 0) revert Errors.ParamInvalid(kind, 0, opcode);
    }

    /// @dev The op takes `count` inputs, each a canonical shape word.
    function _inputs(uint8 kind, bytes32[] memory shapes, uint256 count) private pure {
        if (shapes.length != count) revert Errors.InputCountMismatch(kind, count, shapes.length);
        unchecked {
            for (uint256 s = 0; s < count; ++s) {
                if (!ShapeWords.isCanonical(shapes[s])) revert Errors.ShapeWordInvalid(shapes[s]);
            }
        }
    }

    /// @dev The declared output shape is the op's, and `element` is one of its elements.
    function _output(uint8 kind, bytes32 expected, bytes32 outShape, uint256 element) private pure {
        if (outShape != expected) revert Errors.OutputShapeMismatch(kind, expected, outShape);
        uint256 count = ShapeWords.numel(outShape);
        if (element >= count) revert Errors.ElementOutOfRange(element, count);
    }

    /// @dev The float32 bits of a count a program divides by (exact: 1..2**24).
    function _countBits(uint256 count) private pure returns (uint256) {
        if (count == 0 || count > MAX_EXACT_COUNT) revert Errors.CountNotExactFloat32(count);
        return _toFloat32(count);
    }

    /// @dev `f32_to_bits(float(n))` for n below 2**224: n rounded to float32, nearest-even
    ///      (+inf from 2**128 on).
    function _toFloat32(uint256 n) private pure returns (uint256) {
        if (n == 0) return POS_ZERO;
        unchecked {
            uint256 exponent = _log2(n);
            uint256 significand;
            if (exponent <= 23) {
                significand = n << (23 - exponent);
            } else {
                uint256 shift = exponent - 23;
                significand = n >> shift;
                uint256 rest = n & ((1 << shift) - 1);
                uint256 half = 1 << (shift - 1);
                if (rest > half || (rest == half && significand & 1 == 1)) {
                    significand += 1;
                    if (significand == 1 << 24) {
                        significand >>= 1;
                        exponent += 1;
                    }
                }
            }
            if (exponent > 127) return POS_INF;
            return ((exponent + 127) << 23) | (significand & 0x7FFFFF);
        }
    }

    /// @dev floor(log2(x)) for x > 0.
    function _log2(uint256 x) private pure returns (uint256 r) {
        assembly ("memory-safe") {
            r := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
            r := or(r, shl(6, lt(0xffffffffffffffff, shr(r, x))))
            r := or(r, shl(5, lt(0xffffffff, shr(r, x))))
            r := or(r, shl(4, lt(0xffff, shr(r, x))))
            r := or(r, shl(3, lt(0xff, shr(r, x))))
            r := or(r, shl(2, lt(0xf, shr(r, x))))
            r := or(r, shl(1, lt(0x3, shr(r, x))))
            r := or(r, lt(0x1, shr(r, x)))
        }
    }
}
