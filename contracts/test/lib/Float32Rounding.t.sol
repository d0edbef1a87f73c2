// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {Float32, F32} from "../../src/lib/Float32.sol";

/// @notice A second oracle, independent of numpy and of the library's algorithm: for random
///         finite nonzero operands, the result of MUL, DIV, SQRT and FMA must be the correctly rounded
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

    /// forge-config: default.fuzz.runs = 20000
    function testFuzz_fma_isCorrectlyRounded(uint32 a, uint32 b, uint32 c) public pure {
        (a, b, c) = (_finiteNonzero(a), _finiteNonzero(b), _finiteNonzero(c));
        _assertFmaRounded(a, b, c, _fma(a, b, c));
    }

    /// forge-config: default.fuzz.runs = 20000
    function testFuzz_fma_isCorrectlyRounded_nearCancellation(uint32 a, uint32 b, uint32 c) public pure {
        // c's exponent within ±30 of the product's: alignment, cancellation, ties
        (a, b) = (_withExponent(_finiteNonzero(a), 64, 180), _withExponent(_finiteNonzero(b), 64, 180));
        uint256 product = ((a >> 23) & 0xFF) + ((b >> 23) & 0xFF) - 127; // 1 .. 233
        c = _withExponent(_finiteNonzero(c), product < 30 ? 0 : product - 30, product + 21);
        _assertFmaRounded(a, b, c, _fma(a, b, c));
        // and c = -(a * b rounded) + c's low bits: the exact residual of the product
        uint32 negated = Float32.execute(Float32.MUL, a, b, 0) ^ 0x80000000;
        uint32 near = uint32(uint256(negated) + (c & 3)) - 1;
        _assertFmaRounded(a, b, near, _fma(a, b, near));
    }

    function test_fmaOracle_rejectsWrongResults() public pure {
        // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24: a tie, to even 0x3F801000; + 2^-149 rounds up
        assertTrue(_isFmaRounded(0x3F800800, 0x3F800800, 0x80000000 | 1, 0x3F801000), "below the tie");
        assertFalse(_isFmaRounded(0x3F800800, 0x3F800800, 0x00000001, 0x3F801000), "above the tie");
        assertTrue(_isFmaRounded(0x3F800800, 0x3F800800, 0x00000001, 0x3F801001), "above the tie, up");
        assertTrue(_isFmaRounded(0x3F800000, 0x3F800000, 0xBF800000, 0), "1 - 1 = +0");
        assertFalse(_isFmaRounded(0x3F800000, 0x3F800000, 0xBF800000, 0x80000000), "1 - 1 is not -0");
        assertTrue(_isFmaRounded(0x80000001, 0x00000001, 0x00000001, 0x00000001), "2^-149 - 2^-298");
        assertFalse(_isFmaRounded(0x80000001, 0x00000001, 0x00000001, 0), "2^-149 - 2^-298 is not 0");
        assertTrue(_isFmaRounded(0x80000001, 0x00000001, 0x80000001, 0x80000001), "-2^-149 - 2^-298");
        assertTrue(_isFmaRounded(0x00000001, 0x3F000000, 0x80000001, 0x80000000), "-2^-150: -0");
        assertFalse(_isFmaRounded(0x00000001, 0x3F000000, 0x80000001, 0), "-2^-150 is not +0");
        assertTrue(_isFmaRounded(MAX_FINITE, MAX_FINITE, 0xFF7FFFFF, INF), "overflow");
        assertFalse(_isFmaRounded(MAX_FINITE, 0x40000000, 0xFF7FFFFF, INF), "2 max - max is max");
        assertTrue(_isFmaRounded(0x1B800000, 0x1B800000, 0x3F800000, 0x3F800000), "1 + 2^-144");
        assertFalse(_isFmaRounded(0x1B800000, 0x1B800000, 0x3F800000, 0x3F800001), "1 + 2^-144 up");
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

    // ---------------------------------------------------------------- the FMA oracle

    /// @dev A term of an exact sum: (negative ? -1 : 1) * m * 2^e, m < 2^64.
    struct Term {
        bool negative;
        uint256 m;
        int256 e;
    }

    function _fma(uint32 a, uint32 b, uint32 c) private pure returns (uint32) {
        return F32.unwrap(Float32.fma(F32.wrap(a), F32.wrap(b), F32.wrap(c)));
    }

    function _assertFmaRounded(uint32 a, uint32 b, uint32 c, uint32 result) private pure {
        if (!_isFmaRounded(a, b, c, result)) {
            fail(
                string.concat(
                    "fma not correctly rounded: a ",
                    vm.toString(bytes32(uint256(a))),
                    " b ",
                    vm.toString(bytes32(uint256(b))),
                    " c ",
                    vm.toString(bytes32(uint256(c))),
                    " gave ",
                    vm.toString(bytes32(uint256(result)))
                )
            );
        }
    }

    /// @dev Whether `result` is a * b + c (finite nonzero operands) rounded to nearest-even: the
    ///      sign of the exact sum S (+0 for S = 0), and |S| between the midpoints around |result|
    ///      (as `_isRounded`), all by exact sign computations of sums of three terms.
    function _isFmaRounded(uint32 a, uint32 b, uint32 c, uint32 result) private pure returns (bool) {
        bool negative = (result & 0x80000000) != 0;
        uint32 magnitude = result & 0x7FFFFFFF;
        if (magnitude > INF) return false;
        int256 sign = _compareFma(a, b, c, negative, 0, 0); // sign of ±S
        if (sign == 0) return result == 0; // exact cancellation: +0
        if (sign < 0) return false; // the wrong sign
        if (magnitude == INF) {
            (uint256 maxN, int256 maxF) = _midpointAbove(MAX_FINITE);
            return _compareFma(a, b, c, negative, maxN, maxF) >= 0;
        }
        bool even = (magnitude & 1) == 0;
        (uint256 hiN, int256 hiF) = _midpointAbove(magnitude);
        int256 above = _compareFma(a, b, c, negative, hiN, hiF);
        if (above > 0 || (above == 0 && !even)) return false;
        if (magnitude == 0) return true;
        (uint256 loN, int256 loF) = _midpointBelow(magnitude);
        int256 below = _compareFma(a, b, c, negative, loN, loF);
        return below > 0 || (below == 0 && even);
    }

    /// @dev Sign of ((flip ? -1 : 1) * (a * b + c) - n * 2^f), exactly.
    function _compareFma(uint32 a, uint32 b, uint32 c, bool flip, uint256 n, int256 f) private pure returns (int256) {
        Term memory x = _term(a, flip);
        Term memory y = _term(b, false);
        Term[3] memory terms;
        terms[0] = Term(x.negative != y.negative, x.m * y.m, x.e + y.e);
        terms[1] = _term(c, flip);
        terms[2] = Term(true, n, f); // n = 0: no term
        return _signOfSum(terms);
    }

    /// @dev The finite value `bits` (negated if `flip`) as a term.
    function _term(uint32 bits, bool flip) private pure returns (Term memory) {
        (uint256 m, int256 e) = _unpack(bits & 0x7FFFFFFF);
        return Term((bits & 0x80000000 != 0) != flip, m, e - 150);
    }

    /// @dev Sign of the sum of three terms, exactly. Terms far apart are decided without
    ///      shifting them together: a term wholly below the grid of the others (its magnitude
    ///      under 2^e of both) only decides when they cancel; a term above both others (its
    ///      magnitude at least 2^e, theirs together below it) decides alone. Otherwise all lie
    ///      within about 150 bits and are added exactly on the lowest grid.
    function _signOfSum(Term[3] memory t) private pure returns (int256) {
        // order by grid exponent: t[0].e <= t[1].e <= t[2].e (zero terms first, they never matter)
        for (uint256 i = 0; i < 3; i++) {
            if (t[i].m == 0) t[i].e = type(int128).min;
        }
        if (t[0].e > t[1].e) (t[0], t[1]) = (t[1], t[0]);
        if (t[1].e > t[2].e) (t[1], t[2]) = (t[2], t[1]);
        if (t[0].e > t[1].e) (t[0], t[1]) = (t[1], t[0]);
        if (t[0].m == 0) return _signOfPair(t[1], t[2]);
        if (_top(t[0]) <= t[1].e) {
            int256 rest = _signOfPair(t[1], t[2]);
            return rest != 0 ? rest : (t[0].negative ? int256(-1) : int256(1));
        }
        int256 lowerTop = _top(t[0]) > _top(t[1]) ? _top(t[0]) : _top(t[1]);
        if (lowerTop + 1 <= t[2].e) return t[2].negative ? int256(-1) : int256(1);
        // here t[0] reaches into t[1]'s grid and t[2]'s grid into theirs: within about 150 bits
        int256 highest = lowerTop > _top(t[2]) ? lowerTop : _top(t[2]);
        require(highest - t[0].e < 250, "oracle: span");
        int256 total;
        for (uint256 i = 0; i < 3; i++) {
            int256 value = int256(t[i].m << uint256(t[i].e - t[0].e));
            total += t[i].negative ? -value : value;
        }
        return total > 0 ? int256(1) : (total < 0 ? int256(-1) : int256(0));
    }

    /// @dev Sign of the sum of two nonzero terms with x.e <= y.e, exactly.
    function _signOfPair(Term memory x, Term memory y) private pure returns (int256) {
        if (_top(x) <= y.e) return y.negative ? int256(-1) : int256(1); // |x| < 2^y.e <= |y|
        require(_top(y) - x.e < 250, "oracle: span");
        int256 vx = int256(x.m);
        int256 vy = int256(y.m << uint256(y.e - x.e));
        int256 total = (x.negative ? -vx : vx) + (y.negative ? -vy : vy);
        return total > 0 ? int256(1) : (total < 0 ? int256(-1) : int256(0));
    }

    /// @dev An exponent above the term's magnitude: |term| < 2^top.
    function _top(Term memory term) private pure returns (int256) {
        uint256 bits;
        for (uint256 m = term.m; m != 0; m >>= 1) {
            bits++;
        }
        return term.e + int256(bits);
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
