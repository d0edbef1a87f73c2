// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice An IEEE-754 binary32 value, carried as its raw bit pattern.
type F32 is uint32;

using Float32 for F32 global;

/// @title Float32
/// @notice IEEE-754 binary32 soft-float over raw bit patterns: the primitives of
///         `tribunal.repops.core.primitives`, bit for bit. Every result is rounded to nearest, ties to
///         even; subnormals are kept (no flush-to-zero, no denormals-are-zero); any NaN result is
///         the canonical NaN 0x7FC00000, whatever the operands' payloads. `execute` never fuses a multiply
///         and an add; `fma` is the one fused primitive, a separate library function.
///
///         How: an operand unpacks to an integer significand `m` and a biased exponent `e` with
///         value `m * 2^(e - 150)` (a subnormal reads as exponent 1 without the hidden bit). ADD, MUL, FMA,
///         DIV and SQRT compute their result as an integer `M` and exponent `E` with the same meaning,
///         exactly (ADD, MUL, FMA) or truncated with a sticky bit appended below the rounding position
///         (DIV, SQRT); `_roundPack` then rounds `M` once to 24 bits, or to the subnormal grid, and
///         packs it. No loops: SQRT's 7 Newton steps are unrolled.
///
///         Gas of `execute` (internal call, dispatch included), measured by
///         `test/lib/Float32Gas.t.sol` over the 174,597 vectors of `vectors/float32/`
///         (forge 1.7.1, solc 0.8.37, optimizer 200 runs, cancun). Typical = mean over finite
///         normal operands and result (comparisons, SELECT and sign ops: non-NaN operands);
///         worst = maximum over all vectors. See `contracts/GAS-float32.md`.
///
///         | opcode | typical | worst |
///         |--------|--------:|------:|
///         | ADD    |   1,266 | 1,288 |
///         | SUB    |   1,324 | 1,346 |
///         | MUL    |   1,167 | 1,186 |
///         | DIV    |   1,291 | 1,315 |
///         | SQRT   |   1,724 | 1,745 |
///         | MAX    |     504 |   532 |
///         | MIN    |     500 |   528 |
///         | SELECT |     353 |   358 |
///         | LT     |     527 |   554 |
///         | LE     |     525 |   553 |
///         | EQ     |     527 |   551 |
///         | NEG    |     329 |   329 |
///         | ABS    |     355 |   355 |
///         | COPY   |     375 |   375 |
///
///         `fma` (no opcode; a direct call, over `vectors/float32/FMA.bin`): typical 1,512, worst
///         1,580. Its differential test, `test/lib/Float32Fma.t.sol`, runs 10^6 vectors.
library Float32 {
    /// @notice Thrown by `execute` for an opcode number that names no primitive.
    error UnknownOpcode(uint8 opcode);

    // ---------------------------------------------------------------- opcodes (never renumber)

    uint8 internal constant ADD = 1;
    uint8 internal constant SUB = 2;
    uint8 internal constant MUL = 3;
    uint8 internal constant DIV = 4;
    uint8 internal constant SQRT = 5;
    uint8 internal constant MAX = 6;
    uint8 internal constant MIN = 7;
    uint8 internal constant SELECT = 8;
    uint8 internal constant LT = 9;
    uint8 internal constant LE = 10;
    uint8 internal constant EQ = 11;
    uint8 internal constant NEG = 12;
    uint8 internal constant ABS = 13;
    uint8 internal constant COPY = 14;

    // ---------------------------------------------------------------- bit patterns

    uint32 internal constant CANONICAL_NAN = 0x7FC00000;
    uint32 internal constant POS_ZERO = 0x00000000;
    uint32 internal constant NEG_ZERO = 0x80000000;
    uint32 internal constant ONE = 0x3F800000;
    uint32 internal constant POS_INF = 0x7F800000;
    uint32 internal constant NEG_INF = 0xFF800000;

    uint256 private constant SIGN_BIT = 0x80000000;
    uint256 private constant ABS_MASK = 0x7FFFFFFF;
    uint256 private constant INF_BITS = 0x7F800000;
    uint256 private constant NAN_BITS = 0x7FC00000;
    uint256 private constant ONE_BITS = 0x3F800000;
    uint256 private constant FRACTION_MASK = 0x007FFFFF;
    uint256 private constant HIDDEN_BIT = 0x00800000;

    /// @dev ADD aligns the smaller operand by at most this many bits: beyond 26 it only ever acts as
    ///      a sticky bit (it lies wholly below half an ulp of the larger one), so any larger
    ///      shift rounds the same way.
    uint256 private constant MAX_ALIGN_SHIFT = 40;

    /// @dev FMA shifts the addend with the larger exponent E (value m * 2^(E - 150)) left by at most
    ///      this many bits, so both stay below 2^120. Past 72 the smaller addend (nonzero) only
    ///      decides on which side of the larger one the sum falls: the larger one lies at least
    ///      2^(E - 175) (a product: >= 2^(E - 150), up to 48 bits) or 2^(E - 152) (c) from every
    ///      rounding boundary it is not on, and the smaller one, in its true place or moved up to
    ///      72 bits below E, is under 2^(E - 198) (c: 24 bits) or 2^(E - 174) (a product).
    int256 private constant FMA_MAX_ALIGN_SHIFT = 72;

    /// @dev DIV scales the dividend's significand by 2^64 so the quotient keeps at least 41 bits
    ///      (even for a subnormal dividend over a full divisor): 24 kept, a round bit, and more.
    uint256 private constant DIV_SCALE_BITS = 64;

    /// @dev SQRT takes the integer square root of the significand scaled by 2^100 (even), i.e. a
    ///      root of at least 50 bits.
    uint256 private constant SQRT_SCALE_BITS = 100;

    // ---------------------------------------------------------------- dispatch

    /// @notice Executes primitive `opcode` on the operands in the instruction's order and returns
    ///         the result's bits, exactly as `tribunal.repops.core.primitives.apply_bits`.
    /// @dev Unary primitives read `x0`, binary ones `x0, x1`; SELECT reads `x0` as the condition
    ///      and returns `x1` if it is not ±0 (NaN counts as true), else `x2`. Unused operands are
    ///      ignored.
    /// @param opcode The primitive's number (1 ADD … 14 COPY, as `tribunal.repops.Opcode`).
    /// @param x0 The first operand's bits.
    /// @param x1 The second operand's bits (binary primitives, SELECT).
    /// @param x2 The third operand's bits (SELECT only).
    /// @return The result's bits.
    function execute(uint8 opcode, uint32 x0, uint32 x1, uint32 x2) internal pure returns (uint32) {
        uint256 op = opcode;
        uint256 a = x0;
        uint256 b = x1;
        uint256 r;
        // Range checks, then equality: ADD takes two comparisons, MUL three, none more than seven.
        if (op <= MUL) {
            if (op == ADD) r = _add(a, b);
            else if (op == MUL) r = _mul(a, b);
            else if (op == SUB) r = _add(a, b ^ SIGN_BIT);
            else revert UnknownOpcode(opcode);
        } else if (op <= MAX) {
            if (op == DIV) r = _div(a, b);
            else if (op == SQRT) r = _sqrt(a);
            else r = _max(a, b);
        } else if (op <= LT) {
            if (op == MIN) r = _min(a, b);
            else if (op == SELECT) r = _canonical((a & ABS_MASK) != 0 ? b : uint256(x2));
            else r = _lt(a, b);
        } else if (op <= EQ) {
            if (op == LE) r = _le(a, b);
            else r = _eq(a, b);
        } else {
            if (op == NEG) r = _canonical(a ^ SIGN_BIT);
            else if (op == ABS) r = _canonical(a & ABS_MASK);
            else if (op == COPY) r = _canonical(a);
            else revert UnknownOpcode(opcode);
        }
        return uint32(r);
    }

    // ---------------------------------------------------------------- typed primitives

    /// @notice a + b.
    function add(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_add(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice a - b (= a + (-b), also for the signs of zeros).
    function sub(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_add(F32.unwrap(a), F32.unwrap(b) ^ SIGN_BIT)));
    }

    /// @notice a * b.
    function mul(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_mul(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice a / b.
    function div(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_div(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice sqrt(a); sqrt(-0) = -0, sqrt(x < 0) = NaN.
    function sqrt(F32 a) internal pure returns (F32) {
        return F32.wrap(uint32(_sqrt(F32.unwrap(a))));
    }

    /// @notice NaN if a or b is NaN, else `a > b ? a : b` (so max(+0, -0) = -0).
    function max(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_max(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice NaN if a or b is NaN, else `a < b ? a : b` (so min(+0, -0) = -0).
    function min(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_min(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice `ifTrue` if `condition` is not ±0 (NaN counts as true), else `ifFalse`.
    function select(F32 condition, F32 ifTrue, F32 ifFalse) internal pure returns (F32) {
        uint256 picked = (F32.unwrap(condition) & ABS_MASK) != 0 ? F32.unwrap(ifTrue) : F32.unwrap(ifFalse);
        return F32.wrap(uint32(_canonical(picked)));
    }

    /// @notice 1.0 if a < b else 0.0 (ordered: NaN gives 0.0).
    function lt(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_lt(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice 1.0 if a <= b else 0.0 (ordered: NaN gives 0.0).
    function le(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_le(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice 1.0 if a == b else 0.0 (+0 == -0; NaN equals nothing).
    function eq(F32 a, F32 b) internal pure returns (F32) {
        return F32.wrap(uint32(_eq(F32.unwrap(a), F32.unwrap(b))));
    }

    /// @notice a * b + c rounded once (IEEE-754 fusedMultiplyAdd, as C's fmaf): the exact value,
    ///         rounded to nearest-even. NaN for any NaN operand, for 0 * inf (whatever c is) and
    ///         for inf - inf; an exact zero sum is +0 unless a * b and c are both -0. Not an
    ///         opcode of `execute` (no program emits it): `tribunal.repops.core.primitives.fma_bits`.
    function fma(F32 a, F32 b, F32 c) internal pure returns (F32) {
        return F32.wrap(uint32(_fma(F32.unwrap(a), F32.unwrap(b), F32.unwrap(c))));
    }

    /// @notice a with its sign bit flipped (NaN stays the canonical NaN).
    function neg(F32 a) internal pure returns (F32) {
        return F32.wrap(uint32(_canonical(F32.unwrap(a) ^ SIGN_BIT)));
    }

    /// @notice a with its sign bit cleared (NaN stays the canonical NaN).
    function abs(F32 a) internal pure returns (F32) {
        return F32.wrap(uint32(_canonical(F32.unwrap(a) & ABS_MASK)));
    }

    /// @notice a itself, NaN replaced by the canonical NaN.
    function copy(F32 a) internal pure returns (F32) {
        return F32.wrap(uint32(_canonical(F32.unwrap(a))));
    }

    /// @notice Whether a is a NaN (any payload, either sign).
    function isNaN(F32 a) internal pure returns (bool) {
        return (F32.unwrap(a) & ABS_MASK) > INF_BITS;
    }

    /// @notice The bit pattern of a.
    function toBits(F32 a) internal pure returns (uint32) {
        return F32.unwrap(a);
    }

    /// @notice The value whose bit pattern is `bits`.
    function fromBits(uint32 bits) internal pure returns (F32) {
        return F32.wrap(bits);
    }

    // ---------------------------------------------------------------- arithmetic on bits
    // Operands and results are bit patterns held in uint256 (no narrowing inside the math).

    function _add(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            uint256 absA = a & ABS_MASK;
            uint256 absB = b & ABS_MASK;
            if (absA > INF_BITS || absB > INF_BITS) return NAN_BITS;
            if (absA == INF_BITS) {
                // Both infinite with different signs (their bits differ only in the sign): inf - inf.
                return absB == INF_BITS && a != b ? NAN_BITS : a;
            }
            if (absB == INF_BITS) return b;
            if (absB == 0) return absA == 0 ? a & b : a; // -0 + -0 = -0; +0 + -0 = +0
            if (absA == 0) return b;
            if (absA < absB) (a, b, absA, absB) = (b, a, absB, absA);
            // Now |a| >= |b| > 0, both finite: the result takes a's sign (or is +0).
            (uint256 ma, uint256 ea) = _unpack(absA);
            (uint256 mb, uint256 eb) = _unpack(absB);
            uint256 shift = ea - eb;
            if (shift > MAX_ALIGN_SHIFT) shift = MAX_ALIGN_SHIFT;
            // Exact: |a| ± |b| = (ma << shift ± mb) * 2^(ea - shift - 150) (up to the clamped shift).
            uint256 m = ((a ^ b) & SIGN_BIT) == 0 ? (ma << shift) + mb : (ma << shift) - mb;
            if (m == 0) return 0; // x + (-x) = +0 under round-to-nearest
            return _roundPack(a & SIGN_BIT, m, int256(ea) - int256(shift));
        }
    }

    function _mul(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            uint256 absA = a & ABS_MASK;
            uint256 absB = b & ABS_MASK;
            if (absA > INF_BITS || absB > INF_BITS) return NAN_BITS;
            uint256 sign = (a ^ b) & SIGN_BIT;
            if (absA == INF_BITS) return absB == 0 ? NAN_BITS : sign | INF_BITS; // 0 * inf = NaN
            if (absB == INF_BITS) return absA == 0 ? NAN_BITS : sign | INF_BITS;
            if (absA == 0 || absB == 0) return sign;
            (uint256 ma, uint256 ea) = _unpack(absA);
            (uint256 mb, uint256 eb) = _unpack(absB);
            // Exact: a * b = (ma * mb) * 2^(ea + eb - 300).
            return _roundPack(sign, ma * mb, int256(ea + eb) - 150);
        }
    }

    function _fma(uint256 a, uint256 b, uint256 c) private pure returns (uint256) {
        unchecked {
            uint256 absA = a & ABS_MASK;
            uint256 absB = b & ABS_MASK;
            uint256 absC = c & ABS_MASK;
            if (absA > INF_BITS || absB > INF_BITS || absC > INF_BITS) return NAN_BITS;
            uint256 sign = (a ^ b) & SIGN_BIT; // the product's
            if (absA == INF_BITS || absB == INF_BITS) {
                if (absA == 0 || absB == 0) return NAN_BITS; // 0 * inf
                // inf + (-inf) is NaN; otherwise the infinite product wins
                return absC == INF_BITS && (c & SIGN_BIT) != sign ? NAN_BITS : sign | INF_BITS;
            }
            if (absC == INF_BITS) return c;
            if (absA == 0 || absB == 0) return absC == 0 ? sign & c : c; // -0 + -0 = -0, else +0
            (uint256 ma, uint256 ea) = _unpack(absA);
            (uint256 mb, uint256 eb) = _unpack(absB);
            // Exact: a * b = (ma * mb) * 2^(ea + eb - 300), ma * mb < 2^48.
            if (absC == 0) return _roundPack(sign, ma * mb, int256(ea + eb) - 150); // a * b + ±0
            return _fmaSum(sign, ma * mb, int256(ea + eb) - 150, c);
        }
    }

    /// @dev Rounds signX * x * 2^(ex - 150) + c (x < 2^48, c finite nonzero): the addend with the
    ///      larger exponent goes onto the other's grid, shifted by at most FMA_MAX_ALIGN_SHIFT.
    function _fmaSum(uint256 signX, uint256 x, int256 ex, uint256 c) private pure returns (uint256) {
        unchecked {
            (uint256 y, uint256 ey) = _unpack(c & ABS_MASK);
            uint256 signY = c & SIGN_BIT;
            int256 shift = ex - int256(ey);
            if (shift < 0) {
                (x, y) = (y, x);
                (signX, signY) = (signY, signX);
                ex = int256(ey);
                shift = -shift;
            }
            if (shift > FMA_MAX_ALIGN_SHIFT) shift = FMA_MAX_ALIGN_SHIFT;
            // Exact up to the clamped shift: value = (x << shift ± y) * 2^(ex - shift - 150), x, y < 2^120.
            x <<= uint256(shift);
            ex -= shift;
            if (signX == signY) return _roundPack(signX, x + y, ex);
            if (x > y) return _roundPack(signX, x - y, ex);
            if (y > x) return _roundPack(signY, y - x, ex);
            return 0; // exact cancellation: +0 under round-to-nearest
        }
    }

    function _div(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            uint256 absA = a & ABS_MASK;
            uint256 absB = b & ABS_MASK;
            if (absA > INF_BITS || absB > INF_BITS) return NAN_BITS;
            uint256 sign = (a ^ b) & SIGN_BIT;
            if (absA == INF_BITS) return absB == INF_BITS ? NAN_BITS : sign | INF_BITS; // inf / inf = NaN
            if (absB == INF_BITS) return sign; // x / inf = ±0
            if (absB == 0) return absA == 0 ? NAN_BITS : sign | INF_BITS; // 0 / 0 = NaN, x / 0 = ±inf
            if (absA == 0) return sign;
            (uint256 ma, uint256 ea) = _unpack(absA);
            (uint256 mb, uint256 eb) = _unpack(absB);
            uint256 scaled = ma << DIV_SCALE_BITS;
            uint256 quotient = scaled / mb;
            // Truncated quotient with a sticky bit below it: rounds like the exact quotient because
            // the quotient has >= 41 bits, so the rounding position is >= 2 bits above the sticky.
            uint256 m = (quotient << 1) | (scaled % mb == 0 ? 0 : 1);
            // a / b ≈ m * 2^(ea - eb - DIV_SCALE_BITS - 1)
            return _roundPack(sign, m, int256(ea) - int256(eb) + int256(150 - DIV_SCALE_BITS - 1));
        }
    }

    function _sqrt(uint256 a) private pure returns (uint256) {
        unchecked {
            uint256 absA = a & ABS_MASK;
            if (absA > INF_BITS) return NAN_BITS;
            if (absA == 0) return a; // sqrt(±0) = ±0
            if ((a & SIGN_BIT) != 0) return NAN_BITS; // negative, -inf included
            if (absA == INF_BITS) return INF_BITS;
            (uint256 m, uint256 e) = _unpack(absA);
            // Make the exponent even (150 is even, so e - 150 is even iff e is).
            if ((e & 1) == 1) {
                m <<= 1;
                e -= 1;
            }
            // a = m * 2^(e - 150); sqrt(a) = sqrt(m * 2^100) * 2^((e - 250) / 2)
            uint256 n = m << SQRT_SCALE_BITS;
            uint256 root = _isqrt(n);
            uint256 sticky = root * root == n ? 0 : 1;
            // sqrt(a) ≈ (2 root + sticky) * 2^((e - 250) / 2 - 1); as an exponent E with
            // value M * 2^(E - 150): E = e / 2 - 125 - 1 + 150.
            return _roundPack(0, (root << 1) | sticky, int256(e >> 1) + 24);
        }
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        if ((a & ABS_MASK) > INF_BITS || (b & ABS_MASK) > INF_BITS) return NAN_BITS;
        return _orderKey(a) > _orderKey(b) ? a : b;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        if ((a & ABS_MASK) > INF_BITS || (b & ABS_MASK) > INF_BITS) return NAN_BITS;
        return _orderKey(a) < _orderKey(b) ? a : b;
    }

    function _lt(uint256 a, uint256 b) private pure returns (uint256) {
        if ((a & ABS_MASK) > INF_BITS || (b & ABS_MASK) > INF_BITS) return 0;
        return _orderKey(a) < _orderKey(b) ? ONE_BITS : 0;
    }

    function _le(uint256 a, uint256 b) private pure returns (uint256) {
        if ((a & ABS_MASK) > INF_BITS || (b & ABS_MASK) > INF_BITS) return 0;
        return _orderKey(a) <= _orderKey(b) ? ONE_BITS : 0;
    }

    function _eq(uint256 a, uint256 b) private pure returns (uint256) {
        if ((a & ABS_MASK) > INF_BITS || (b & ABS_MASK) > INF_BITS) return 0;
        return _orderKey(a) == _orderKey(b) ? ONE_BITS : 0;
    }

    // ---------------------------------------------------------------- helpers

    /// @dev NaN (any payload) becomes the canonical NaN; everything else is kept.
    function _canonical(uint256 x) private pure returns (uint256) {
        return (x & ABS_MASK) > INF_BITS ? NAN_BITS : x;
    }

    /// @dev A key whose unsigned order is the numeric order of non-NaN floats, with +0 and -0
    ///      equal: 2^31 + |x| for positives, 2^31 - |x| for negatives.
    function _orderKey(uint256 x) private pure returns (uint256) {
        unchecked {
            return x < SIGN_BIT ? x + SIGN_BIT : (SIGN_BIT << 1) - x;
        }
    }

    /// @dev Significand and biased exponent of a finite nonzero |x|: value = m * 2^(e - 150).
    ///      A subnormal reads as exponent 1 without the hidden bit.
    function _unpack(uint256 absX) private pure returns (uint256 m, uint256 e) {
        e = absX >> 23;
        m = absX & FRACTION_MASK;
        if (e == 0) e = 1;
        else m |= HIDDEN_BIT;
    }

    /// @dev Rounds `sign * m * 2^(e - 150)` (m > 0, m < 2^128) to binary32, nearest-even, and packs it.
    ///      The 24-bit window sits at the top of m, or on the subnormal grid (units of 2^-149)
    ///      when that is lower. A rounded significand of exactly 2^24 (or 2^23 on the subnormal
    ///      grid) carries into the exponent field by itself, because the packed bits are
    ///      `(exponent - 1) << 23` plus the significand with its hidden bit.
    function _roundPack(uint256 sign, uint256 m, int256 e) private pure returns (uint256 bits) {
        assembly ("memory-safe") {
            // n = bit length of m (m < 2^128)
            let n := shl(6, lt(0xffffffffffffffff, m))
            n := or(n, shl(5, lt(0xffffffff, shr(n, m))))
            n := or(n, shl(4, lt(0xffff, shr(n, m))))
            n := or(n, shl(3, lt(0xff, shr(n, m))))
            n := or(n, shl(2, lt(0xf, shr(n, m))))
            n := or(n, shl(1, lt(0x3, shr(n, m))))
            n := add(or(n, lt(0x1, shr(n, m))), 1)
            // signed: the exponent field if the result is normal, and how far m moves right
            let exponent := sub(add(e, n), 24)
            let shift := sub(n, 24)
            if slt(exponent, 1) {
                shift := sub(1, e) // subnormal: keep units of 2^-149
                exponent := 1
            }
            let q
            switch sgt(shift, 0)
            case 0 { q := shl(sub(0, shift), m) } // exact
            default {
                // shift <= 169 (DIV of the smallest subnormal by the largest finite)
                q := shr(shift, m)
                let rest := and(m, sub(shl(shift, 1), 1))
                let half := shl(sub(shift, 1), 1)
                q := add(q, or(gt(rest, half), and(eq(rest, half), and(q, 1))))
            }
            bits := add(shl(23, sub(exponent, 1)), q)
            if iszero(lt(bits, INF_BITS)) { bits := INF_BITS } // overflow to infinity
            bits := or(sign, bits)
        }
    }

    /// @dev Number of significant bits of x (0 < x < 2^128): floor(log2 x) + 1.
    function _bitLength(uint256 x) private pure returns (uint256 r) {
        assembly ("memory-safe") {
            r := shl(6, lt(0xffffffffffffffff, x))
            r := or(r, shl(5, lt(0xffffffff, shr(r, x))))
            r := or(r, shl(4, lt(0xffff, shr(r, x))))
            r := or(r, shl(3, lt(0xff, shr(r, x))))
            r := or(r, shl(2, lt(0xf, shr(r, x))))
            r := or(r, shl(1, lt(0x3, shr(r, x))))
            r := add(or(r, lt(0x1, shr(r, x))), 1)
        }
    }

    /// @dev floor(sqrt(n)) for 0 < n < 2^126. Newton's iteration from above: the start
    ///      2^ceil(bits/2) is within a factor 2 of the root, the relative error after k steps
    ///      is below 2^(-2^k), so 7 steps pass the 63 bits the root can have; the last
    ///      correction takes the floor iteration's possible +1 off.
    function _isqrt(uint256 n) private pure returns (uint256 x) {
        unchecked {
            x = 1 << ((_bitLength(n) + 1) >> 1);
            x = (x + n / x) >> 1;
            x = (x + n / x) >> 1;
            x = (x + n / x) >> 1;
            x = (x + n / x) >> 1;
            x = (x + n / x) >> 1;
            x = (x + n / x) >> 1;
            x = (x + n / x) >> 1;
            if (x * x > n) x -= 1;
        }
    }
}
