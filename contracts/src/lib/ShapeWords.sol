// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "../Errors.sol";

/// @title ShapeWords
/// @notice A tensor's shape as one word, bit for bit as `tribunal.commitments.shape_word` builds
///         it (`docs/protocol.md`, "Tensor roots"): `uint8 ndim ‖ uint32be dims… ‖ zeros`, at
///         most 7 dimensions. A word is canonical when ndim <= 7 and every bit after the last
///         dimension is zero; the element count of a canonical word is the product of at most 7
///         uint32 factors, so it stays below 2**224 (1 for a scalar).
///
///         The builders (`encode`, `vector`, `matrix`) revert on a shape no word can hold;
///         `validNumel` and `isCanonical` check a word that came from outside. The readers
///         (`ndim`, `dim`, `numel`, …) take a canonical word and do not check it again.
library ShapeWords {
    /// @notice Most dimensions a shape word encodes.
    uint256 internal constant MAX_NDIM = 7;

    // ---------------------------------------------------------------- building

    /// @notice The shape word of `dims`.
    function encode(uint256[] memory dims) internal pure returns (bytes32) {
        uint256 count = dims.length;
        if (count > MAX_NDIM) revert Errors.TooManyDimensions(count, MAX_NDIM);
        uint256 word = count << 248;
        for (uint256 i = 0; i < count; i++) {
            uint256 size = dims[i];
            if (size > type(uint32).max) revert Errors.DimensionTooLarge(size);
            word |= size << (216 - 32 * i);
        }
        return bytes32(word);
    }

    /// @notice The shape word of a vector of `length` elements, e.g. one dataset row.
    function vector(uint256 length) internal pure returns (bytes32) {
        if (length > type(uint32).max) revert Errors.DimensionTooLarge(length);
        return bytes32((uint256(1) << 248) | (length << 216));
    }

    /// @notice The shape word of a `rows` x `columns` matrix, e.g. a dataset.
    function matrix(uint256 rows, uint256 columns) internal pure returns (bytes32) {
        if (rows > type(uint32).max) revert Errors.DimensionTooLarge(rows);
        if (columns > type(uint32).max) revert Errors.DimensionTooLarge(columns);
        return bytes32((uint256(2) << 248) | (rows << 216) | (columns << 184));
    }

    // ---------------------------------------------------------------- checking

    /// @notice Whether `word` is canonical: ndim <= 7 and zeros after the last dimension.
    function isCanonical(bytes32 word) internal pure returns (bool) {
        uint256 w = uint256(word);
        uint256 rank = w >> 248;
        unchecked {
            return rank <= MAX_NDIM && w << (8 + 32 * rank) == 0;
        }
    }

    /// @notice Decodes a shape word from outside: whether it is canonical and, if so, its element
    ///         count (1 for a scalar).
    function validNumel(bytes32 word) internal pure returns (bool valid, uint256 count) {
        if (!isCanonical(word)) return (false, 0);
        return (true, numel(word));
    }

    // ---------------------------------------------------------------- reading (canonical words)

    /// @notice The number of dimensions.
    function ndim(bytes32 word) internal pure returns (uint256) {
        return uint256(word) >> 248;
    }

    /// @notice Dimension `i` (below 7).
    function dim(bytes32 word, uint256 i) internal pure returns (uint256 size) {
        assembly ("memory-safe") {
            size := and(shr(sub(216, shl(5, i)), word), 0xffffffff)
        }
    }

    /// @notice The last dimension of a shape of rank 1 or more.
    function lastDim(bytes32 word) internal pure returns (uint256 size) {
        assembly ("memory-safe") {
            size := and(shr(sub(248, shl(5, shr(248, word))), word), 0xffffffff)
        }
    }

    /// @notice The element count (at most 7 uint32 factors: no overflow).
    function numel(bytes32 word) internal pure returns (uint256 count) {
        assembly ("memory-safe") {
            count := 1
            let shift := 216
            for { let end := sub(216, shl(5, shr(248, word))) } sgt(shift, end) { shift := sub(shift, 32) } {
                count := mul(count, and(shr(shift, word), 0xffffffff))
            }
        }
    }

    /// @notice `shape[:-1]` of a shape of rank 1 or more.
    function dropLast(bytes32 word) internal pure returns (bytes32) {
        unchecked {
            uint256 low = 248 - 32 * (ndim(word) - 1);
            return bytes32((uint256(word) >> low << low) - (uint256(1) << 248));
        }
    }

    /// @notice `shape[-1:]` of a shape of rank 1 or more.
    function lastOnly(bytes32 word) internal pure returns (bytes32) {
        return bytes32((uint256(1) << 248) | (lastDim(word) << 216));
    }

    /// @notice `shape + (size,)` of a shape of rank below 7 and a uint32 size.
    function appendDim(bytes32 word, uint256 size) internal pure returns (bytes32) {
        unchecked {
            return bytes32((uint256(word) + (uint256(1) << 248)) | (size << (216 - 32 * ndim(word))));
        }
    }
}
