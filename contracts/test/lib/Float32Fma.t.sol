// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {Hex} from "../utils/Hex.sol";
import {VmFiles} from "../utils/VmFiles.sol";
import {Float32, F32} from "../../src/lib/Float32.sol";

/// @notice Differential test of `Float32.fma` against the exact Python reference
///         (`tribunal.repops.core.primitives.fma_bits` / `fma_arrays`, checked against C's `fmaf`):
///
///         * the 10^6-vector stream of `python -m tools.generate.float32_fma_vectors`, replayed here
///           from its seed (every triple of the 76 special values, then seeded structured cases), in
///           20 chunks of 50,000 whose results must hash (SHA-256 of the big-endian records
///           `a, b, c, result`) to the digests in `vectors/float32_fma_stream.json`;
///         * `vectors/float32/FMA.bin`, every 40th vector of that stream with its expected result,
///           which names the first differing vector;
///         * named IEEE-754 edge cases and fuzzed identities (fma(a, b, -0) = a * b,
///           fma(a, 1, c) = a + c, fma(a, b, c) = fma(b, a, c)).
contract Float32FmaTest is Test {
    event log_named_uint(string key, uint256 val);

    VmFiles private constant files = VmFiles(address(vm));
    string private constant STREAM = "../vectors/float32_fma_stream.json";

    uint256 private constant MASK64 = 0xFFFFFFFFFFFFFFFF;
    uint256 private constant SEED = 0x74726962756E616C;
    uint256 private constant GOLDEN = 0x9E3779B97F4A7C15;
    uint256 private constant TOTAL = 1_000_000;
    uint256 private constant CHUNK = 50_000;
    uint256 private constant RECORD = 16;

    uint32 private constant NAN = 0x7FC00000;
    uint32 private constant POS_ZERO = 0x00000000;
    uint32 private constant NEG_ZERO = 0x80000000;
    uint32 private constant ONE = 0x3F800000;
    uint32 private constant NEG_ONE = 0xBF800000;
    uint32 private constant POS_INF = 0x7F800000;
    uint32 private constant NEG_INF = 0xFF800000;
    uint32 private constant MAX_FINITE = 0x7F7FFFFF;

    /// @dev The per-vector random fields of a structured case (see `float32_fma_vectors.operands`).
    struct Fields {
        uint256 w2;
        uint256 w3;
        uint256 fa;
        uint256 fb;
        uint256 fc;
        uint256 sa;
        uint256 sb;
        uint256 sc;
        uint256 ra;
        uint256 rb;
        uint256 rc;
        uint256 ta;
        uint256 tb;
        uint256 tc;
        uint256 d8;
        uint256 d16;
    }

    // ---------------------------------------------------------------- the stream

    function test_stream_parameters_matchFile() public view {
        string memory json = files.readFile(STREAM);
        assertEq(files.parseJsonUint(json, ".seed"), SEED, "seed");
        assertEq(files.parseJsonUint(json, ".total"), TOTAL, "total");
        assertEq(files.parseJsonUint(json, ".chunk"), CHUNK, "chunk");
        uint256[] memory specials = files.parseJsonUintArray(json, ".specials");
        assertEq(files.parseJsonUint(json, ".cross_product"), specials.length ** 3, "cross product");
        assertEq(files.parseJsonBytes32Array(json, ".digests").length, TOTAL / CHUNK, "digests");
    }

    function test_stream_chunk00() public {
        _checkChunk(0);
    }

    function test_stream_chunk01() public {
        _checkChunk(1);
    }

    function test_stream_chunk02() public {
        _checkChunk(2);
    }

    function test_stream_chunk03() public {
        _checkChunk(3);
    }

    function test_stream_chunk04() public {
        _checkChunk(4);
    }

    function test_stream_chunk05() public {
        _checkChunk(5);
    }

    function test_stream_chunk06() public {
        _checkChunk(6);
    }

    function test_stream_chunk07() public {
        _checkChunk(7);
    }

    function test_stream_chunk08() public {
        _checkChunk(8);
    }

    function test_stream_chunk09() public {
        _checkChunk(9);
    }

    function test_stream_chunk10() public {
        _checkChunk(10);
    }

    function test_stream_chunk11() public {
        _checkChunk(11);
    }

    function test_stream_chunk12() public {
        _checkChunk(12);
    }

    function test_stream_chunk13() public {
        _checkChunk(13);
    }

    function test_stream_chunk14() public {
        _checkChunk(14);
    }

    function test_stream_chunk15() public {
        _checkChunk(15);
    }

    function test_stream_chunk16() public {
        _checkChunk(16);
    }

    function test_stream_chunk17() public {
        _checkChunk(17);
    }

    function test_stream_chunk18() public {
        _checkChunk(18);
    }

    function test_stream_chunk19() public {
        _checkChunk(19);
    }

    /// @dev Computes vectors [chunk * CHUNK, (chunk + 1) * CHUNK) and compares their digest.
    function _checkChunk(uint256 chunk) private {
        string memory json = files.readFile(STREAM);
        uint256[] memory specials = files.parseJsonUintArray(json, ".specials");
        bytes32[] memory digests = files.parseJsonBytes32Array(json, ".digests");
        assertEq(digests.length, TOTAL / CHUNK, "digests");
        // one spare record at the end: each record is written as a full 32-byte word
        bytes memory buffer = new bytes((CHUNK + 1) * RECORD);
        uint256 first = chunk * CHUNK;
        Fields memory scratch; // reused: memory is never freed within a test
        for (uint256 k = 0; k < CHUNK; k++) {
            (uint256 a, uint256 b, uint256 c) = _operands(first + k, specials, scratch);
            uint256 r = F32.unwrap(Float32.fma(F32.wrap(uint32(a)), F32.wrap(uint32(b)), F32.wrap(uint32(c))));
            uint256 record = (a << 224) | (b << 192) | (c << 160) | (r << 128);
            assembly ("memory-safe") {
                mstore(add(add(buffer, 0x20), mul(k, RECORD)), record)
            }
        }
        assembly ("memory-safe") {
            mstore(buffer, mul(CHUNK, RECORD))
        }
        assertEq(
            sha256(buffer),
            digests[chunk],
            string.concat(
                "FMA stream chunk ",
                vm.toString(chunk),
                " differs from the Python reference: compare with `python -m tools.generate.float32_fma_vectors`"
            )
        );
        emit log_named_uint(string.concat("FMA stream chunk ", vm.toString(chunk), " vectors checked"), CHUNK);
    }

    /// @dev SplitMix64's `n`-th output: mix(SEED + (n + 1) * GOLDEN), mod 2^64.
    function _word(uint256 n) private pure returns (uint256 z) {
        unchecked {
            z = (SEED + (n + 1) * GOLDEN) & MASK64;
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64;
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64;
            z = z ^ (z >> 31);
        }
    }

    /// @dev The operands of stream vector `i`, as `tools.generate.float32_fma_vectors.operands`
    ///      (`f`: scratch space, overwritten).
    function _operands(uint256 i, uint256[] memory specials, Fields memory f)
        private
        pure
        returns (uint256 a, uint256 b, uint256 c)
    {
        uint256 n = specials.length;
        if (i < n * n * n) return (specials[i / (n * n)], specials[(i / n) % n], specials[i % n]);
        uint256 kind = _word(4 * i) % 8;
        uint256 w1 = _word(4 * i + 1);
        f.w2 = _word(4 * i + 2);
        f.w3 = _word(4 * i + 3);
        if (kind == 0) return (f.w3 & 0xFFFFFFFF, f.w3 >> 32, f.w2 >> 32);
        f.fa = w1 & 0x7FFFFF;
        f.fb = (w1 >> 23) & 0x7FFFFF;
        f.fc = f.w2 & 0x7FFFFF;
        f.ta = ((f.w2 >> 47) & 31) % 24;
        f.tb = ((f.w2 >> 52) & 31) % 24;
        f.tc = ((f.w2 >> 57) & 31) % 24;
        if ((f.w3 >> 62) & 1 == 1) {
            f.fa = _sparse(f.fa, f.ta);
            f.fb = _sparse(f.fb, f.tb);
            f.fc = _sparse(f.fc, f.tc);
        }
        f.sa = (w1 >> 46) & 1;
        f.sb = (w1 >> 47) & 1;
        f.sc = (w1 >> 48) & 1;
        f.ra = (f.w2 >> 23) & 0xFF;
        f.rb = (f.w2 >> 31) & 0xFF;
        f.rc = (f.w2 >> 39) & 0xFF;
        f.d8 = (f.w3 >> 8) & 0xFFFFFF;
        f.d16 = (f.w3 >> 16) & 0xFFFF;
        if (kind == 1) {
            return (_pack(f.sa, f.ra % 255, f.fa), _pack(f.sb, f.rb % 255, f.fb), _pack(f.sc, f.rc % 255, f.fc));
        }
        if (kind == 6) return _specialsMixed(f, specials);
        if (kind == 4) {
            uint256 ea4 = 1 + f.ra % 126;
            int256 eb4 = int256(f.d8 % 51) - 48 + 127 - int256(ea4);
            return (_pack(f.sa, ea4, f.fa), _pack(f.sb, _clamp(eb4), f.fb), _pack(f.sc, f.d16 % 8, f.fc));
        }
        if (kind == 5) {
            uint256 ea5 = 128 + f.ra % 127;
            int256 eb5 = int256(250 + f.d8 % 13 + 127) - int256(ea5);
            return (_pack(f.sa, ea5, f.fa), _pack(f.sb, _clamp(eb5), f.fb), _pack(f.sc, 240 + f.d16 % 15, f.fc));
        }
        return _normalProducts(kind, f);
    }

    /// @dev Kinds 2 (cancellation), 3 (alignment) and 7 (ties): exponents 64..189.
    function _normalProducts(uint256 kind, Fields memory f) private pure returns (uint256, uint256, uint256) {
        uint256 ea = 64 + f.ra % 126;
        uint256 eb = 64 + f.rb % 126;
        int256 productExponent = int256(ea + eb) - 127;
        if (kind == 7) {
            return (
                _pack(f.sa, ea, _sparse(f.fa, f.ta % 12)),
                _pack(f.sb, eb, _sparse(f.fb, f.tb % 12)),
                _pack(f.sc, _clamp(productExponent - 24 + int256(f.d8 % 5) - 2), _sparse(f.fc, f.tc % 4))
            );
        }
        uint256 a = _pack(f.sa, ea, f.fa);
        uint256 b = _pack(f.sb, eb, f.fb);
        if (kind == 2) {
            uint256 product = Float32.execute(Float32.MUL, uint32(a), uint32(b), 0);
            return (a, b, ((product ^ 0x80000000) + f.d8 % 5 - 2) & 0xFFFFFFFF);
        }
        return (a, b, _pack(f.sc, _clamp(productExponent + int256(f.d8 % 61) - 30), f.fc));
    }

    /// @dev Kind 6: each operand a special value (bit 8 + j of w3) or a random finite.
    function _specialsMixed(Fields memory f, uint256[] memory specials)
        private
        pure
        returns (uint256 a, uint256 b, uint256 c)
    {
        uint256 n = specials.length;
        uint256 w3 = f.w3;
        a = (w3 >> 8) & 1 == 1 ? specials[((w3 >> 16) & 0xFF) % n] : _pack(f.sa, f.ra % 255, f.fa);
        b = (w3 >> 9) & 1 == 1 ? specials[((w3 >> 24) & 0xFF) % n] : _pack(f.sb, f.rb % 255, f.fb);
        c = (w3 >> 10) & 1 == 1 ? specials[((w3 >> 32) & 0xFF) % n] : _pack(f.sc, f.rc % 255, f.fc);
    }

    function _pack(uint256 sign, uint256 exponent, uint256 fraction) private pure returns (uint256) {
        return (sign << 31) | (exponent << 23) | fraction;
    }

    /// @dev The top `keep` (0..23) bits of a 23-bit fraction.
    function _sparse(uint256 fraction, uint256 keep) private pure returns (uint256) {
        return fraction & ~((uint256(1) << (23 - keep)) - 1) & 0x7FFFFF;
    }

    function _clamp(int256 exponent) private pure returns (uint256) {
        return exponent < 0 ? 0 : exponent > 254 ? 254 : uint256(exponent);
    }

    // ---------------------------------------------------------------- the sampled vectors

    function test_fma_matchesFile() public {
        bytes memory data = files.readFileBinary("../vectors/float32/FMA.bin");
        assertEq(data.length % RECORD, 0, "FMA.bin: truncated record");
        uint256 count = data.length / RECORD;
        assertTrue(count > 0, "FMA.bin: no vectors");
        for (uint256 i = 0; i < count; i++) {
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 0x20), mul(i, RECORD)))
            }
            uint32 a = uint32(word >> 224);
            uint32 b = uint32(word >> 192);
            uint32 c = uint32(word >> 160);
            uint32 expected = uint32(word >> 128);
            uint32 actual = _fma(a, b, c);
            if (actual != expected) {
                fail(
                    string.concat(
                        "FMA vector ",
                        vm.toString(i),
                        ": operands ",
                        Hex.bits32(a),
                        " ",
                        Hex.bits32(b),
                        " ",
                        Hex.bits32(c),
                        " gave ",
                        Hex.bits32(actual),
                        ", Python ",
                        Hex.bits32(expected)
                    )
                );
            }
        }
        emit log_named_uint("FMA vectors checked", count);
    }

    // ---------------------------------------------------------------- named cases

    function test_fma_specialCases() public pure {
        assertEq(_fma(0x7FC00001, ONE, ONE), NAN, "NaN payload");
        assertEq(_fma(POS_ZERO, POS_INF, 0x7FC00000), NAN, "0 * inf + NaN");
        assertEq(_fma(POS_ZERO, POS_INF, ONE), NAN, "0 * inf + 1");
        assertEq(_fma(NEG_INF, NEG_ZERO, POS_INF), NAN, "inf * 0 + inf");
        assertEq(_fma(POS_INF, ONE, NEG_INF), NAN, "inf - inf");
        assertEq(_fma(POS_INF, NEG_ONE, NEG_INF), NEG_INF, "-inf - inf");
        assertEq(_fma(ONE, ONE, NEG_INF), NEG_INF, "1 - inf");
        assertEq(_fma(MAX_FINITE, MAX_FINITE, NEG_INF), NEG_INF, "finite overflow + -inf");
        assertEq(_fma(MAX_FINITE, 0x40000000, 0xFF7FFFFF), MAX_FINITE, "2 max - max is exact");
        assertEq(_fma(MAX_FINITE, MAX_FINITE, 0xFF7FFFFF), POS_INF, "overflow");
    }

    function test_fma_zeroSigns() public pure {
        assertEq(_fma(NEG_ZERO, ONE, NEG_ZERO), NEG_ZERO, "-0 + -0");
        assertEq(_fma(POS_ZERO, NEG_ONE, NEG_ZERO), NEG_ZERO, "(+0 * -1) + -0");
        assertEq(_fma(NEG_ZERO, ONE, POS_ZERO), POS_ZERO, "-0 + +0");
        assertEq(_fma(ONE, ONE, NEG_ONE), POS_ZERO, "1 * 1 - 1");
        assertEq(_fma(NEG_ONE, ONE, ONE), POS_ZERO, "-1 * 1 + 1");
        assertEq(_fma(NEG_ZERO, ONE, 0x80000001), 0x80000001, "-0 + c = c");
        assertEq(_fma(0x80000001, 0x00000001, POS_ZERO), NEG_ZERO, "underflow keeps the product's sign");
        assertEq(_fma(0x00000001, 0x00000001, NEG_ZERO), POS_ZERO, "2^-298 - 0 underflows to +0");
    }

    function test_fma_roundsOnce() public pure {
        // (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24 exactly; a rounded product would give 2^-11
        assertEq(_fma(0x3F800800, 0x3F800800, NEG_ONE), 0x3A000400, "no rounding of the product");
        // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24: a tie, to even; 2^-149 either way (72+ bits down) decides
        assertEq(_fma(0x3F800800, 0x3F800800, POS_ZERO), 0x3F801000, "tie to even");
        assertEq(_fma(0x3F800800, 0x3F800800, 0x00000001), 0x3F801001, "above the tie by 2^-149");
        assertEq(_fma(0x3F800800, 0x3F800800, 0x80000001), 0x3F801000, "below the tie by 2^-149");
        // 2^-126 * 0.5 + 2^-149: a subnormal result, exact
        assertEq(_fma(0x00800000, 0x3F000000, 0x00000001), 0x00400001, "subnormal");
        // the smallest subnormal halved is a tie: to even (0); one more 2^-298 goes up
        assertEq(_fma(0x00000001, 0x3F000000, POS_ZERO), POS_ZERO, "subnormal tie");
        assertEq(_fma(0x00000001, 0x3F000001, POS_ZERO), 0x00000001, "above the subnormal tie");
        // 2^24 + 1 ties to even; 2^24 + 1 + 2^-23 does not
        assertEq(_fma(0x4B800000, ONE, ONE), 0x4B800000, "2^24 + 1");
        assertEq(_fma(0x4B800000, ONE, 0x3F800001), 0x4B800001, "2^24 + 1 + 2^-23");
        // a product ±2^-144, far below c, changes nothing
        assertEq(_fma(0x1B800000, 0x1B800000, ONE), ONE, "1 + 2^-144");
        assertEq(_fma(0x1B800000, 0x9B800000, ONE), ONE, "1 - 2^-144");
    }

    // ---------------------------------------------------------------- identities (fuzzed)

    function testFuzz_fma_minusZeroAddendIsMul(uint32 a, uint32 b) public pure {
        assertEq(_fma(a, b, NEG_ZERO), Float32.execute(Float32.MUL, a, b, 0));
    }

    function testFuzz_fma_timesOneIsAdd(uint32 a, uint32 c) public pure {
        assertEq(_fma(a, ONE, c), Float32.execute(Float32.ADD, a, c, 0));
    }

    function testFuzz_fma_commutes(uint32 a, uint32 b, uint32 c) public pure {
        assertEq(_fma(a, b, c), _fma(b, a, c));
    }

    function _fma(uint32 a, uint32 b, uint32 c) private pure returns (uint32) {
        return F32.unwrap(Float32.fma(F32.wrap(a), F32.wrap(b), F32.wrap(c)));
    }
}
