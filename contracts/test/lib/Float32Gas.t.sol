// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {VmFiles} from "../utils/VmFiles.sol";
import {Float32, F32} from "../../src/lib/Float32.sol";

/// @notice Gas of `Float32.execute` (internal call, dispatch included) per opcode over every vector
///         of `vectors/float32/`: "typical" is the mean over vectors whose operands and result
///         are finite nonzero normals (for SELECT, NEG, ABS, COPY and the comparisons: over all
///         non-NaN operands), "worst" the maximum over all vectors. `forge test -vv` prints them;
///         `contracts/GAS-float32.md` records them. Each opcode must stay under GAS_CEILING, so a
///         change that makes the one-step proof dearer fails here first.
contract Float32GasTest is Test {
    event log_named_uint(string key, uint256 val);

    VmFiles private constant files = VmFiles(address(vm));

    /// @dev The budget of one primitive inside the 150k one-step proof.
    uint256 private constant GAS_CEILING = 2_000;

    function test_gas_add() public {
        _measure("ADD", Float32.ADD, 2);
    }

    function test_gas_sub() public {
        _measure("SUB", Float32.SUB, 2);
    }

    function test_gas_mul() public {
        _measure("MUL", Float32.MUL, 2);
    }

    function test_gas_div() public {
        _measure("DIV", Float32.DIV, 2);
    }

    function test_gas_sqrt() public {
        _measure("SQRT", Float32.SQRT, 1);
    }

    function test_gas_max() public {
        _measure("MAX", Float32.MAX, 2);
    }

    function test_gas_min() public {
        _measure("MIN", Float32.MIN, 2);
    }

    function test_gas_select() public {
        _measure("SELECT", Float32.SELECT, 3);
    }

    function test_gas_lt() public {
        _measure("LT", Float32.LT, 2);
    }

    function test_gas_le() public {
        _measure("LE", Float32.LE, 2);
    }

    function test_gas_eq() public {
        _measure("EQ", Float32.EQ, 2);
    }

    function test_gas_neg() public {
        _measure("NEG", Float32.NEG, 1);
    }

    function test_gas_abs() public {
        _measure("ABS", Float32.ABS, 1);
    }

    function test_gas_copy() public {
        _measure("COPY", Float32.COPY, 1);
    }

    function _measure(string memory name, uint8 opcode, uint256 arity) private {
        bytes memory data = files.readFileBinary(string.concat("../vectors/float32/", name, ".bin"));
        uint256 recordSize = 4 * (arity + 1);
        uint256 count = data.length / recordSize;
        uint256 worst;
        uint256 typicalSum;
        uint256 typicalCount;
        for (uint256 i = 0; i < count; i++) {
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 0x20), mul(i, recordSize)))
            }
            (uint256 spent, bool typical) = _run(word, opcode, arity);
            if (spent > worst) worst = spent;
            if (typical) {
                typicalSum += spent;
                typicalCount++;
            }
        }
        assertTrue(typicalCount > 0, "no typical vectors");
        emit log_named_uint(string.concat(name, " typical gas"), typicalSum / typicalCount);
        emit log_named_uint(string.concat(name, " worst gas"), worst);
        emit log_named_uint(string.concat(name, " vectors measured"), count);
        assertLe(worst, GAS_CEILING, string.concat(name, " worst-case gas"));
    }

    /// @dev Gas of one execute on the record in `word`, and whether the record is typical.
    function _run(uint256 word, uint8 opcode, uint256 arity) private view returns (uint256 spent, bool typical) {
        uint32 x0 = uint32(word >> 224);
        uint32 x1 = arity > 1 ? uint32(word >> 192) : 0;
        uint32 x2 = arity > 2 ? uint32(word >> 160) : 0;
        uint256 before = gasleft();
        uint32 result = Float32.execute(opcode, x0, x1, x2);
        spent = before - gasleft();
        typical = opcode <= Float32.SQRT
            ? _isNormal(x0) && (arity == 1 || _isNormal(x1)) && _isNormal(result)
            : !_isNaN(x0) && (arity == 1 || !_isNaN(x1));
    }

    function _isNormal(uint32 bits) private pure returns (bool) {
        uint32 exponent = (bits >> 23) & 0xFF;
        return exponent != 0 && exponent != 0xFF;
    }

    function _isNaN(uint32 bits) private pure returns (bool) {
        return bits & 0x7FFFFFFF > 0x7F800000;
    }
}

/// @notice Gas of `Float32.fma` (a direct internal call: it is no opcode of `execute`) over every
///         vector of `vectors/float32/FMA.bin`; typical: all three operands and the result normal.
///         A contract of its own, so that `Float32GasTest`'s code, and with it the figures of
///         `execute`, do not depend on it.
contract Float32FmaGasTest is Test {
    event log_named_uint(string key, uint256 val);

    VmFiles private constant files = VmFiles(address(vm));

    /// @dev The budget of one primitive inside the 150k one-step proof.
    uint256 private constant GAS_CEILING = 2_000;

    function test_gas_fma() public {
        bytes memory data = files.readFileBinary("../vectors/float32/FMA.bin");
        uint256 count = data.length / 16;
        uint256 worst;
        uint256 typicalSum;
        uint256 typicalCount;
        for (uint256 i = 0; i < count; i++) {
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 0x20), mul(i, 16)))
            }
            (uint256 spent, bool typical) = _runFma(word);
            if (spent > worst) worst = spent;
            if (typical) {
                typicalSum += spent;
                typicalCount++;
            }
        }
        assertTrue(typicalCount > 0, "no typical vectors");
        emit log_named_uint("FMA typical gas", typicalSum / typicalCount);
        emit log_named_uint("FMA worst gas", worst);
        emit log_named_uint("FMA vectors measured", count);
        assertLe(worst, GAS_CEILING, "FMA worst-case gas");
    }

    function _runFma(uint256 word) private view returns (uint256 spent, bool typical) {
        F32 a = F32.wrap(uint32(word >> 224));
        F32 b = F32.wrap(uint32(word >> 192));
        F32 c = F32.wrap(uint32(word >> 160));
        uint256 before = gasleft();
        F32 result = Float32.fma(a, b, c);
        spent = before - gasleft();
        typical = _isNormal(a.toBits()) && _isNormal(b.toBits()) && _isNormal(c.toBits()) && _isNormal(result.toBits());
    }

    function _isNormal(uint32 bits) private pure returns (bool) {
        uint32 exponent = (bits >> 23) & 0xFF;
        return exponent != 0 && exponent != 0xFF;
    }
}
