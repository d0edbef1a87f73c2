// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Float32} from "./Float32.sol";
import {Merkle} from "./Merkle.sol";
import {ProgramErrors} from "./ProgramErrors.sol";

/// @title Programs
/// @notice The element programs of RepOps, on-chain: instruction `i` of output element `e` of a
///         node, derived in O(1) from the node's op kind, its committed params, the input and
///         output shape words and (BATCH_GATHER only) the step number — a port of
///         `tribunal.repops.registry.program_length` / `instruction`, checked bit for bit against
///         it by `test/programs/Programs.t.sol` on the vectors of `tribunal/vectors/programs.json`
///         (`python -m tribunal.repops.program_vectors`). The dispute's ONE STEP uses it
///         (`docs/protocol.md, "The dispute game"`).
///
///         Encodings: op kinds and opcodes are the numbers of the Python `OpKind` and `Opcode`
///         enums (`Float32.ADD` …); params are what `tribunal.graph.descriptor_params` commits
///         (signed values as int256 two's complement; BATCH_GATHER's `(seed, numRows)`); shapes
///         are shape words (`docs/protocol.md`, "Tensor roots").
///
///         How: every op but the layout ones is a loop program (`tribunal.repops.loop`): a body
///         of steps repeated `trips` times, then an epilogue; a step's operands are relative
///         (input slot, earlier step of the block, the accumulator, a constant, a param, the loop
///         constant). Every input address an op reads is affine in the iteration `k`, so the
///         program of one element is built with O(rank) index arithmetic and any instruction of
///         it is then a lookup. EXP and LOG are fixed tables (generated from
///         `tribunal.repops.transcendental`). COPY and GATHER_SUM walk their affine map (ranks at
///         most 7), CAUSAL_MASK and BATCH_GATHER are one COPY each. No loop runs longer than a
///         rank or a table.
///
///         Like the Python, the functions validate the op against its shapes (input count,
///         shapes that fit, the declared output shape, counts used as float32 divisors) and
///         revert with a `ProgramErrors` error where the Python raises. Only absurd parameters
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
///         | CAUSAL_MASK, BATCH_GATHER (keccak256 included)   |       2,531-2,957 |          3,640 |
///         | UNARY, EXP, LOG, PICK, MSE_LOSS, BINARY_CONST    |       4,191-4,551 |          5,114 |
///         | LN_RSTD, EMBEDDING, MATMUL, MATMUL_AT, MATMUL_BT |       4,748-4,876 |          5,087 |
///         | RELU_GRAD, REDUCE, LN_GRAD_GAIN, BINARY          |       5,043-5,271 |          6,605 |
///         | EMBEDDING_GRAD, SGD, MOMENTUM, ADAM_M, ADAM_V    |       5,275-5,615 |          5,706 |
///         | MSE_GRAD, LN_GRAD_STATS, XENT_GRAD               |       5,846-6,893 |          7,287 |
///         | ADAM_UPDATE, LN_APPLY                            |       7,260-7,810 |          7,866 |
///         | LN_GRAD_INPUT (7 inputs)                         |             9,155 |          9,623 |
///         | COPY (im2col 11,745; split_heads 10,929)         |            12,581 |         20,529 |
///         | GATHER_SUM (col2im 14,704)                       |            12,505 |         30,312 |
///
///         The COPY / GATHER_SUM worst cases are dense rank-7 affine maps no builder produces.
///         `programLength` costs about 2k less (about half for COPY / GATHER_SUM).
library Programs {
    /// @notice An operand of an instruction (`tribunal.repops.instructions.Operand`).
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

    // ---------------------------------------------------------------- op kinds (never renumber)

    uint8 internal constant MATMUL = 1;
    uint8 internal constant MATMUL_AT = 2;
    uint8 internal constant MATMUL_BT = 3;
    uint8 internal constant BINARY = 4;
    uint8 internal constant BINARY_CONST = 5;
    uint8 internal constant UNARY = 6;
    uint8 internal constant RELU_GRAD = 7;
    uint8 internal constant REDUCE = 8;
    uint8 internal constant EXP = 9;
    uint8 internal constant LOG = 10;
    uint8 internal constant PICK = 11;
    uint8 internal constant XENT_GRAD = 12;
    uint8 internal constant MSE_LOSS = 13;
    uint8 internal constant MSE_GRAD = 14;
    uint8 internal constant LN_RSTD = 15;
    uint8 internal constant LN_APPLY = 16;
    uint8 internal constant LN_GRAD_STATS = 17;
    uint8 internal constant LN_GRAD_INPUT = 18;
    uint8 internal constant LN_GRAD_GAIN = 19;
    uint8 internal constant SGD = 20;
    uint8 internal constant MOMENTUM = 21;
    uint8 internal constant ADAM_M = 22;
    uint8 internal constant ADAM_V = 23;
    uint8 internal constant ADAM_UPDATE = 24;
    uint8 internal constant COPY = 25;
    uint8 internal constant EMBEDDING = 26;
    uint8 internal constant EMBEDDING_GRAD = 27;
    uint8 internal constant CAUSAL_MASK = 28;
    uint8 internal constant BATCH_GATHER = 29;
    uint8 internal constant GATHER_SUM = 30;

    // ---------------------------------------------------------------- constants

    uint256 private constant POS_ZERO = 0x00000000;
    uint256 private constant ONE = 0x3F800000;
    uint256 private constant TWO = 0x40000000;
    uint256 private constant POS_INF = 0x7F800000;
    uint256 private constant NEG_INF = 0xFF800000;

    /// @dev Counts a program divides by must be exact float32 values.
    uint256 private constant MAX_EXACT_COUNT = 1 << 24;
    uint256 private constant MAX_RANK = 7;
    uint256 private constant MAX_DIM = 0xFFFFFFFF;
    /// @dev Number of rows of the EXP and LOG step tables.
    uint256 private constant EXP_LENGTH = 71;
    uint256 private constant LOG_LENGTH = 103;

    /// @dev Opcode sets as bitmasks over the opcode number.
    uint256 private constant BINARY_OPCODES =
        (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 9) | (1 << 10) | (1 << 11);
    uint256 private constant UNARY_OPCODES = (1 << 5) | (1 << 12) | (1 << 13) | (1 << 14);
    uint256 private constant REDUCE_OPCODES = (1 << 1) | (1 << 6) | (1 << 7);

    /// @dev How an elementwise op's input maps onto output elements `(..., N)`
    ///      (`tribunal.repops.opdef.Role`): FULL reads e, ROW e / N, COLUMN e % N, SCALAR 0.
    uint256 private constant FULL = 0;
    uint256 private constant ROW = 1;
    uint256 private constant COLUMN = 2;
    uint256 private constant SCALAR = 3;

    // ---------------------------------------------------------------- steps
    //
    // A step is an instruction with relative operands (`tribunal.repops.loop.Step`), packed in
    // 128 bits: opcode (8) ‖ three operand refs of 40 bits, each tag (8) ‖ value (32); refs past
    // the opcode's arity are zero. The EXP/LOG tables hold steps as 16-byte rows.

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

    /// @dev A COPY / GATHER_SUM affine map (`tribunal.repops.layout.AffineMap`) read in place:
    ///      each field but the ranks and `trips` is the position in `params` where that list
    ///      starts.
    struct AffineMap {
        uint256 outRank;
        uint256 loopRank;
        uint256 inRank;
        uint256 outView;
        uint256 loopView;
        uint256 inView;
        uint256 coef; // coef[j][d] at coef + j * (outRank + loopRank) + d
        uint256 offset;
        uint256 div;
        uint256 trips;
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
        if (opKind == COPY || opKind == GATHER_SUM) {
            return _affineMap(opKind, params, inputShapes, outShape, element).trips;
        }
        if (opKind == CAUSAL_MASK) {
            _causalMaskWidth(params, inputShapes, outShape, element);
            return 1;
        }
        if (opKind == BATCH_GATHER) {
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
    ///        dataset row is `Merkle.batchRowIndex(seed, step, row, numRows)`).
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
        if (opKind == COPY || opKind == GATHER_SUM) {
            _affineInstruction(ins, opKind, params, inputShapes, outShape, element, i);
            return ins;
        }
        if (opKind == CAUSAL_MASK) {
            uint256 width = _causalMaskWidth(params, inputShapes, outShape, element);
            if (i != 0) revert ProgramErrors.InstructionOutOfRange(i, 1);
            // column <= row: the element itself, else the fill constant
            if (element % width <= (element / width) % width) _setCopy(ins, INPUT, 0, element);
            else _setCopy(ins, CONST, params[0], 0);
            return ins;
        }
        if (opKind == BATCH_GATHER) {
            uint256 rowLength = _batchRowLength(params, inputShapes, outShape, element);
            if (i != 0) revert ProgramErrors.InstructionOutOfRange(i, 1);
            uint256 row = Merkle.batchRowIndex(params[0], step, element / rowLength, params[1]);
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
            if (i >= length) revert ProgramErrors.InstructionOutOfRange(i, length);
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
        if (kind >= MATMUL && kind <= MATMUL_BT) _matmul(p, kind, shapes, outShape, element);
        else if (kind == REDUCE) _reduce(p, params, shapes, outShape, element);
        else if (kind == PICK) _pick(p, shapes, outShape, element);
        else if (kind == MSE_LOSS) _mseLoss(p, shapes, outShape, element);
        else if (kind == LN_RSTD) _lnRstd(p, params, shapes, outShape, element);
        else if (kind == LN_GRAD_STATS) _lnGradStats(p, params, shapes, outShape, element);
        else if (kind == LN_GRAD_GAIN) _lnGradGain(p, shapes, outShape, element);
        else if (kind == EMBEDDING) _embedding(p, shapes, outShape, element);
        else if (kind == EMBEDDING_GRAD) _embeddingGrad(p, params, shapes, outShape, element);
        else _elementwise(p, kind, params, shapes, outShape, element);
    }

    /// @dev A (*b, M, K) or (*b, K, M) times B (*b, K, N) or (*b, N, K): acc += A[i,k] * B[k,j].
    function _matmul(LoopProgram memory p, uint8 kind, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
    {
        (uint256 m, uint256 depth, uint256 n) = _matmulDims(kind, shapes, outShape, element);
        bool transposeA = kind == MATMUL_AT;
        bool transposeB = kind == MATMUL_BT;
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
        uint256 rank = _ndim(a);
        if (rank < 2) revert ProgramErrors.InputShapeMismatch(kind, 0, a);
        unchecked {
            // INVARIANT: equal ranks and batch dims: the words agree above their last two dims.
            uint256 low = 248 - 32 * rank;
            if ((uint256(a) ^ uint256(b)) >> (low + 64) != 0) revert ProgramErrors.InputShapeMismatch(kind, 1, b);
            bool transposeA = kind == MATMUL_AT;
            bool transposeB = kind == MATMUL_BT;
            m = _dim(a, transposeA ? rank - 1 : rank - 2);
            depth = _dim(a, transposeA ? rank - 2 : rank - 1);
            n = _dim(b, transposeB ? rank - 2 : rank - 1);
            if (_dim(b, transposeB ? rank - 1 : rank - 2) != depth) {
                revert ProgramErrors.InputShapeMismatch(kind, 1, b);
            }
            if (depth == 0) revert ProgramErrors.InputShapeMismatch(kind, 0, a);
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
        _paramCount(REDUCE, params, 4);
        _inputs(REDUCE, shapes, 1);
        uint256 opcode = params[0];
        if (opcode > 255 || (REDUCE_OPCODES >> opcode) & 1 == 0) revert ProgramErrors.ParamInvalid(REDUCE, 0, opcode);
        bytes32 x = shapes[0];
        uint256 start = params[1];
        uint256 stop = params[2];
        if (stop > _ndim(x)) revert ProgramErrors.ParamInvalid(REDUCE, 2, stop);
        if (start >= stop) revert ProgramErrors.ParamInvalid(REDUCE, 1, start);
        (uint256 count, uint256 inner, bytes32 kept) = _splitDims(x, start, stop);
        if (count == 0) revert ProgramErrors.InputShapeMismatch(REDUCE, 0, x);
        bool mean = params[3] != 0;
        if (mean && opcode != Float32.ADD) revert ProgramErrors.ParamInvalid(REDUCE, 3, params[3]);
        _output(REDUCE, kept, outShape, element);

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
            uint256 rank = _ndim(x);
            count = 1;
            inner = 1;
            uint256 word = (rank - (stop - start)) << 248;
            uint256 position = 0;
            for (uint256 d = 0; d < rank; ++d) {
                uint256 size = _dim(x, d);
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
        _inputs(PICK, shapes, 2);
        bytes32 x = shapes[0];
        if (_ndim(x) == 0 || _lastDim(x) == 0) revert ProgramErrors.InputShapeMismatch(PICK, 0, x);
        bytes32 rows = _dropLast(x);
        if (shapes[1] != rows) revert ProgramErrors.InputShapeMismatch(PICK, 1, shapes[1]);
        _output(PICK, rows, outShape, element);

        uint256 classes = _lastDim(x);
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
        _inputs(MSE_LOSS, shapes, 2);
        if (shapes[1] != shapes[0]) revert ProgramErrors.InputShapeMismatch(MSE_LOSS, 1, shapes[1]);
        _output(MSE_LOSS, bytes32(0), outShape, element);

        uint256 count = _numel(shapes[0]);
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
        _paramCount(LN_RSTD, params, 1);
        _inputs(LN_RSTD, shapes, 2);
        bytes32 x = shapes[0];
        if (_ndim(x) == 0) revert ProgramErrors.InputShapeMismatch(LN_RSTD, 0, x);
        bytes32 rows = _dropLast(x);
        if (shapes[1] != rows) revert ProgramErrors.InputShapeMismatch(LN_RSTD, 1, shapes[1]);
        _output(LN_RSTD, rows, outShape, element);

        uint256 width = _lastDim(x);
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
        _paramCount(LN_GRAD_STATS, params, 1);
        _inputs(LN_GRAD_STATS, shapes, 5);
        bytes32 dy = shapes[0];
        if (_ndim(dy) == 0) revert ProgramErrors.InputShapeMismatch(LN_GRAD_STATS, 0, dy);
        bytes32 rows = _dropLast(dy);
        if (shapes[1] != dy) revert ProgramErrors.InputShapeMismatch(LN_GRAD_STATS, 1, shapes[1]);
        if (shapes[2] != rows) revert ProgramErrors.InputShapeMismatch(LN_GRAD_STATS, 2, shapes[2]);
        if (shapes[3] != rows) revert ProgramErrors.InputShapeMismatch(LN_GRAD_STATS, 3, shapes[3]);
        if (shapes[4] != _lastOnly(dy)) revert ProgramErrors.InputShapeMismatch(LN_GRAD_STATS, 4, shapes[4]);
        _output(LN_GRAD_STATS, rows, outShape, element);
        uint256 moment = params[0];
        if (moment > 1) revert ProgramErrors.ParamInvalid(LN_GRAD_STATS, 0, moment);

        uint256 width = _lastDim(dy);
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
        _inputs(LN_GRAD_GAIN, shapes, 4);
        bytes32 dy = shapes[0];
        if (_ndim(dy) == 0) revert ProgramErrors.InputShapeMismatch(LN_GRAD_GAIN, 0, dy);
        bytes32 rows = _dropLast(dy);
        if (shapes[1] != dy) revert ProgramErrors.InputShapeMismatch(LN_GRAD_GAIN, 1, shapes[1]);
        if (shapes[2] != rows) revert ProgramErrors.InputShapeMismatch(LN_GRAD_GAIN, 2, shapes[2]);
        if (shapes[3] != rows) revert ProgramErrors.InputShapeMismatch(LN_GRAD_GAIN, 3, shapes[3]);
        _output(LN_GRAD_GAIN, _lastOnly(dy), outShape, element);
        uint256 rowCount = _numel(rows);
        if (rowCount == 0) revert ProgramErrors.InputShapeMismatch(LN_GRAD_GAIN, 2, rows);

        uint256 width = _lastDim(dy);
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
        _inputs(EMBEDDING, shapes, 2);
        bytes32 ids = shapes[0];
        bytes32 table = shapes[1];
        if (_ndim(table) != 2 || _dim(table, 0) == 0) revert ProgramErrors.InputShapeMismatch(EMBEDDING, 1, table);
        if (_ndim(ids) >= MAX_RANK) revert ProgramErrors.InputShapeMismatch(EMBEDDING, 0, ids);
        uint256 width = _dim(table, 1);
        _output(EMBEDDING, _appendDim(ids, width), outShape, element);

        p.trips = _dim(table, 0);
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
        _paramCount(EMBEDDING_GRAD, params, 1);
        _inputs(EMBEDDING_GRAD, shapes, 2);
        bytes32 ids = shapes[0];
        bytes32 dout = shapes[1];
        if (_ndim(dout) != _ndim(ids) + 1 || _dropLast(dout) != ids) {
            revert ProgramErrors.InputShapeMismatch(EMBEDDING_GRAD, 1, dout);
        }
        uint256 idCount = _numel(ids);
        if (idCount == 0) revert ProgramErrors.InputShapeMismatch(EMBEDDING_GRAD, 0, ids);
        uint256 vocab = params[0];
        if (vocab > MAX_DIM) revert ProgramErrors.ParamInvalid(EMBEDDING_GRAD, 0, vocab);
        uint256 width = _lastDim(dout);
        _output(EMBEDDING_GRAD, bytes32((uint256(2) << 248) | (vocab << 216) | (width << 184)), outShape, element);

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
        if (kind == BINARY) {
            _paramCount(kind, params, 2);
            _opcodeParam(kind, params[0], BINARY_OPCODES);
            uint256 broadcast = params[1];
            if (broadcast > 3) revert ProgramErrors.ParamInvalid(kind, 1, broadcast);
            // Broadcast SAME, COLUMN, ROW, SCALAR are the roles FULL, COLUMN, ROW, SCALAR
            (roles, count) = _roles(FULL, (0x3120 >> (4 * broadcast)) & 0xF);
            p.epilogueLength = 1;
        } else if (kind == BINARY_CONST) {
            _paramCount(kind, params, 3);
            _opcodeParam(kind, params[0], BINARY_OPCODES);
            (roles, count) = _roles(FULL);
            p.epilogueLength = 1;
        } else if (kind == UNARY) {
            _paramCount(kind, params, 1);
            _opcodeParam(kind, params[0], UNARY_OPCODES);
            (roles, count) = _roles(FULL);
            p.epilogueLength = 1;
        } else if (kind == EXP) {
            (roles, count) = _roles(FULL);
            p.epilogueLength = EXP_LENGTH;
        } else if (kind == LOG) {
            (roles, count) = _roles(FULL);
            p.epilogueLength = LOG_LENGTH;
        } else if (kind == RELU_GRAD) {
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = 2;
        } else if (kind == XENT_GRAD) {
            (roles, count) = _roles(FULL, ROW, ROW);
            p.epilogueLength = 4;
        } else if (kind == MSE_GRAD) {
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = 3;
        } else if (kind == LN_APPLY) {
            (roles, count) = _roles(FULL, ROW, ROW, COLUMN, COLUMN);
            p.epilogueLength = 4;
        } else if (kind == LN_GRAD_INPUT) {
            (roles, count) = _roles(FULL, FULL, ROW, ROW, COLUMN, ROW, ROW);
            p.epilogueLength = 7;
        } else if (kind == SGD || kind == MOMENTUM) {
            _paramCount(kind, params, 1);
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = 2;
        } else if (kind == ADAM_M || kind == ADAM_V) {
            _paramCount(kind, params, 2);
            (roles, count) = _roles(FULL, FULL);
            p.epilogueLength = kind == ADAM_M ? 3 : 4;
        } else if (kind == ADAM_UPDATE) {
            _paramCount(kind, params, 2);
            (roles, count) = _roles(FULL, FULL, FULL, SCALAR, SCALAR);
            p.epilogueLength = 9;
        } else {
            revert ProgramErrors.UnknownOpKind(kind);
        }

        _inputs(kind, shapes, count);
        bytes32 x = shapes[0];
        uint256 rank = _ndim(x);
        uint256 width = rank == 0 ? 1 : _lastDim(x);
        unchecked {
            for (uint256 s = 1; s < count; ++s) {
                uint256 role = (roles >> (4 * s)) & 0xF;
                bytes32 expected = x;
                if (role == SCALAR) {
                    expected = bytes32(0);
                } else if (role != FULL) {
                    if (rank == 0) revert ProgramErrors.InputShapeMismatch(kind, 0, x);
                    expected = role == ROW ? _dropLast(x) : _lastOnly(x);
                }
                if (shapes[s] != expected) revert ProgramErrors.InputShapeMismatch(kind, s, shapes[s]);
            }
            _output(kind, x, outShape, element);
            for (uint256 s = 0; s < count; ++s) {
                uint256 role = (roles >> (4 * s)) & 0xF;
                if (role == FULL) p.base[s] = element;
                else if (role == ROW) p.base[s] = element / width;
                else if (role == COLUMN) p.base[s] = element % width;
            }
        }
        if (kind == XENT_GRAD) {
            p.countBits = _countBits(_numel(shapes[1]));
            p.loopConstBase = element % width;
        } else if (kind == MSE_GRAD) {
            p.countBits = _countBits(_numel(x));
        }
    }

    /// @dev Step `j` of `kind`'s loop body (`tribunal.repops.reductions`, `linear`).
    function _bodyStep(uint8 kind, uint256[] memory params, uint256 j) private pure returns (uint256) {
        if (kind <= MATMUL_BT) return j == 0 ? _step(Float32.MUL, S0, S1) : _step(Float32.ADD, ACC, T0);
        if (kind == REDUCE) return _step(params[0], ACC, S0);
        if (kind == PICK) return j == 0 ? _step(Float32.EQ, S1, LOOP_CONST) : _step(Float32.SELECT, T0, S0, ACC);
        if (kind == EMBEDDING) return j == 0 ? _step(Float32.EQ, S0, LOOP_CONST) : _step(Float32.SELECT, T0, S1, ACC);
        if (kind == MSE_LOSS || kind == LN_RSTD) {
            if (j == 0) return _step(Float32.SUB, S0, S1);
            if (j == 1) return _step(Float32.MUL, T0, T0);
            return _step(Float32.ADD, ACC, T1);
        }
        if (kind == LN_GRAD_STATS) {
            if (params[0] == 0) return j == 0 ? _step(Float32.MUL, S0, S4) : _step(Float32.ADD, ACC, T0);
            if (j == 0) return _step(Float32.SUB, S1, S2);
            if (j == 1) return _step(Float32.MUL, T0, S3);
            if (j == 2) return _step(Float32.MUL, S0, S4);
            if (j == 3) return _step(Float32.MUL, T2, T1);
            return _step(Float32.ADD, ACC, T3);
        }
        if (kind == LN_GRAD_GAIN) {
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

    /// @dev Step `j` of `kind`'s epilogue (`tribunal.repops.elementwise`, and the reductions'
    ///      final divisions).
    function _epilogueStep(uint8 kind, uint256[] memory params, LoopProgram memory p, uint256 j)
        private
        pure
        returns (uint256)
    {
        if (kind == EXP) return _tableStep(EXP_STEPS, j);
        if (kind == LOG) return _tableStep(LOG_STEPS, j);
        if (kind == BINARY) return _step(params[0], S0, S1);
        if (kind == BINARY_CONST) return params[2] != 0 ? _step(params[0], P1, S0) : _step(params[0], S0, P1);
        if (kind == UNARY) return _step(params[0], S0);
        uint256 count = (REF_CONST << 32) | p.countBits;
        if (kind == REDUCE || kind == MSE_LOSS || kind == LN_GRAD_STATS) return _step(Float32.DIV, ACC, count);
        if (kind == RELU_GRAD) {
            return j == 0 ? _step(Float32.LT, C_ZERO, S0) : _step(Float32.SELECT, T0, S1, C_ZERO);
        }
        if (kind == LN_RSTD) {
            if (j == 0) return _step(Float32.DIV, ACC, count);
            if (j == 1) return _step(Float32.ADD, T0, P0);
            if (j == 2) return _step(Float32.SQRT, T1);
            return _step(Float32.DIV, C_ONE, T2);
        }
        if (kind == XENT_GRAD) {
            if (j == 0) return _step(Float32.DIV, S0, S1);
            if (j == 1) return _step(Float32.EQ, S2, LOOP_CONST);
            if (j == 2) return _step(Float32.SUB, T0, T1);
            return _step(Float32.DIV, T2, count);
        }
        if (kind == MSE_GRAD) {
            if (j == 0) return _step(Float32.SUB, S0, S1);
            if (j == 1) return _step(Float32.MUL, T0, C_TWO);
            return _step(Float32.DIV, T1, count);
        }
        if (kind == LN_APPLY) {
            if (j == 0) return _step(Float32.SUB, S0, S1);
            if (j == 1) return _step(Float32.MUL, T0, S2);
            if (j == 2) return _step(Float32.MUL, T1, S3);
            return _step(Float32.ADD, T2, S4);
        }
        if (kind == LN_GRAD_INPUT) {
            if (j == 0) return _step(Float32.SUB, S1, S2);
            if (j == 1) return _step(Float32.MUL, T0, S3);
            if (j == 2) return _step(Float32.MUL, S0, S4);
            if (j == 3) return _step(Float32.SUB, T2, S5);
            if (j == 4) return _step(Float32.MUL, T1, S6);
            if (j == 5) return _step(Float32.SUB, T3, T4);
            return _step(Float32.MUL, T5, S3);
        }
        if (kind == SGD) return j == 0 ? _step(Float32.MUL, S1, P0) : _step(Float32.SUB, S0, T0);
        if (kind == MOMENTUM) return j == 0 ? _step(Float32.MUL, S0, P0) : _step(Float32.ADD, T0, S1);
        if (kind == ADAM_M) {
            if (j == 0) return _step(Float32.MUL, S0, P0);
            if (j == 1) return _step(Float32.MUL, S1, P1);
            return _step(Float32.ADD, T0, T1);
        }
        if (kind == ADAM_V) {
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

    /// @dev Writes `step` into `ins` with its operands made absolute (`tribunal.repops.loop.resolve`):
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

    /// @dev Decodes and checks COPY / GATHER_SUM's affine map (`AffineMap.decode`, `output_shape`):
    ///      `out_rank, loop_rank, in_rank, *out_view, *loop_view, *in_view, *coef, *offset, *div,
    ///      shape_rank, *out_shape`.
    function _affineMap(uint8 kind, uint256[] memory params, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
        returns (AffineMap memory m)
    {
        _inputs(kind, shapes, 1);
        if (params.length < 3) revert ProgramErrors.ParamCountMismatch(kind, 3, params.length);
        for (uint256 r = 0; r < 3; ++r) {
            if (params[r] > MAX_RANK) revert ProgramErrors.ParamInvalid(kind, r, params[r]);
        }
        unchecked {
            m.outRank = params[0];
            m.loopRank = params[1];
            m.inRank = params[2];
            m.outView = 3;
            m.loopView = m.outView + m.outRank;
            m.inView = m.loopView + m.loopRank;
            m.coef = m.inView + m.inRank;
            m.offset = m.coef + m.inRank * (m.outRank + m.loopRank);
            m.div = m.offset + m.inRank;
        }
        uint256 shapeRankAt = m.div + m.inRank;
        if (params.length <= shapeRankAt) {
            revert ProgramErrors.ParamCountMismatch(kind, shapeRankAt + 1, params.length);
        }
        uint256 shapeRank = params[shapeRankAt];
        if (shapeRank > MAX_RANK) revert ProgramErrors.ParamInvalid(kind, shapeRankAt, shapeRank);
        if (params.length != shapeRankAt + 1 + shapeRank) {
            revert ProgramErrors.ParamCountMismatch(kind, shapeRankAt + 1 + shapeRank, params.length);
        }
        // INVARIANT: COPY has no loop; GATHER_SUM sums over a loop view of at least one term.
        if (kind == COPY ? m.loopRank != 0 : m.loopRank == 0) revert ProgramErrors.ParamInvalid(kind, 1, m.loopRank);

        (uint256 outCount, uint256 inCount, uint256 word, uint256 bad) = _affineViews(params, m, shapeRankAt);
        if (bad != 0) revert ProgramErrors.ParamInvalid(kind, bad - 1, params[bad - 1]);
        if (m.trips == 0) revert ProgramErrors.ParamInvalid(kind, m.loopView, 0);
        if (inCount != _numel(shapes[0])) revert ProgramErrors.InputShapeMismatch(kind, 0, shapes[0]);
        if (_numel(bytes32(word)) != outCount) revert ProgramErrors.ParamInvalid(kind, m.outView, outCount);
        _output(kind, bytes32(word), outShape, element);
    }

    /// @dev Reads an affine map's lists (their lengths already checked): the out view's and the
    ///      in view's element counts (the loop view's goes to `m.trips`), the out shape's shape
    ///      word, and `bad` = 1 + the position of the first view or out-shape dim above 2**32 - 1
    ///      or divisor outside 1..2**127 - 1 (0 when none).
    function _affineViews(uint256[] memory params, AffineMap memory m, uint256 shapeRankAt)
        private
        pure
        returns (uint256 outCount, uint256 inCount, uint256 word, uint256 bad)
    {
        uint256 loopView = m.loopView;
        uint256 inView = m.inView;
        uint256 viewEnd = m.coef;
        uint256 divAt = m.div;
        uint256 trips;
        assembly ("memory-safe") {
            let values := add(params, 32)
            outCount := 1
            trips := 1
            inCount := 1
            for { let i := 3 } lt(i, viewEnd) { i := add(i, 1) } {
                let size := mload(add(values, shl(5, i)))
                if and(iszero(bad), gt(size, 0xffffffff)) { bad := add(i, 1) }
                switch lt(i, loopView)
                case 1 { outCount := mul(outCount, size) }
                default {
                    switch lt(i, inView)
                    case 1 { trips := mul(trips, size) }
                    default { inCount := mul(inCount, size) }
                }
            }
            for { let i := divAt } lt(i, shapeRankAt) { i := add(i, 1) } {
                let divisor := mload(add(values, shl(5, i)))
                if and(iszero(bad), or(iszero(divisor), gt(divisor, 0x7fffffffffffffffffffffffffffffff))) {
                    bad := add(i, 1)
                }
            }
            let shapeRank := mload(add(values, shl(5, shapeRankAt)))
            word := shl(248, shapeRank)
            for { let d := 0 } lt(d, shapeRank) { d := add(d, 1) } {
                let i := add(add(shapeRankAt, 1), d)
                let size := mload(add(values, shl(5, i)))
                if and(iszero(bad), gt(size, 0xffffffff)) { bad := add(i, 1) }
                word := or(word, shl(sub(216, shl(5, d)), size))
            }
        }
        m.trips = trips;
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
        AffineMap memory m = _affineMap(kind, params, shapes, outShape, element);
        if (i >= m.trips) revert ProgramErrors.InstructionOutOfRange(i, m.trips);
        (bool valid, uint256 flat) = _affineAddress(m, params, element, i);
        if (kind == COPY) {
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

    /// @dev `AffineMap.address`: `element` over the out view and `k` over the loop view
    ///      (row-major) give the coordinates x; input coordinate j is
    ///      t = offset[j] + sum_d coef[j][d] * x[d], valid when div[j] divides t and
    ///      0 <= t / div[j] < in_view[j]; the address is those flattened row-major. Every row is
    ///      computed (no early exit), so every coefficient and offset is checked for every element.
    function _affineAddress(AffineMap memory m, uint256[] memory params, uint256 element, uint256 k)
        private
        pure
        returns (bool valid, uint256 flat)
    {
        uint256[14] memory x = _affineCoordinates(m, params, element, k);
        bool tooLarge;
        (valid, flat, tooLarge) = _affineFlatten(params, m, x);
        if (tooLarge) revert ProgramErrors.AffineValueTooLarge(m.loopRank == 0 ? COPY : GATHER_SUM);
        if (!valid) flat = 0;
    }

    /// @dev The input coordinates of `x` flattened, whether all are valid, and whether an offset
    ///      or coefficient reaches 2**127 in magnitude. With coordinates below 2**32, 14 terms at
    ///      most and coefficients and offsets below 2**127, t stays far inside int256: plain EVM
    ///      arithmetic is exact. Divisors were checked to be in 1..2**127 - 1 by `_affineViews`.
    function _affineFlatten(uint256[] memory params, AffineMap memory m, uint256[14] memory x)
        private
        pure
        returns (bool valid, uint256 flat, bool tooLarge)
    {
        assembly ("memory-safe") {
            let values := add(params, 32)
            let width := add(mload(m), mload(add(m, 0x20))) // outRank + loopRank
            let inRank := mload(add(m, 0x40))
            let inView := add(values, shl(5, mload(add(m, 0xa0))))
            let row := add(values, shl(5, mload(add(m, 0xc0)))) // coef[0][0]
            let offsets := add(values, shl(5, mload(add(m, 0xe0))))
            let divisors := add(values, shl(5, mload(add(m, 0x100))))
            valid := 1
            for { let j := 0 } lt(j, inRank) { j := add(j, 1) } {
                let t := mload(add(offsets, shl(5, j)))
                tooLarge := or(tooLarge, iszero(eq(t, signextend(15, t))))
                for { let d := 0 } lt(d, width) { d := add(d, 1) } {
                    let c := mload(add(row, shl(5, d)))
                    if c {
                        tooLarge := or(tooLarge, iszero(eq(c, signextend(15, c))))
                        t := add(t, mul(c, mload(add(x, shl(5, d)))))
                    }
                }
                row := add(row, shl(5, width))
                let divisor := mload(add(divisors, shl(5, j)))
                let size := mload(add(inView, shl(5, j)))
                let q := sdiv(t, divisor)
                if or(or(slt(t, 0), smod(t, divisor)), iszero(lt(q, size))) { valid := 0 }
                flat := add(mul(flat, size), q)
            }
        }
    }

    /// @dev The coordinates of `element` over the out view then of `k` over the loop view,
    ///      row-major (both below their view's element count, so no dim divides by zero).
    function _affineCoordinates(AffineMap memory m, uint256[] memory params, uint256 element, uint256 k)
        private
        pure
        returns (uint256[14] memory x)
    {
        uint256 outRank = m.outRank;
        uint256 outView = m.outView;
        uint256 loopRank = m.loopRank;
        uint256 loopView = m.loopView;
        assembly ("memory-safe") {
            let values := add(params, 32)
            for { let d := outRank } d { d := sub(d, 1) } {
                let size := mload(add(values, shl(5, add(outView, sub(d, 1)))))
                mstore(add(x, shl(5, sub(d, 1))), mod(element, size))
                element := div(element, size)
            }
            let loopX := add(x, shl(5, outRank))
            for { let d := loopRank } d { d := sub(d, 1) } {
                let size := mload(add(values, shl(5, add(loopView, sub(d, 1)))))
                mstore(add(loopX, shl(5, sub(d, 1))), mod(k, size))
                k := div(k, size)
            }
        }
    }

    /// @dev Checks CAUSAL_MASK (x (..., T, T) -> same shape) and returns T.
    function _causalMaskWidth(uint256[] memory params, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
        returns (uint256)
    {
        _paramCount(CAUSAL_MASK, params, 1);
        _inputs(CAUSAL_MASK, shapes, 1);
        bytes32 x = shapes[0];
        uint256 rank = _ndim(x);
        if (rank < 2 || _dim(x, rank - 1) != _dim(x, rank - 2)) {
            revert ProgramErrors.InputShapeMismatch(CAUSAL_MASK, 0, x);
        }
        _output(CAUSAL_MASK, x, outShape, element);
        return _dim(x, rank - 1);
    }

    /// @dev Checks BATCH_GATHER (params `(seed, numRows)`, dataset (numRows, ...) -> (batch, ...))
    ///      and returns the length of one row.
    function _batchRowLength(uint256[] memory params, bytes32[] memory shapes, bytes32 outShape, uint256 element)
        private
        pure
        returns (uint256)
    {
        _paramCount(BATCH_GATHER, params, 2);
        _inputs(BATCH_GATHER, shapes, 1);
        bytes32 dataset = shapes[0];
        if (_ndim(dataset) == 0) revert ProgramErrors.InputShapeMismatch(BATCH_GATHER, 0, dataset);
        uint256 numRows = params[1];
        if (numRows == 0 || numRows != _dim(dataset, 0)) revert ProgramErrors.ParamInvalid(BATCH_GATHER, 1, numRows);
        // the output is the dataset's shape with any batch size in place of the row count
        uint256 firstDim = MAX_DIM << 216;
        _output(
            BATCH_GATHER, bytes32((uint256(dataset) & ~firstDim) | (uint256(outShape) & firstDim)), outShape, element
        );
        return _numel(dataset) / numRows;
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
        if (params.length != count) revert ProgramErrors.ParamCountMismatch(kind, count, params.length);
    }

    function _opcodeParam(uint8 kind, uint256 opcode, uint256 allowed) private pure {
        if (opcode > 255 || (allowed >> opcode) & 1 == 0) revert ProgramErrors.ParamInvalid(kind, 0, opcode);
    }

    /// @dev The op takes `count` inputs, each a canonical shape word.
    function _inputs(uint8 kind, bytes32[] memory shapes, uint256 count) private pure {
        if (shapes.length != count) revert ProgramErrors.InputCountMismatch(kind, count, shapes.length);
        unchecked {
            for (uint256 s = 0; s < count; ++s) {
                uint256 word = uint256(shapes[s]);
                uint256 rank = word >> 248;
                if (rank > MAX_RANK || word << (8 + 32 * rank) != 0) revert ProgramErrors.ShapeWordInvalid(shapes[s]);
            }
        }
    }

    /// @dev The declared output shape is the op's, and `element` is one of its elements.
    function _output(uint8 kind, bytes32 expected, bytes32 outShape, uint256 element) private pure {
        if (outShape != expected) revert ProgramErrors.OutputShapeMismatch(kind, expected, outShape);
        uint256 count = _numel(outShape);
        if (element >= count) revert ProgramErrors.ElementOutOfRange(element, count);
    }

    /// @dev The float32 bits of a count a program divides by (exact: 1..2**24).
    function _countBits(uint256 count) private pure returns (uint256) {
        if (count == 0 || count > MAX_EXACT_COUNT) revert ProgramErrors.CountNotExactFloat32(count);
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

    // ---------------------------------------------------------------- shape words

    function _ndim(bytes32 word) private pure returns (uint256) {
        return uint256(word) >> 248;
    }

    /// @dev Dimension `i` (below 7) of a shape word.
    function _dim(bytes32 word, uint256 i) private pure returns (uint256 size) {
        assembly ("memory-safe") {
            size := and(shr(sub(216, shl(5, i)), word), 0xffffffff)
        }
    }

    /// @dev The last dimension of a shape word of rank 1 or more.
    function _lastDim(bytes32 word) private pure returns (uint256 size) {
        assembly ("memory-safe") {
            size := and(shr(sub(248, shl(5, shr(248, word))), word), 0xffffffff)
        }
    }

    /// @dev The element count of a canonical shape word (at most 7 uint32 factors: no overflow).
    function _numel(bytes32 word) private pure returns (uint256 count) {
        assembly ("memory-safe") {
            count := 1
            let shift := 216
            for { let end := sub(216, shl(5, shr(248, word))) } sgt(shift, end) { shift := sub(shift, 32) } {
                count := mul(count, and(shr(shift, word), 0xffffffff))
            }
        }
    }

    /// @dev `shape[:-1]` of a shape of rank 1 or more.
    function _dropLast(bytes32 word) private pure returns (bytes32) {
        unchecked {
            uint256 low = 248 - 32 * (_ndim(word) - 1);
            return bytes32((uint256(word) >> low << low) - (uint256(1) << 248));
        }
    }

    /// @dev `shape[-1:]` of a shape of rank 1 or more.
    function _lastOnly(bytes32 word) private pure returns (bytes32) {
        return bytes32((uint256(1) << 248) | (_lastDim(word) << 216));
    }

    /// @dev `shape + (size,)` of a shape of rank below 7 and a uint32 size.
    function _appendDim(bytes32 word, uint256 size) private pure returns (bytes32) {
        unchecked {
            return bytes32((uint256(word) + (uint256(1) << 248)) | (size << (216 - 32 * _ndim(word))));
        }
    }

    // ---------------------------------------------------------------- EXP and LOG
    //
    // `python -m tribunal.repops.program_vectors --solidity-tables` prints these from
    // `tribunal.repops.transcendental`; tests/repops/test_program_vectors.py checks they match.
    // Rows: opcode ‖ (tag ‖ uint32 value) × 3; x is input slot 0, tN the program's instruction N.

    bytes private constant EXP_STEPS = hex"06010000000004c2d000000000000000" // t0 = MAX(x, 0xc2d00000)
        hex"0702000000000442b000000000000000" // t1 = MIN(t0, 0x42b00000)
        hex"030200000001043fb8aa3b0000000000" // t2 = MUL(t1, 0x3fb8aa3b)
        hex"010200000002044b4000000000000000" // t3 = ADD(t2, 0x4b400000)
        hex"020200000003044b4000000000000000" // t4 = SUB(t3, 0x4b400000)
        hex"030200000004043f3180000000000000" // t5 = MUL(t4, 0x3f318000)
        hex"02020000000102000000050000000000" // t6 = SUB(t1, t5)
        hex"03020000000404b95e80830000000000" // t7 = MUL(t4, 0xb95e8083)
        hex"02020000000602000000070000000000" // t8 = SUB(t6, t7)
        hex"03020000000802000000080000000000" // t9 = MUL(t8, t8)
        hex"03020000000804395069670000000000" // t10 = MUL(t8, 0x39506967)
        hex"01020000000a043ab743ce0000000000" // t11 = ADD(t10, 0x3ab743ce)
        hex"03020000000b02000000080000000000" // t12 = MUL(t11, t8)
        hex"01020000000c043c0889080000000000" // t13 = ADD(t12, 0x3c088908)
        hex"03020000000d02000000080000000000" // t14 = MUL(t13, t8)
        hex"01020000000e043d2aa9c10000000000" // t15 = ADD(t14, 0x3d2aa9c1)
        hex"03020000000f02000000080000000000" // t16 = MUL(t15, t8)
        hex"010200000010043e2aaaaa0000000000" // t17 = ADD(t16, 0x3e2aaaaa)
        hex"03020000001102000000080000000000" // t18 = MUL(t17, t8)
        hex"010200000012043f0000000000000000" // t19 = ADD(t18, 0x3f000000)
        hex"03020000001302000000090000000000" // t20 = MUL(t19, t9)
        hex"01020000001402000000080000000000" // t21 = ADD(t20, t8)
        hex"010200000015043f8000000000000000" // t22 = ADD(t21, 0x3f800000)
        hex"0d020000000400000000000000000000" // t23 = ABS(t4)
        hex"09020000000404000000000000000000" // t24 = LT(t4, 0x00000000)
        hex"0a044300000002000000170000000000" // t25 = LE(0x43000000, t23)
        hex"08020000001904430000000400000000" // t26 = SELECT(t25, 0x43000000, 0x00000000)
        hex"020200000017020000001a0000000000" // t27 = SUB(t23, t26)
        hex"0a0442800000020000001b0000000000" // t28 = LE(0x42800000, t27)
        hex"08020000001c04428000000400000000" // t29 = SELECT(t28, 0x42800000, 0x00000000)
        hex"02020000001b020000001d0000000000" // t30 = SUB(t27, t29)
        hex"0a0442000000020000001e0000000000" // t31 = LE(0x42000000, t30)
        hex"08020000001f04420000000400000000" // t32 = SELECT(t31, 0x42000000, 0x00000000)
        hex"02020000001e02000000200000000000" // t33 = SUB(t30, t32)
        hex"0a044180000002000000210000000000" // t34 = LE(0x41800000, t33)
        hex"08020000002204418000000400000000" // t35 = SELECT(t34, 0x41800000, 0x00000000)
        hex"02020000002102000000230000000000" // t36 = SUB(t33, t35)
        hex"0a044100000002000000240000000000" // t37 = LE(0x41000000, t36)
        hex"08020000002504410000000400000000" // t38 = SELECT(t37, 0x41000000, 0x00000000)
        hex"02020000002402000000260000000000" // t39 = SUB(t36, t38)
        hex"0a044080000002000000270000000000" // t40 = LE(0x40800000, t39)
        hex"08020000002804408000000400000000" // t41 = SELECT(t40, 0x40800000, 0x00000000)
        hex"02020000002702000000290000000000" // t42 = SUB(t39, t41)
        hex"0a0440000000020000002a0000000000" // t43 = LE(0x40000000, t42)
        hex"08020000002b04400000000400000000" // t44 = SELECT(t43, 0x40000000, 0x00000000)
        hex"02020000002a020000002c0000000000" // t45 = SUB(t42, t44)
        hex"0a043f800000020000002d0000000000" // t46 = LE(0x3f800000, t45)
        hex"080200000018043f0000000440000000" // t47 = SELECT(t24, 0x3f000000, 0x40000000)
        hex"08020000002e020000002f043f800000" // t48 = SELECT(t46, t47, 0x3f800000)
        hex"03020000001602000000300000000000" // t49 = MUL(t22, t48)
        hex"080200000018043e8000000440800000" // t50 = SELECT(t24, 0x3e800000, 0x40800000)
        hex"08020000002b0200000032043f800000" // t51 = SELECT(t43, t50, 0x3f800000)
        hex"03020000003102000000330000000000" // t52 = MUL(t49, t51)
        hex"080200000018043d8000000441800000" // t53 = SELECT(t24, 0x3d800000, 0x41800000)
        hex"0802000000280200000035043f800000" // t54 = SELECT(t40, t53, 0x3f800000)
        hex"03020000003402000000360000000000" // t55 = MUL(t52, t54)
        hex"080200000018043b8000000443800000" // t56 = SELECT(t24, 0x3b800000, 0x43800000)
        hex"0802000000250200000038043f800000" // t57 = SELECT(t37, t56, 0x3f800000)
        hex"03020000003702000000390000000000" // t58 = MUL(t55, t57)
        hex"08020000001804378000000447800000" // t59 = SELECT(t24, 0x37800000, 0x47800000)
        hex"080200000022020000003b043f800000" // t60 = SELECT(t34, t59, 0x3f800000)
        hex"03020000003a020000003c0000000000" // t61 = MUL(t58, t60)
        hex"080200000018042f800000044f800000" // t62 = SELECT(t24, 0x2f800000, 0x4f800000)
        hex"08020000001f020000003e043f800000" // t63 = SELECT(t31, t62, 0x3f800000)
        hex"03020000003d020000003f0000000000" // t64 = MUL(t61, t63)
        hex"080200000018041f800000045f800000" // t65 = SELECT(t24, 0x1f800000, 0x5f800000)
        hex"08020000001c0200000041043f800000" // t66 = SELECT(t28, t65, 0x3f800000)
        hex"03020000004002000000420000000000" // t67 = MUL(t64, t66)
        hex"0802000000180400200000043f800000" // t68 = SELECT(t24, 0x00200000, 0x3f800000)
        hex"0802000000190200000044043f800000" // t69 = SELECT(t25, t68, 0x3f800000)
        hex"03020000004302000000450000000000"; // t70 = MUL(t67, t69)

    bytes private constant LOG_STEPS = hex"0a045f80000001000000000000000000" // t0 = LE(0x5f800000, x)
        hex"080200000000041f800000043f800000" // t1 = SELECT(t0, 0x1f800000, 0x3f800000)
        hex"03010000000002000000010000000000" // t2 = MUL(x, t1)
        hex"08020000000004428000000400000000" // t3 = SELECT(t0, 0x42800000, 0x00000000)
        hex"0a044f80000002000000020000000000" // t4 = LE(0x4f800000, t2)
        hex"080200000004042f800000043f800000" // t5 = SELECT(t4, 0x2f800000, 0x3f800000)
        hex"03020000000202000000050000000000" // t6 = MUL(t2, t5)
        hex"08020000000404420000000400000000" // t7 = SELECT(t4, 0x42000000, 0x00000000)
        hex"01020000000302000000070000000000" // t8 = ADD(t3, t7)
        hex"0a044780000002000000060000000000" // t9 = LE(0x47800000, t6)
        hex"0802000000090437800000043f800000" // t10 = SELECT(t9, 0x37800000, 0x3f800000)
        hex"030200000006020000000a0000000000" // t11 = MUL(t6, t10)
        hex"08020000000904418000000400000000" // t12 = SELECT(t9, 0x41800000, 0x00000000)
        hex"010200000008020000000c0000000000" // t13 = ADD(t8, t12)
        hex"0a0443800000020000000b0000000000" // t14 = LE(0x43800000, t11)
        hex"08020000000e043b800000043f800000" // t15 = SELECT(t14, 0x3b800000, 0x3f800000)
        hex"03020000000b020000000f0000000000" // t16 = MUL(t11, t15)
        hex"08020000000e04410000000400000000" // t17 = SELECT(t14, 0x41000000, 0x00000000)
        hex"01020000000d02000000110000000000" // t18 = ADD(t13, t17)
        hex"0a044180000002000000100000000000" // t19 = LE(0x41800000, t16)
        hex"080200000013043d800000043f800000" // t20 = SELECT(t19, 0x3d800000, 0x3f800000)
        hex"03020000001002000000140000000000" // t21 = MUL(t16, t20)
        hex"08020000001304408000000400000000" // t22 = SELECT(t19, 0x40800000, 0x00000000)
        hex"01020000001202000000160000000000" // t23 = ADD(t18, t22)
        hex"0a044080000002000000150000000000" // t24 = LE(0x40800000, t21)
        hex"080200000018043e800000043f800000" // t25 = SELECT(t24, 0x3e800000, 0x3f800000)
        hex"03020000001502000000190000000000" // t26 = MUL(t21, t25)
        hex"08020000001804400000000400000000" // t27 = SELECT(t24, 0x40000000, 0x00000000)
        hex"010200000017020000001b0000000000" // t28 = ADD(t23, t27)
        hex"0a0440000000020000001a0000000000" // t29 = LE(0x40000000, t26)
        hex"08020000001d043f000000043f800000" // t30 = SELECT(t29, 0x3f000000, 0x3f800000)
        hex"03020000001a020000001e0000000000" // t31 = MUL(t26, t30)
        hex"08020000001d043f8000000400000000" // t32 = SELECT(t29, 0x3f800000, 0x00000000)
        hex"01020000001c02000000200000000000" // t33 = ADD(t28, t32)
        hex"09020000001f04200000000000000000" // t34 = LT(t31, 0x20000000)
        hex"080200000022045f800000043f800000" // t35 = SELECT(t34, 0x5f800000, 0x3f800000)
        hex"03020000001f02000000230000000000" // t36 = MUL(t31, t35)
        hex"08020000002204428000000400000000" // t37 = SELECT(t34, 0x42800000, 0x00000000)
        hex"02020000002102000000250000000000" // t38 = SUB(t33, t37)
        hex"09020000002404200000000000000000" // t39 = LT(t36, 0x20000000)
        hex"080200000027045f800000043f800000" // t40 = SELECT(t39, 0x5f800000, 0x3f800000)
        hex"03020000002402000000280000000000" // t41 = MUL(t36, t40)
        hex"08020000002704428000000400000000" // t42 = SELECT(t39, 0x42800000, 0x00000000)
        hex"020200000026020000002a0000000000" // t43 = SUB(t38, t42)
        hex"09020000002904300000000000000000" // t44 = LT(t41, 0x30000000)
        hex"08020000002c044f800000043f800000" // t45 = SELECT(t44, 0x4f800000, 0x3f800000)
        hex"030200000029020000002d0000000000" // t46 = MUL(t41, t45)
        hex"08020000002c04420000000400000000" // t47 = SELECT(t44, 0x42000000, 0x00000000)
        hex"02020000002b020000002f0000000000" // t48 = SUB(t43, t47)
        hex"09020000002e04380000000000000000" // t49 = LT(t46, 0x38000000)
        hex"0802000000310447800000043f800000" // t50 = SELECT(t49, 0x47800000, 0x3f800000)
        hex"03020000002e02000000320000000000" // t51 = MUL(t46, t50)
        hex"08020000003104418000000400000000" // t52 = SELECT(t49, 0x41800000, 0x00000000)
        hex"02020000003002000000340000000000" // t53 = SUB(t48, t52)
        hex"090200000033043c0000000000000000" // t54 = LT(t51, 0x3c000000)
        hex"0802000000360443800000043f800000" // t55 = SELECT(t54, 0x43800000, 0x3f800000)
        hex"03020000003302000000370000000000" // t56 = MUL(t51, t55)
        hex"08020000003604410000000400000000" // t57 = SELECT(t54, 0x41000000, 0x00000000)
        hex"02020000003502000000390000000000" // t58 = SUB(t53, t57)
        hex"090200000038043e0000000000000000" // t59 = LT(t56, 0x3e000000)
        hex"08020000003b0441800000043f800000" // t60 = SELECT(t59, 0x41800000, 0x3f800000)
        hex"030200000038020000003c0000000000" // t61 = MUL(t56, t60)
        hex"08020000003b04408000000400000000" // t62 = SELECT(t59, 0x40800000, 0x00000000)
        hex"02020000003a020000003e0000000000" // t63 = SUB(t58, t62)
        hex"09020000003d043f0000000000000000" // t64 = LT(t61, 0x3f000000)
        hex"0802000000400440800000043f800000" // t65 = SELECT(t64, 0x40800000, 0x3f800000)
        hex"03020000003d02000000410000000000" // t66 = MUL(t61, t65)
        hex"08020000004004400000000400000000" // t67 = SELECT(t64, 0x40000000, 0x00000000)
        hex"02020000003f02000000430000000000" // t68 = SUB(t63, t67)
        hex"090200000042043f8000000000000000" // t69 = LT(t66, 0x3f800000)
        hex"0802000000450440000000043f800000" // t70 = SELECT(t69, 0x40000000, 0x3f800000)
        hex"03020000004202000000460000000000" // t71 = MUL(t66, t70)
        hex"080200000045043f8000000400000000" // t72 = SELECT(t69, 0x3f800000, 0x00000000)
        hex"02020000004402000000480000000000" // t73 = SUB(t68, t72)
        hex"09043fb504f302000000470000000000" // t74 = LT(0x3fb504f3, t71)
        hex"08020000004a043f000000043f800000" // t75 = SELECT(t74, 0x3f000000, 0x3f800000)
        hex"030200000047020000004b0000000000" // t76 = MUL(t71, t75)
        hex"08020000004a043f8000000400000000" // t77 = SELECT(t74, 0x3f800000, 0x00000000)
        hex"010200000049020000004d0000000000" // t78 = ADD(t73, t77)
        hex"02020000004c043f8000000000000000" // t79 = SUB(t76, 0x3f800000)
        hex"01020000004c043f8000000000000000" // t80 = ADD(t76, 0x3f800000)
        hex"04020000004f02000000500000000000" // t81 = DIV(t79, t80)
        hex"03020000005102000000510000000000" // t82 = MUL(t81, t81)
        hex"030200000052043e638e390000000000" // t83 = MUL(t82, 0x3e638e39)
        hex"010200000053043e9249250000000000" // t84 = ADD(t83, 0x3e924925)
        hex"03020000005402000000520000000000" // t85 = MUL(t84, t82)
        hex"010200000055043ecccccd0000000000" // t86 = ADD(t85, 0x3ecccccd)
        hex"03020000005602000000520000000000" // t87 = MUL(t86, t82)
        hex"010200000057043f2aaaab0000000000" // t88 = ADD(t87, 0x3f2aaaab)
        hex"03020000005802000000520000000000" // t89 = MUL(t88, t82)
        hex"03020000005902000000510000000000" // t90 = MUL(t89, t81)
        hex"01020000005102000000510000000000" // t91 = ADD(t81, t81)
        hex"01020000005b020000005a0000000000" // t92 = ADD(t91, t90)
        hex"03020000004e04b95e80830000000000" // t93 = MUL(t78, 0xb95e8083)
        hex"01020000005c020000005d0000000000" // t94 = ADD(t92, t93)
        hex"03020000004e043f3180000000000000" // t95 = MUL(t78, 0x3f318000)
        hex"01020000005e020000005f0000000000" // t96 = ADD(t94, t95)
        hex"0b0100000000047f8000000000000000" // t97 = EQ(x, 0x7f800000)
        hex"080200000061047f8000000200000060" // t98 = SELECT(t97, 0x7f800000, t96)
        hex"0b010000000004000000000000000000" // t99 = EQ(x, 0x00000000)
        hex"08020000006304ff8000000200000062" // t100 = SELECT(t99, 0xff800000, t98)
        hex"09010000000004000000000000000000" // t101 = LT(x, 0x00000000)
        hex"080200000065047fc000000200000064"; // t102 = SELECT(t101, 0x7fc00000, t100)
}
