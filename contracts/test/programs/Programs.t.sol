// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "../../src/Errors.sol";
import {OpKind} from "../../src/lib/OpKind.sol";
import {Programs} from "../../src/lib/Programs.sol";
import {ProgramVectors} from "./ProgramVectors.sol";

/// @notice `Programs` against the Python reference (`tribunal.repops.registry`), bit for bit, on
///         every probe of the vector file; and its reverts on specs the Python rejects.
contract ProgramsTest is ProgramVectors {
    uint256 private constant MIN_PROBES = 4000;
    uint256 private constant OP_KINDS = 30;

    function test_vectors_matchPythonReference() public view {
        (Case[] memory cases, Probe[] memory probes) = loadVectors();
        assertLe(MIN_PROBES, probes.length, "too few probes");
        uint256 kindsSeen;
        for (uint256 c = 0; c < cases.length; c++) {
            kindsSeen |= 1 << cases[c].opKind;
        }
        assertEq(kindsSeen, ((1 << (OP_KINDS + 1)) - 1) & ~uint256(1), "every op kind has cases");
        for (uint256 n = 0; n < probes.length; n++) {
            _checkProbe(cases[probes[n].caseIndex], probes[n], n);
        }
    }

    function _checkProbe(Case memory c, Probe memory p, uint256 n) private view {
        uint256 length = harness.programLength(c.opKind, c.params, c.inputShapeWords, c.outShapeWord, p.element);
        if (length != p.length) _fail(n, "length", length, p.length);
        Programs.Instr memory ins =
            harness.instruction(c.opKind, c.params, c.inputShapeWords, c.outShapeWord, p.element, p.index, c.step);
        if (ins.opcode != p.opcode) _fail(n, "opcode", ins.opcode, p.opcode);
        uint256 arity = p.operands.length / 3;
        if (ins.arity != arity) _fail(n, "arity", ins.arity, arity);
        for (uint256 r = 0; r < 3; r++) {
            Programs.Operand memory operand = ins.operands[r];
            bool used = r < arity;
            // operands past the arity are all zero
            uint256 kind = used ? p.operands[3 * r] : 0;
            uint256 a = used ? p.operands[3 * r + 1] : 0;
            uint256 b = used ? p.operands[3 * r + 2] : 0;
            if (operand.kind != kind) _fail(n, string.concat("operand ", vm.toString(r), " kind"), operand.kind, kind);
            if (operand.a != a) _fail(n, string.concat("operand ", vm.toString(r), " a"), operand.a, a);
            if (operand.b != b) _fail(n, string.concat("operand ", vm.toString(r), " b"), operand.b, b);
        }
    }

    function _fail(uint256 probe, string memory what, uint256 actual, uint256 expected) private pure {
        fail(
            string.concat(
                "probe ",
                vm.toString(probe),
                ": ",
                what,
                " is ",
                vm.toString(actual),
                ", Python says ",
                vm.toString(expected)
            )
        );
    }

    // ---------------------------------------------------------------- reverts

    function _vector(uint256 n) private pure returns (bytes32) {
        return bytes32((uint256(1) << 248) | (n << 216));
    }

    function _matrix(uint256 rows, uint256 columns) private pure returns (bytes32) {
        return bytes32((uint256(2) << 248) | (rows << 216) | (columns << 184));
    }

    function _shapes(bytes32 a) private pure returns (bytes32[] memory shapes) {
        shapes = new bytes32[](1);
        shapes[0] = a;
    }

    function _shapes(bytes32 a, bytes32 b) private pure returns (bytes32[] memory shapes) {
        shapes = new bytes32[](2);
        shapes[0] = a;
        shapes[1] = b;
    }

    function _params(uint256 a, uint256 b) private pure returns (uint256[] memory params) {
        params = new uint256[](2);
        params[0] = a;
        params[1] = b;
    }

    function test_instruction_elementOutOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ElementOutOfRange.selector, 12, 12));
        harness.instruction(
            OpKind.MATMUL, new uint256[](0), _shapes(_matrix(3, 2), _matrix(2, 4)), _matrix(3, 4), 12, 0, 0
        );
    }

    function test_instruction_indexOutOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.InstructionOutOfRange.selector, 4, 4));
        harness.instruction(
            OpKind.MATMUL, new uint256[](0), _shapes(_matrix(3, 2), _matrix(2, 4)), _matrix(3, 4), 11, 4, 0
        );
    }

    function test_instruction_unknownOpKind_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.UnknownOpKind.selector, 31));
        harness.instruction(31, new uint256[](0), _shapes(_vector(4)), _vector(4), 0, 0, 0);
    }

    function test_instruction_contractionMismatch_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.InputShapeMismatch.selector, OpKind.MATMUL, 1, _matrix(3, 4)));
        harness.instruction(
            OpKind.MATMUL, new uint256[](0), _shapes(_matrix(3, 2), _matrix(3, 4)), _matrix(3, 4), 0, 0, 0
        );
    }

    function test_instruction_wrongOutputShape_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.OutputShapeMismatch.selector, OpKind.MATMUL, _matrix(3, 4), _matrix(4, 3))
        );
        harness.instruction(
            OpKind.MATMUL, new uint256[](0), _shapes(_matrix(3, 2), _matrix(2, 4)), _matrix(4, 3), 0, 0, 0
        );
    }

    function test_instruction_binaryUnaryOpcode_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ParamInvalid.selector, OpKind.BINARY, 0, 5));
        harness.instruction(OpKind.BINARY, _params(5, 0), _shapes(_vector(4), _vector(4)), _vector(4), 0, 0, 0);
    }

    function test_instruction_wrongInputCount_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.InputCountMismatch.selector, OpKind.BINARY, 2, 1));
        harness.instruction(OpKind.BINARY, _params(1, 0), _shapes(_vector(4)), _vector(4), 0, 0, 0);
    }

    function test_instruction_wrongParamCount_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ParamCountMismatch.selector, OpKind.SGD, 1, 2));
        harness.instruction(OpKind.SGD, _params(1, 0), _shapes(_vector(4), _vector(4)), _vector(4), 0, 0, 0);
    }

    function test_instruction_meanOverMoreThan2pow24_reverts() public {
        uint256[] memory params = new uint256[](4);
        params[0] = 1; // ADD
        params[1] = 0;
        params[2] = 1;
        params[3] = 1; // mean
        uint256 count = (1 << 24) + 1;
        vm.expectRevert(abi.encodeWithSelector(Errors.CountNotExactFloat32.selector, count));
        harness.instruction(OpKind.REDUCE, params, _shapes(_vector(count)), bytes32(0), 0, count, 0);
    }

    function test_instruction_nonCanonicalShapeWord_reverts() public {
        bytes32 bad = _vector(4) | bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(Errors.ShapeWordInvalid.selector, bad));
        harness.instruction(OpKind.EXP, new uint256[](0), _shapes(bad), bad, 0, 0, 0);
    }

    function test_instruction_batchGatherRowCountMismatch_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.ParamInvalid.selector, OpKind.BATCH_GATHER, 1, 5));
        harness.instruction(OpKind.BATCH_GATHER, _params(7, 5), _shapes(_matrix(6, 3)), _matrix(2, 3), 0, 0, 1);
    }

    function test_instruction_affineCoefficientOf2pow127_reverts() public {
        // reshape of 4 elements: out (4,), in (4,), coef [[2**127]], offset 0, div 1, out shape (4,)
        uint256[] memory params = new uint256[](10);
        params[0] = 1;
        params[2] = 1;
        params[3] = 4;
        params[4] = 4;
        params[5] = 1 << 127;
        params[7] = 1;
        params[8] = 1;
        params[9] = 4;
        vm.expectRevert(abi.encodeWithSelector(Errors.AffineValueTooLarge.selector, OpKind.COPY));
        harness.instruction(OpKind.COPY, params, _shapes(_vector(4)), _vector(4), 1, 0, 0);
    }

    function test_instruction_batchGatherDependsOnStep() public view {
        uint256[] memory params = _params(42, 1000);
        bytes32[] memory shapes = _shapes(_matrix(1000, 3));
        Programs.Instr memory a = harness.instruction(OpKind.BATCH_GATHER, params, shapes, _matrix(4, 3), 7, 0, 1);
        Programs.Instr memory b = harness.instruction(OpKind.BATCH_GATHER, params, shapes, _matrix(4, 3), 7, 0, 2);
        uint256 rowA = uint256(keccak256(abi.encode(uint256(42), uint256(1), uint256(2)))) % 1000;
        uint256 rowB = uint256(keccak256(abi.encode(uint256(42), uint256(2), uint256(2)))) % 1000;
        assertEq(a.operands[0].b, rowA * 3 + 1, "step 1 row");
        assertEq(b.operands[0].b, rowB * 3 + 1, "step 2 row");
    }
}
