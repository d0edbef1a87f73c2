// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {OpKind} from "../../src/lib/OpKind.sol";
import {Programs} from "../../src/lib/Programs.sol";
import {ProgramVectors} from "./ProgramVectors.sol";

/// @notice Gas of `Programs.instruction` and `Programs.programLength` per op kind, over every probe
///         of the vector file (mean and worst), plus hand-made worst cases the small random vectors
///         do not reach (rank-7 shapes, dense rank-7 affine maps). Run with `-vv` to read the
///         figures; `contracts/GAS-programs.md` records them. Each figure is one internal call in a
///         fresh call frame with the arguments already in memory (the harness), as in the game.
contract ProgramsGasTest is ProgramVectors {
    event log_string(string value);

    uint256 private constant OP_KINDS = 30;
    /// @dev A regression guard: the one-step transaction must stay under 150k gas, and the hand-made
    ///      worst case (a dense rank-7 GATHER_SUM map) measures about 30k.
    uint256 private constant INSTRUCTION_GAS_BUDGET = 35_000;

    /// @dev Gas of the probes of one op kind: small random cases and the model-sized case apart.
    struct Tally {
        uint256 count;
        uint256 total;
        uint256 worst;
        uint256 lengthTotal;
        uint256 lengthWorst;
        uint256 modelCount;
        uint256 modelTotal;
        uint256 modelWorst;
    }

    string[31] private names = [
        "",
        "MATMUL",
        "MATMUL_AT",
        "MATMUL_BT",
        "BINARY",
        "BINARY_CONST",
        "UNARY",
        "RELU_GRAD",
        "REDUCE",
        "EXP",
        "LOG",
        "PICK",
        "XENT_GRAD",
        "MSE_LOSS",
        "MSE_GRAD",
        "LN_RSTD",
        "LN_APPLY",
        "LN_GRAD_STATS",
        "LN_GRAD_INPUT",
        "LN_GRAD_GAIN",
        "SGD",
        "MOMENTUM",
        "ADAM_M",
        "ADAM_V",
        "ADAM_UPDATE",
        "COPY",
        "EMBEDDING",
        "EMBEDDING_GRAD",
        "CAUSAL_MASK",
        "BATCH_GATHER",
        "GATHER_SUM"
    ];

    function test_gas_perOpKind() public {
        (Case[] memory cases, Probe[] memory probes) = loadVectors();
        Tally[] memory tallies = new Tally[](OP_KINDS + 1);
        for (uint256 n = 0; n < probes.length; n++) {
            Probe memory p = probes[n];
            Case memory c = cases[p.caseIndex];
            (uint256 gasUsed,) = harness.instructionGas(
                c.opKind, c.params, c.inputShapeWords, c.outShapeWord, p.element, p.index, c.step
            );
            (uint256 lengthGas,) =
                harness.programLengthGas(c.opKind, c.params, c.inputShapeWords, c.outShapeWord, p.element);
            _add(tallies[c.opKind], c.modelSized, gasUsed, lengthGas);
            assertLe(gasUsed, INSTRUCTION_GAS_BUDGET, "instruction gas over budget");
        }
        emit log_string("| kind | probes | instruction mean | worst | model-sized mean | worst | programLength mean | worst |");
        emit log_string("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (uint256 kind = 1; kind <= OP_KINDS; kind++) {
            _row(kind, tallies[kind]);
        }
    }

    function _add(Tally memory t, bool modelSized, uint256 gasUsed, uint256 lengthGas) private pure {
        t.lengthTotal += lengthGas;
        if (lengthGas > t.lengthWorst) t.lengthWorst = lengthGas;
        if (modelSized) {
            t.modelCount++;
            t.modelTotal += gasUsed;
            if (gasUsed > t.modelWorst) t.modelWorst = gasUsed;
        } else {
            t.count++;
            t.total += gasUsed;
            if (gasUsed > t.worst) t.worst = gasUsed;
        }
    }

    function _row(uint256 kind, Tally memory t) private {
        string memory smallCases = string.concat(vm.toString(t.total / t.count), " | ", vm.toString(t.worst));
        string memory modelCases =
            string.concat(vm.toString(t.modelTotal / t.modelCount), " | ", vm.toString(t.modelWorst));
        string memory lengths =
            string.concat(vm.toString(t.lengthTotal / (t.count + t.modelCount)), " | ", vm.toString(t.lengthWorst));
        emit log_string(string.concat(
                "| ",
                vm.toString(kind),
                " ",
                names[kind],
                " | ",
                vm.toString(t.count + t.modelCount),
                " | ",
                smallCases,
                " | ",
                modelCases,
                " | ",
                lengths,
                " |"
            ));
    }

    // ---------------------------------------------------------------- hand-made worst cases

    function _word(uint256 rank, uint256 size) private pure returns (bytes32) {
        uint256 word = rank << 248;
        for (uint256 d = 0; d < rank; d++) {
            word |= size << (216 - 32 * d);
        }
        return bytes32(word);
    }

    function _report(
        string memory what,
        uint8 kind,
        uint256[] memory params,
        bytes32[] memory shapes,
        bytes32 out,
        uint256 element,
        uint256 i
    ) private {
        (uint256 gasUsed,) = harness.instructionGas(kind, params, shapes, out, element, i, 3);
        (uint256 lengthGas,) = harness.programLengthGas(kind, params, shapes, out, element);
        emit log_string(string.concat(
                what, ": instruction ", vm.toString(gasUsed), ", programLength ", vm.toString(lengthGas)
            ));
        assertLe(gasUsed, INSTRUCTION_GAS_BUDGET, what);
    }

    /// @dev A dense affine map: every coefficient 1, offsets 0, divisors 1; out view (2,)*outRank,
    ///      loop view (2,)*loopRank, in view (inSize,)*7, out shape = out view.
    function _denseMap(uint256 outRank, uint256 loopRank, uint256 inSize)
        private
        pure
        returns (uint256[] memory params)
    {
        uint256 inRank = 7;
        uint256 width = outRank + loopRank;
        params = new uint256[](3 + width + inRank + inRank * width + 2 * inRank + 1 + outRank);
        params[0] = outRank;
        params[1] = loopRank;
        params[2] = inRank;
        uint256 at = 3;
        for (uint256 d = 0; d < width; d++) {
            params[at++] = 2;
        }
        for (uint256 j = 0; j < inRank; j++) {
            params[at++] = inSize;
        }
        for (uint256 c = 0; c < inRank * width; c++) {
            params[at++] = 1;
        }
        at += inRank; // offsets 0
        for (uint256 j = 0; j < inRank; j++) {
            params[at++] = 1;
        }
        params[at++] = outRank;
        for (uint256 d = 0; d < outRank; d++) {
            params[at++] = 2;
        }
    }

    /// @dev split_heads(8, 64, 4, 64): (B, T, H*Dh) viewed (B, T, H, Dh) -> (B, H, T, Dh), as
    ///      `tribunal.repops.ops.transpose` encodes it.
    function _splitHeadsMap() private pure returns (uint256[] memory params) {
        uint256[4] memory inView = [uint256(8), 64, 4, 64];
        uint256[4] memory perm = [uint256(0), 2, 1, 3];
        params = new uint256[](3 + 4 + 4 + 16 + 4 + 4 + 1 + 4);
        params[0] = 4;
        params[2] = 4;
        for (uint256 d = 0; d < 4; d++) {
            params[3 + d] = inView[perm[d]]; // out view
            params[7 + d] = inView[d];
            params[11 + perm[d] * 4 + d] = 1; // coef[in dim][out dim]
            params[31 + d] = 1; // div
            params[36 + d] = inView[perm[d]]; // out shape
        }
        params[35] = 4;
    }

    function test_gas_worstCases() public {
        bytes32[] memory one = new bytes32[](1);
        bytes32 rank7 = _word(7, 3);
        bytes32 rank7Rows = _word(6, 3);

        one[0] = _word(7, 8);
        _report("COPY dense 7x7 map, every coordinate valid", OpKind.COPY, _denseMap(7, 0, 8), one, _word(7, 2), 127, 0);
        one[0] = _word(7, 16);
        _report(
            "GATHER_SUM dense 7x(7+7) map, last term",
            OpKind.GATHER_SUM,
            _denseMap(7, 7, 16),
            one,
            _word(7, 2),
            127,
            127
        );

        one[0] = bytes32((uint256(3) << 248) | (uint256(8) << 216) | (uint256(64) << 184) | (uint256(256) << 152));
        bytes32 heads = bytes32(
            (uint256(4) << 248) | (uint256(8) << 216) | (uint256(4) << 184) | (uint256(64) << 152)
                | (uint256(64) << 120)
        );
        _report(
            "COPY split_heads (8, 64, 4 x 64), the last element", OpKind.COPY, _splitHeadsMap(), one, heads, 131071, 0
        );

        bytes32[] memory lnGradInput = new bytes32[](7);
        lnGradInput[0] = rank7;
        lnGradInput[1] = rank7;
        lnGradInput[2] = rank7Rows;
        lnGradInput[3] = rank7Rows;
        lnGradInput[4] = _word(1, 3);
        lnGradInput[5] = rank7Rows;
        lnGradInput[6] = rank7Rows;
        _report("LN_GRAD_INPUT rank 7, last step", OpKind.LN_GRAD_INPUT, new uint256[](0), lnGradInput, rank7, 2186, 6);

        bytes32[] memory two = new bytes32[](2);
        two[0] = rank7;
        two[1] = rank7;
        _report("MATMUL_AT rank 7, a MUL", OpKind.MATMUL_AT, new uint256[](0), two, rank7, 2186, 4);

        one[0] = rank7;
        _report("EXP rank 7, last step", OpKind.EXP, new uint256[](0), one, rank7, 2186, 70);
        _report("LOG rank 7, last step", OpKind.LOG, new uint256[](0), one, rank7, 2186, 102);

        uint256[] memory reduce = new uint256[](4);
        reduce[0] = 1;
        reduce[1] = 2;
        reduce[2] = 5;
        reduce[3] = 1;
        _report("REDUCE mean over dims 2..5 of rank 7, the division", OpKind.REDUCE, reduce, one, _word(4, 3), 80, 27);

        uint256[] memory gather = new uint256[](2);
        gather[0] = type(uint256).max;
        gather[1] = 3;
        _report("BATCH_GATHER rank 7", OpKind.BATCH_GATHER, gather, one, rank7, 2186, 0);
    }
}
