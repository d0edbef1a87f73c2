// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {Float32} from "../../src/lib/Float32.sol";

/// @notice A second oracle, independent of numpy and of the library's algorithm: for random
///         finite nonzero operands, the result of MUL, DIV and SQRT must be the correctly rounded
///         exact value. Checked by exact integer comparison of the exact result with the midpoints
///         between the returned float and its neighbours: it must lie strictly between them, or on
///         one of them with an even significand (round half to even). Overflow must mean the exact
///         value reaches the midpoint above the largest finite; zero that it is at most 2^-150.
contract Float32RoundingTest is Test {
    uint32 private constant INF = 0x7F800000;
    uint32 private constant MAX_FINITE = 0x7F7FFFFF;

    /// forge-config: default.fuzz.runs = 20000
    function testFuzz_mul_isCorrectlyRounded(uint32 a, uint32 b) public pure {
        (a, b) = (_finiteNonzero(a), _finiteNonzero(b));
        uint32 result = Float32.execute(Float32.MUL, a, b, 0);
        assertEq(result & 0x80000000, (a ^ b) & 0x80000000, "sign");
        _assertRounded(Float32.MUL, a, b, result & 0x7FFFFFFF);
    }

    /// forge-config: default.fuzz.runs = 20000
    function testFuzz_div_isCorrectlyRounded(uint32 a, uint32 b) public pure {
        (a, b) = (_finiteNonzero(a), _finiteNonzero(b));
        uint32 result = Float32.execute(Float32.DIV, a, b, 0);
        assertEq(result & 0x80000000, (a ^ b) & 0x80000000, "sign");
        _assertRounded(Float32.DIV, a, b, result & 0x7FFFFFFF);
    }

    /// forge-config: default.fuzz.runs = 20000
    function testFuzz_sqrt_isCorrectlyRounded(uint32 a) public pure {
        a = _finiteNonzero(a) & 0x7FFFFFFF;
        _assertRounded(Float32.SQRT, a, 0, Float32.execute(Float32.SQRT, a, 0, 0));
    }

    /// forge-config: default.fuzz.runs = 20000
    function testFuzz_mul_isCorrectlyRounded_nearTheSubnormalRange(uint32 a, uint32 b) public pure {
        // exponents summing to about 0..140: results around and below the smallest normal
        a = _withExponent(_finiteNonzero(a), 0, 127);
        b = _withExponent(_finiteNonzero(b), 0, 140 - ((a >> 23) & 0xFF));
        _assertRounded(Float32.MUL, a, b, Float32.execute(Float32.MUL, a, b, 0) & 0x7FFFFFFF);
    }

    function test_oracle_rejectsWrongResults() public pure {
        // the oracle itself: 1.5 * (1 + 2^-23) = 1.5 + 1.5 * 2^-23, a tie rounding to even 0x3FC00002
        assertTrue(_isRounded(Float32.MUL, 0x3FC00000, 0x3F800001, 0x3FC00002), "correct tie");
        assertFalse(_isRounded(Float32.MUL, 0x3FC00000, 0x3F800001, 0x3FC00001), "tie to odd");
        assertFalse(_isRounded(Float32.MUL, 0x3FC00000, 0x3F800001, 0x3FC00003), "too far");
        assertTrue(_isRounded(Float32.MUL, 0x00000001, 0x3F000000, 0), "2^-150 -> 0");
        assertFalse(_isRounded(Float32.MUL, 0x00000001, 0x3F000000, 1), "2^-150 -> min subnormal");
        assertTrue(_isRounded(Float32.MUL, MAX_FINITE, 0x40000000, INF), "overflow");
        assertFalse(_isRounded(Float32.MUL, MAX_FINITE, 0x3F800000, INF), "max * 1 is not inf");
        assertTrue(_isRounded(Float32.SQRT, 0x40000000, 0, 0x3FB504F3), "sqrt 2");
        assertFalse(_isRounded(Float32.SQRT, 0x40000000, 0, 0x3FB504F4), "sqrt 2 + ulp");
        assertTrue(_isRounded(Float32.DIV, 0x3F800000, 0x40400000, 0x3EAAAAAB), "1 / 3");
        assertFalse(_isRounded(Float32.DIV, 0x3F800000, 0x40400000, 0x3EAAAAAA), "1 / 3 truncated");
    }

    // ---------------------------------------------------------------- the oracle

    function _assertRounded(uint8 opcode, uint32 a, uint32 b, uint32 result) private pure {
        if (!_isRounded(opcode, a, b, result)) {
            fail(
                string.concat(
                    "not correctly rounded: op ",
                    vm.toString(uint256(opcode)),
                    " a ",
                    vm.toString(bytes32(uint256(a))),
                    " b ",
                    vm.toString(bytes32(uint256(b))),
                    " gave ",
                    vm.toString(bytes32(uint256(result)))
                )
            );
        }
    }

    /// @dev Whether magnitude bits `result` are the round-to-nearest-even value of |op(a, b)|.
    function _isRounded(uint8 opcode, uint32 a, uint32 b, uint32 result) private pure returns (bool) {
        if (result > INF) return false;
        (uint256 maxN, int256 maxF) = _midpointAbove(MAX_FINITE);
        if (result == INF) return _compare(opcode, a, b, maxN, maxF) >= 0;
        bool even = (result & 1) == 0;
        (uint256 hiN, int256 hiF) = _midpointAbove(result);
        int256 above = _compare(opcode, a, b, hiN, hiF);
        if (above > 0 || (above == 0 && !even)) return false;
        if (result == 0) return true;
        (uint256 loN, int256 loF) = _midpointBelow(result);
        int256 below = _compare(opcode, a, b, loN, loF);
        return below > 0 || (below == 0 && even);
    }

    /// @dev Significand (hidden bit included) and exponent of a finite magnitude: value m * 2^(e - 150).
    function _unpack(uint32 bits) private pure returns (uint256 m, int256 e) {
        uint256 biased = (bits >> 23) & 0xFF;
        m = bits & 0x7FFFFF;
        if (biased == 0) {
            e = 1;
        } else {
            m |= 0x800000;
            e = int256(biased);
        }
    }

    /// @dev The midpoint between magnitude `r` and the next float up, as n * 2^f.
    function _midpointAbove(uint32 r) private pure returns (uint256 n, int256 f) {
        (uint256 m, int256 e) = _unpack(r);
        return (2 * m + 1, e - 151);
    }

    /// @dev The midpoint between magnitude `r` (> 0) and the next float down, as n * 2^f; below a
    ///      power of two the gap is half as wide.
    function _midpointBelow(uint32 r) private pure returns (uint256 n, int256 f) {
        (uint256 m, int256 e) = _unpack(r);
        if (m == 0x800000 && e > 1) return (4 * m - 1, e - 152);
        return (2 * m - 1, e - 151);
    }

    /// @dev Sign of (|op(a, b)| - n * 2^f), computed exactly.
    function _compare(uint8 opcode, uint32 a, uint32 b, uint256 n, int256 f) private pure returns (int256) {
        (uint256 ma, int256 ea) = _unpack(a & 0x7FFFFFFF);
        (uint256 mb, int256 eb) = _unpack(b & 0x7FFFFFFF);
        if (opcode == Float32.MUL) {
            // ma * mb * 2^(ea + eb - 300) vs n * 2^f
            return _compareScaled(ma * mb, ea + eb - 300 - f, n);
        }
        if (opcode == Float32.DIV) {
            // ma * 2^(ea - 150) / (mb * 2^(eb - 150)) vs n * 2^f  <=>  ma * 2^(ea - eb - f) vs n * mb
            return _compareScaled(ma, ea - eb - f, n * mb);
        }
        // sqrt(ma * 2^(ea - 150)) vs n * 2^f  <=>  ma * 2^(ea - 150 - 2f) vs n^2
        return _compareScaled(ma, ea - 150 - 2 * f, n * n);
    }

    /// @dev Sign of (lhs * 2^k - rhs) for 0 < lhs, rhs < 2^128.
    function _compareScaled(uint256 lhs, int256 k, uint256 rhs) private pure returns (int256) {
        uint256 left = lhs;
        uint256 right = rhs;
        if (k >= 0) {
            if (k > 128) return 1;
            left = lhs << uint256(k);
        } else {
            if (k < -128) return -1;
            right = rhs << uint256(-k);
        }
        return left > right ? int256(1) : (left < right ? int256(-1) : int256(0));
    }

    // ---------------------------------------------------------------- inputs

    /// @dev `bits` made finite and nonzero: infinities and NaNs get exponent 254, zeros become
    ///      the smallest subnormal of their sign.
    function _finiteNonzero(uint32 bits) private pure returns (uint32) {
        if ((bits & INF) == INF) bits = (bits & 0x807FFFFF) | 0x7F000000;
        if ((bits & 0x7FFFFFFF) == 0) bits |= 1;
        return bits;
    }

    function _withExponent(uint32 bits, uint256 low, uint256 high) private pure returns (uint32) {
        uint256 exponent = bound((bits >> 23) & 0xFF, low, high);
        bits = uint32((bits & 0x807FFFFF) | (exponent << 23));
        return (bits & 0x7FFFFFFF) == 0 ? bits | 1 : bits;
    }
}
