// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {Float32, F32} from "../../src/lib/Float32.sol";

/// @notice Calls `Float32.execute` externally, so reverts can be asserted.
contract Float32Harness {
    function execute(uint8 opcode, uint32 x0, uint32 x1, uint32 x2) external pure returns (uint32) {
        return Float32.execute(opcode, x0, x1, x2);
    }
}

/// @notice Named IEEE-754 edge cases and oracle-free properties of `Float32`. The bit-exact
///         comparison with numpy is `Float32Vectors.t.sol`.
contract Float32Test is Test {
    uint32 private constant NAN = 0x7FC00000;
    uint32 private constant POS_ZERO = 0x00000000;
    uint32 private constant NEG_ZERO = 0x80000000;
    uint32 private constant ONE = 0x3F800000;
    uint32 private constant NEG_ONE = 0xBF800000;
    uint32 private constant TWO = 0x40000000;
    uint32 private constant HALF = 0x3F000000;
    uint32 private constant POS_INF = 0x7F800000;
    uint32 private constant NEG_INF = 0xFF800000;
    uint32 private constant MIN_SUBNORMAL = 0x00000001;
    uint32 private constant MAX_SUBNORMAL = 0x007FFFFF;
    uint32 private constant MIN_NORMAL = 0x00800000;
    uint32 private constant MAX_FINITE = 0x7F7FFFFF;

    Float32Harness private harness = new Float32Harness();

    function _exec(uint8 opcode, uint32 a, uint32 b) private pure returns (uint32) {
        return Float32.execute(opcode, a, b, 0);
    }

    function _eqBits(uint32 actual, uint32 expected, string memory what) private pure {
        assertEq(uint256(actual), uint256(expected), what);
    }

    // ---------------------------------------------------------------- dispatch

    function test_execute_unknownOpcode_reverts() public {
        uint8[3] memory unknown = [0, 15, 255];
        for (uint256 i = 0; i < unknown.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(Float32.UnknownOpcode.selector, unknown[i]));
            harness.execute(unknown[i], ONE, ONE, ONE);
        }
    }

    function test_execute_opcodeNumbers_matchPython() public pure {
        // tribunal.repops.Opcode: the numbers go on-chain and never change.
        assertEq(Float32.ADD, 1);
        assertEq(Float32.SUB, 2);
        assertEq(Float32.MUL, 3);
        assertEq(Float32.DIV, 4);
        assertEq(Float32.SQRT, 5);
        assertEq(Float32.MAX, 6);
        assertEq(Float32.MIN, 7);
        assertEq(Float32.SELECT, 8);
        assertEq(Float32.LT, 9);
        assertEq(Float32.LE, 10);
        assertEq(Float32.EQ, 11);
        assertEq(Float32.NEG, 12);
        assertEq(Float32.ABS, 13);
        assertEq(Float32.COPY, 14);
    }

    function testFuzz_typedFunctions_matchExecute(uint32 a, uint32 b, uint32 c) public pure {
        F32 x = F32.wrap(a);
        F32 y = F32.wrap(b);
        _eqBits(x.add(y).toBits(), _exec(Float32.ADD, a, b), "add");
        _eqBits(x.sub(y).toBits(), _exec(Float32.SUB, a, b), "sub");
        _eqBits(x.mul(y).toBits(), _exec(Float32.MUL, a, b), "mul");
        _eqBits(x.div(y).toBits(), _exec(Float32.DIV, a, b), "div");
        _eqBits(x.sqrt().toBits(), _exec(Float32.SQRT, a, 0), "sqrt");
        _eqBits(x.max(y).toBits(), _exec(Float32.MAX, a, b), "max");
        _eqBits(x.min(y).toBits(), _exec(Float32.MIN, a, b), "min");
        _eqBits(F32.wrap(c).select(x, y).toBits(), Float32.execute(Float32.SELECT, c, a, b), "select");
        _eqBits(x.lt(y).toBits(), _exec(Float32.LT, a, b), "lt");
        _eqBits(x.le(y).toBits(), _exec(Float32.LE, a, b), "le");
        _eqBits(x.eq(y).toBits(), _exec(Float32.EQ, a, b), "eq");
        _eqBits(x.neg().toBits(), _exec(Float32.NEG, a, 0), "neg");
        _eqBits(x.abs().toBits(), _exec(Float32.ABS, a, 0), "abs");
        _eqBits(x.copy().toBits(), _exec(Float32.COPY, a, 0), "copy");
    }

    // ---------------------------------------------------------------- IEEE-754 edge cases

    function test_invalidOperations_giveCanonicalNaN() public pure {
        _eqBits(_exec(Float32.MUL, POS_ZERO, POS_INF), NAN, "0 * inf");
        _eqBits(_exec(Float32.MUL, NEG_INF, NEG_ZERO), NAN, "-inf * -0");
        _eqBits(_exec(Float32.ADD, POS_INF, NEG_INF), NAN, "inf + -inf");
        _eqBits(_exec(Float32.SUB, POS_INF, POS_INF), NAN, "inf - inf");
        _eqBits(_exec(Float32.DIV, POS_ZERO, NEG_ZERO), NAN, "0 / -0");
        _eqBits(_exec(Float32.DIV, NEG_INF, POS_INF), NAN, "-inf / inf");
        _eqBits(_exec(Float32.SQRT, NEG_ONE, 0), NAN, "sqrt(-1)");
        _eqBits(_exec(Float32.SQRT, 0x80000001, 0), NAN, "sqrt(-min subnormal)");
        _eqBits(_exec(Float32.SQRT, NEG_INF, 0), NAN, "sqrt(-inf)");
    }

    function test_nanPayloads_areCanonicalised() public pure {
        uint32[4] memory nans = [uint32(0x7F800001), 0xFFC00000, 0x7FFFFFFF, 0xFFBFFFFF];
        for (uint256 i = 0; i < nans.length; i++) {
            uint32 n = nans[i];
            _eqBits(_exec(Float32.ADD, n, ONE), NAN, "nan + 1");
            _eqBits(_exec(Float32.MUL, ONE, n), NAN, "1 * nan");
            _eqBits(_exec(Float32.SQRT, n, 0), NAN, "sqrt(nan)");
            _eqBits(_exec(Float32.MAX, n, ONE), NAN, "max(nan, 1)");
            _eqBits(_exec(Float32.MIN, ONE, n), NAN, "min(1, nan)");
            _eqBits(_exec(Float32.NEG, n, 0), NAN, "neg(nan)");
            _eqBits(_exec(Float32.ABS, n, 0), NAN, "abs(nan)");
            _eqBits(_exec(Float32.COPY, n, 0), NAN, "copy(nan)");
            _eqBits(Float32.execute(Float32.SELECT, ONE, n, ONE), NAN, "select(1, nan, 1)");
            _eqBits(_exec(Float32.LT, n, ONE), POS_ZERO, "nan < 1");
            _eqBits(_exec(Float32.LE, n, n), POS_ZERO, "nan <= nan");
            _eqBits(_exec(Float32.EQ, n, n), POS_ZERO, "nan == nan");
        }
    }

    function test_infinities_andDivisionByZero() public pure {
        _eqBits(_exec(Float32.DIV, ONE, POS_ZERO), POS_INF, "1 / 0");
        _eqBits(_exec(Float32.DIV, ONE, NEG_ZERO), NEG_INF, "1 / -0");
        _eqBits(_exec(Float32.DIV, NEG_ONE, POS_ZERO), NEG_INF, "-1 / 0");
        _eqBits(_exec(Float32.DIV, ONE, NEG_INF), NEG_ZERO, "1 / -inf");
        _eqBits(_exec(Float32.ADD, POS_INF, MAX_FINITE), POS_INF, "inf + max");
        _eqBits(_exec(Float32.MUL, NEG_INF, MIN_SUBNORMAL), NEG_INF, "-inf * min subnormal");
        _eqBits(_exec(Float32.SQRT, POS_INF, 0), POS_INF, "sqrt(inf)");
    }

    function test_signedZeros() public pure {
        _eqBits(_exec(Float32.ADD, NEG_ZERO, NEG_ZERO), NEG_ZERO, "-0 + -0");
        _eqBits(_exec(Float32.ADD, POS_ZERO, NEG_ZERO), POS_ZERO, "0 + -0");
        _eqBits(_exec(Float32.SUB, NEG_ZERO, POS_ZERO), NEG_ZERO, "-0 - 0");
        _eqBits(_exec(Float32.SUB, ONE, ONE), POS_ZERO, "1 - 1");
        _eqBits(_exec(Float32.ADD, NEG_ONE, ONE), POS_ZERO, "-1 + 1");
        _eqBits(_exec(Float32.MUL, NEG_ONE, POS_ZERO), NEG_ZERO, "-1 * 0");
        _eqBits(_exec(Float32.DIV, NEG_ZERO, TWO), NEG_ZERO, "-0 / 2");
        _eqBits(_exec(Float32.SQRT, NEG_ZERO, 0), NEG_ZERO, "sqrt(-0)");
        _eqBits(_exec(Float32.EQ, POS_ZERO, NEG_ZERO), ONE, "0 == -0");
        _eqBits(_exec(Float32.LT, NEG_ZERO, POS_ZERO), POS_ZERO, "-0 < 0");
        _eqBits(_exec(Float32.LE, POS_ZERO, NEG_ZERO), ONE, "0 <= -0");
        // max/min keep the second operand on equality (a > b ? a : b)
        _eqBits(_exec(Float32.MAX, POS_ZERO, NEG_ZERO), NEG_ZERO, "max(0, -0)");
        _eqBits(_exec(Float32.MAX, NEG_ZERO, POS_ZERO), POS_ZERO, "max(-0, 0)");
        _eqBits(_exec(Float32.MIN, POS_ZERO, NEG_ZERO), NEG_ZERO, "min(0, -0)");
        _eqBits(_exec(Float32.MIN, NEG_ZERO, POS_ZERO), POS_ZERO, "min(-0, 0)");
    }

    function test_select_conditions() public pure {
        uint32 a = 0x40490FDB;
        uint32 b = 0xC2F60000;
        _eqBits(Float32.execute(Float32.SELECT, POS_ZERO, a, b), b, "select(0)");
        _eqBits(Float32.execute(Float32.SELECT, NEG_ZERO, a, b), b, "select(-0)");
        _eqBits(Float32.execute(Float32.SELECT, NAN, a, b), a, "select(nan)");
        _eqBits(Float32.execute(Float32.SELECT, MIN_SUBNORMAL, a, b), a, "select(min subnormal)");
        _eqBits(Float32.execute(Float32.SELECT, NEG_INF, a, b), a, "select(-inf)");
        _eqBits(Float32.execute(Float32.SELECT, ONE, NEG_ZERO, b), NEG_ZERO, "select keeps -0");
    }

    function test_subnormals_areKept() public pure {
        _eqBits(_exec(Float32.MUL, MIN_NORMAL, HALF), 0x00400000, "min normal / 2");
        _eqBits(_exec(Float32.SUB, MIN_NORMAL, MIN_SUBNORMAL), MAX_SUBNORMAL, "min normal - min subnormal");
        _eqBits(_exec(Float32.ADD, MAX_SUBNORMAL, MIN_SUBNORMAL), MIN_NORMAL, "max subnormal + min subnormal");
        _eqBits(_exec(Float32.DIV, MIN_SUBNORMAL, MIN_SUBNORMAL), ONE, "min subnormal / itself");
        _eqBits(_exec(Float32.MUL, MIN_SUBNORMAL, 0x4B000000), MIN_NORMAL, "2^-149 * 2^23");
        _eqBits(_exec(Float32.SQRT, MIN_SUBNORMAL, 0), 0x1A3504F3, "sqrt(2^-149)");
        _eqBits(_exec(Float32.SQRT, 0x00000002, 0), 0x1A800000, "sqrt(2^-148)");
    }

    function test_ties_roundToEven() public pure {
        // 1 + 2^-24: exactly half an ulp above 1, 1 is even -> 1
        _eqBits(_exec(Float32.ADD, ONE, 0x33800000), ONE, "1 + half ulp");
        // (1 + 2^-23) + 2^-24: halfway between odd and even -> rounds up to 1 + 2^-22
        _eqBits(_exec(Float32.ADD, 0x3F800001, 0x33800000), 0x3F800002, "odd + half ulp");
        // 2^-149 * 0.5 = 2^-150: halfway between 0 and the smallest subnormal -> 0
        _eqBits(_exec(Float32.MUL, MIN_SUBNORMAL, HALF), POS_ZERO, "min subnormal / 2");
        // 3 * 2^-150 -> 2^-148 (even)
        _eqBits(_exec(Float32.MUL, 0x00000003, HALF), 0x00000002, "3 * 2^-150");
        // 2^-149 * 0.75: above half -> rounds up to the smallest subnormal
        _eqBits(_exec(Float32.MUL, MIN_SUBNORMAL, 0x3F400000), MIN_SUBNORMAL, "0.75 * min subnormal");
        _eqBits(_exec(Float32.DIV, 0x00000003, TWO), 0x00000002, "3 * 2^-149 / 2");
    }

    function test_overflow_andUnderflow() public pure {
        _eqBits(_exec(Float32.MUL, MAX_FINITE, TWO), POS_INF, "max * 2");
        _eqBits(_exec(Float32.ADD, MAX_FINITE, MAX_FINITE), POS_INF, "max + max");
        // max + half its ulp (2^103): a tie, max's significand is odd -> overflows to inf
        _eqBits(_exec(Float32.ADD, MAX_FINITE, 0x73000000), POS_INF, "max + half ulp");
        // max + just under half its ulp stays max
        _eqBits(_exec(Float32.ADD, MAX_FINITE, 0x72FFFFFF), MAX_FINITE, "max + under half ulp");
        _eqBits(_exec(Float32.DIV, MAX_FINITE, 0x3F000000), POS_INF, "max / 0.5");
        _eqBits(_exec(Float32.DIV, 0x80000001, MAX_FINITE), NEG_ZERO, "-min subnormal / max");
        _eqBits(_exec(Float32.MUL, 0x1F800000, 0x1F800000), 0x00200000, "2^-64 * 2^-64 (subnormal)");
        _eqBits(_exec(Float32.MUL, 0x0D800000, 0x8D800000), NEG_ZERO, "2^-100 * -2^-100");
    }

    // ---------------------------------------------------------------- properties (no oracle)

    function testFuzz_add_commutes(uint32 a, uint32 b) public pure {
        _eqBits(_exec(Float32.ADD, a, b), _exec(Float32.ADD, b, a), "a + b == b + a");
    }

    function testFuzz_mul_commutes(uint32 a, uint32 b) public pure {
        _eqBits(_exec(Float32.MUL, a, b), _exec(Float32.MUL, b, a), "a * b == b * a");
    }

    function testFuzz_sub_isAddOfNegation(uint32 a, uint32 b) public pure {
        _eqBits(_exec(Float32.SUB, a, b), _exec(Float32.ADD, a, b ^ 0x80000000), "a - b == a + (-b)");
    }

    function testFuzz_addNegativeZero_isIdentity(uint32 a) public pure {
        _eqBits(_exec(Float32.ADD, a, NEG_ZERO), _exec(Float32.COPY, a, 0), "a + -0 == a");
    }

    function testFuzz_addPositiveZero_isIdentityBarNegativeZero(uint32 a) public pure {
        uint32 expected = a == NEG_ZERO ? POS_ZERO : _exec(Float32.COPY, a, 0);
        _eqBits(_exec(Float32.ADD, a, POS_ZERO), expected, "a + 0");
    }

    function testFuzz_mulOne_isIdentity(uint32 a) public pure {
        _eqBits(_exec(Float32.MUL, a, ONE), _exec(Float32.COPY, a, 0), "a * 1 == a");
        _eqBits(_exec(Float32.DIV, a, ONE), _exec(Float32.COPY, a, 0), "a / 1 == a");
    }

    function testFuzz_negNeg_isCopy(uint32 a) public pure {
        uint32 once = _exec(Float32.NEG, a, 0);
        _eqBits(_exec(Float32.NEG, once, 0), _exec(Float32.COPY, a, 0), "neg(neg(a)) == a");
    }

    /// @dev `bits` with its biased exponent replaced by one in [low, high].
    function _withExponent(uint32 bits, uint256 low, uint256 high) private pure returns (uint32) {
        uint256 exponent = bound((bits >> 23) & 0xFF, low, high);
        return uint32((bits & 0x807FFFFF) | (exponent << 23));
    }

    function testFuzz_divSelf_isOne(uint32 a) public pure {
        a = _withExponent(a, 0, 254);
        if (a & 0x7FFFFFFF == 0) a = MIN_SUBNORMAL;
        _eqBits(_exec(Float32.DIV, a, a), ONE, "a / a == 1");
    }

    /// @dev In binary floating point with round-to-nearest, sqrt(fl(x * x)) == |x| whenever the
    ///      square neither overflows nor leaves the normal range.
    function testFuzz_sqrtOfSquare_isAbs(uint32 a) public pure {
        a = _withExponent(a, 64, 190);
        uint32 square = _exec(Float32.MUL, a, a);
        _eqBits(_exec(Float32.SQRT, square, 0), a & 0x7FFFFFFF, "sqrt(a * a) == |a|");
    }

    function testFuzz_mulByPowerOfTwo_isExact(uint32 a, uint8 k) public pure {
        // a * 2^k / 2^k == a while nothing overflows or leaves the normal range
        uint32 shift = uint32(k % 64);
        a = _withExponent(a, 1, 254 - shift);
        uint32 power = (127 + shift) << 23;
        uint32 scaled = _exec(Float32.MUL, a, power);
        _eqBits(scaled, a + (shift << 23), "a * 2^k");
        _eqBits(_exec(Float32.DIV, scaled, power), a, "a * 2^k / 2^k");
    }

    function testFuzz_compare_consistent(uint32 a, uint32 b) public pure {
        bool nan = (a & 0x7FFFFFFF) > POS_INF || (b & 0x7FFFFFFF) > POS_INF;
        bool lessAB = _exec(Float32.LT, a, b) == ONE;
        bool lessBA = _exec(Float32.LT, b, a) == ONE;
        bool lessEqualAB = _exec(Float32.LE, a, b) == ONE;
        bool equal = _exec(Float32.EQ, a, b) == ONE;
        _eqBits(_exec(Float32.EQ, a, b), _exec(Float32.EQ, b, a), "eq symmetric");
        if (nan) {
            assertFalse(lessAB || lessBA || lessEqualAB || equal, "NaN compares false");
            _eqBits(_exec(Float32.MAX, a, b), NAN, "max with NaN");
            _eqBits(_exec(Float32.MIN, a, b), NAN, "min with NaN");
            return;
        }
        // exactly one of a < b, a == b, b < a
        assertEq((lessAB ? 1 : 0) + (equal ? 1 : 0) + (lessBA ? 1 : 0), 1, "trichotomy");
        assertEq(lessEqualAB, lessAB || equal);
        _eqBits(_exec(Float32.MAX, a, b), lessBA ? a : b, "max = (b < a ? a : b)");
        _eqBits(_exec(Float32.MIN, a, b), lessAB ? a : b, "min = (a < b ? a : b)");
    }

    function testFuzz_select_picksByConditionMagnitude(uint32 c, uint32 a, uint32 b) public pure {
        uint32 picked = (c & 0x7FFFFFFF) != 0 ? a : b;
        _eqBits(Float32.execute(Float32.SELECT, c, a, b), _exec(Float32.COPY, picked, 0), "select");
    }

    function testFuzz_nanResults_areCanonical(uint8 opcode, uint32 a, uint32 b, uint32 c) public pure {
        opcode = uint8(bound(opcode, 1, 14));
        uint32 result = Float32.execute(opcode, a, b, c);
        if ((result & 0x7FFFFFFF) > POS_INF) _eqBits(result, NAN, "NaN result is canonical");
    }
}
