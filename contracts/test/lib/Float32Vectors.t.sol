// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {Hex} from "../utils/Hex.sol";
import {VmFiles} from "../utils/VmFiles.sol";
import {Float32} from "../../src/lib/Float32.sol";

/// @notice Differential test of `Float32.execute` against numpy float32: every vector of
///         `vectors/float32/<OPCODE>.bin` (written by `python -m tools.generate.float32_vectors`
///         from `tribunal.repops.core.primitives.apply_bits`) must match bit for bit.
///         A file is a sequence of big-endian uint32 records: the operands, then the expected result.
contract Float32VectorsTest is Test {
    /// @notice How many vectors of `opcode` were checked (shown with `forge test -vv`).
    event log_named_uint(string key, uint256 val);

    VmFiles private constant files = VmFiles(address(vm));

    function test_add_matchesNumpy() public {
        _checkFile("ADD", Float32.ADD, 2);
    }

    function test_sub_matchesNumpy() public {
        _checkFile("SUB", Float32.SUB, 2);
    }

    function test_mul_matchesNumpy() public {
        _checkFile("MUL", Float32.MUL, 2);
    }

    function test_div_matchesNumpy() public {
        _checkFile("DIV", Float32.DIV, 2);
    }

    function test_sqrt_matchesNumpy() public {
        _checkFile("SQRT", Float32.SQRT, 1);
    }

    function test_max_matchesNumpy() public {
        _checkFile("MAX", Float32.MAX, 2);
    }

    function test_min_matchesNumpy() public {
        _checkFile("MIN", Float32.MIN, 2);
    }

    function test_select_matchesNumpy() public {
        _checkFile("SELECT", Float32.SELECT, 3);
    }

    function test_lt_matchesNumpy() public {
        _checkFile("LT", Float32.LT, 2);
    }

    function test_le_matchesNumpy() public {
        _checkFile("LE", Float32.LE, 2);
    }

    function test_eq_matchesNumpy() public {
        _checkFile("EQ", Float32.EQ, 2);
    }

    function test_neg_matchesNumpy() public {
        _checkFile("NEG", Float32.NEG, 1);
    }

    function test_abs_matchesNumpy() public {
        _checkFile("ABS", Float32.ABS, 1);
    }

    function test_copy_matchesNumpy() public {
        _checkFile("COPY", Float32.COPY, 1);
    }

    function _checkFile(string memory name, uint8 opcode, uint256 arity) private {
        bytes memory data = files.readFileBinary(string.concat("../vectors/float32/", name, ".bin"));
        uint256 recordSize = 4 * (arity + 1);
        assertEq(data.length % recordSize, 0, string.concat(name, ".bin: truncated record"));
        uint256 count = data.length / recordSize;
        assertTrue(count > 0, string.concat(name, ".bin: no vectors"));
        uint256 resultShift = 224 - 32 * arity;
        for (uint256 i = 0; i < count; i++) {
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 0x20), mul(i, recordSize)))
            }
            uint32 x0 = uint32(word >> 224);
            uint32 x1 = arity > 1 ? uint32(word >> 192) : 0;
            uint32 x2 = arity > 2 ? uint32(word >> 160) : 0;
            uint32 expected = uint32(word >> resultShift);
            uint32 actual = Float32.execute(opcode, x0, x1, x2);
            if (actual != expected) {
                fail(
                    string.concat(
                        name,
                        " vector ",
                        vm.toString(i),
                        ": operands ",
                        Hex.bits32(x0),
                        " ",
                        Hex.bits32(x1),
                        " ",
                        Hex.bits32(x2),
                        " gave ",
                        Hex.bits32(actual),
                        ", numpy ",
                        Hex.bits32(expected)
                    )
                );
            }
        }
        emit log_named_uint(string.concat(name, " vectors checked"), count);
    }
}

/// @notice Differential test of `Float32.execute` against the project's shared vector file
///         `vectors/float32_ops.json` (`python -m tools.generate.float32_vectors`): each vector is
///         a hex string of the operands' bits then the result's, 8 digits each.
contract Float32SharedVectorsTest is Test {
    /// @notice How many vectors of an opcode were checked (shown with `forge test -vv`).
    event log_named_uint(string key, uint256 val);

    VmFiles private constant files = VmFiles(address(vm));
    string private constant VECTORS = "../vectors/float32_ops.json";

    function test_opcodeNumbers_matchFile() public view {
        string memory json = files.readFile(VECTORS);
        string[14] memory names =
            ["ADD", "SUB", "MUL", "DIV", "SQRT", "MAX", "MIN", "SELECT", "LT", "LE", "EQ", "NEG", "ABS", "COPY"];
        for (uint256 i = 0; i < names.length; i++) {
            assertEq(files.parseJsonUint(json, string.concat(".opcodes.", names[i])), i + 1, names[i]);
        }
        assertEq(Float32.COPY, 14);
    }

    function test_add_matchesSharedVectors() public {
        _checkOpcode("ADD", Float32.ADD, 2);
    }

    function test_sub_matchesSharedVectors() public {
        _checkOpcode("SUB", Float32.SUB, 2);
    }

    function test_mul_matchesSharedVectors() public {
        _checkOpcode("MUL", Float32.MUL, 2);
    }

    function test_div_matchesSharedVectors() public {
        _checkOpcode("DIV", Float32.DIV, 2);
    }

    function test_sqrt_matchesSharedVectors() public {
        _checkOpcode("SQRT", Float32.SQRT, 1);
    }

    function test_max_matchesSharedVectors() public {
        _checkOpcode("MAX", Float32.MAX, 2);
    }

    function test_min_matchesSharedVectors() public {
        _checkOpcode("MIN", Float32.MIN, 2);
    }

    function test_select_matchesSharedVectors() public {
        _checkOpcode("SELECT", Float32.SELECT, 3);
    }

    function test_lt_matchesSharedVectors() public {
        _checkOpcode("LT", Float32.LT, 2);
    }

    function test_le_matchesSharedVectors() public {
        _checkOpcode("LE", Float32.LE, 2);
    }

    function test_eq_matchesSharedVectors() public {
        _checkOpcode("EQ", Float32.EQ, 2);
    }

    function test_neg_matchesSharedVectors() public {
        _checkOpcode("NEG", Float32.NEG, 1);
    }

    function test_abs_matchesSharedVectors() public {
        _checkOpcode("ABS", Float32.ABS, 1);
    }

    function test_copy_matchesSharedVectors() public {
        _checkOpcode("COPY", Float32.COPY, 1);
    }

    function _checkOpcode(string memory name, uint8 opcode, uint256 arity) private {
        string[] memory rows = files.parseJsonStringArray(files.readFile(VECTORS), string.concat(".vectors.", name));
        assertTrue(rows.length > 0, string.concat(name, ": no vectors"));
        uint256 digits = 8 * (arity + 1);
        for (uint256 i = 0; i < rows.length; i++) {
            bytes memory row = bytes(rows[i]);
            assertEq(row.length, digits, string.concat(name, ": vector width"));
            uint256 word = _parseHex(row);
            uint256 expected = word & 0xFFFFFFFF;
            uint256 operands = word >> 32;
            uint32 x0 = uint32(operands >> (32 * (arity - 1)));
            uint32 x1 = arity > 1 ? uint32(operands >> (32 * (arity - 2))) : 0;
            uint32 x2 = arity > 2 ? uint32(operands) : 0;
            uint32 actual = Float32.execute(opcode, x0, x1, x2);
            if (actual != expected) {
                fail(
                    string.concat(
                        name, " vector ", vm.toString(i), " (", rows[i], "): got ", vm.toString(uint256(actual))
                    )
                );
            }
        }
        emit log_named_uint(string.concat(name, " shared vectors checked"), rows.length);
    }

    /// @dev Lowercase or uppercase hex digits (at most 64) to an integer.
    function _parseHex(bytes memory text) private pure returns (uint256 value) {
        assembly ("memory-safe") {
            let length := mload(text)
            let start := add(text, 0x20)
            for { let i := 0 } lt(i, length) { i := add(i, 1) } {
                let c := byte(0, mload(add(start, i)))
                let digit := sub(c, 48)
                if gt(c, 57) { digit := sub(or(c, 0x20), 87) }
                value := or(shl(4, value), digit)
            }
        }
    }
}
