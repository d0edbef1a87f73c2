// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ProgramErrors
/// @notice The errors of `Programs`: an op spec, shapes, element or instruction index that names no
///         instruction of `tribunal.repops.registry`. Each one matches a `ShapeError`, `ValueError`
///         or `IndexError` the Python reference raises for the same arguments; the dispute game
///         never meets them for a validated step graph, so they only stop malformed moves.
library ProgramErrors {
    /// @notice Thrown when `opKind` is not an `OpKind` number.
    error UnknownOpKind(uint8 opKind);

    /// @notice Thrown when an op kind with a fixed parameter list (or the chain's BATCH_GATHER
    ///         `(seed, numRows)`, or a COPY/GATHER_SUM affine map) gets `actual` parameters
    ///         instead of `expected`.
    error ParamCountMismatch(uint8 opKind, uint256 expected, uint256 actual);

    /// @notice Thrown when parameter `index` of `opKind` has a value the op does not take (an
    ///         opcode of the wrong arity, an unknown broadcast, a reduce range outside the shape,
    ///         a view of rank above 7, a divisor below 1, …).
    error ParamInvalid(uint8 opKind, uint256 index, uint256 value);

    /// @notice Thrown when `opKind` takes `expected` inputs and `actual` input shapes were given.
    error InputCountMismatch(uint8 opKind, uint256 expected, uint256 actual);

    /// @notice Thrown when a shape word is not canonical (ndim above 7, or bits after the last
    ///         dimension).
    error ShapeWordInvalid(bytes32 word);

    /// @notice Thrown when input `input`'s shape `shape` does not fit `opKind` and the other
    ///         inputs (the Python `output_shape` check).
    error InputShapeMismatch(uint8 opKind, uint256 input, bytes32 shape);

    /// @notice Thrown when the node's declared output shape `actual` is not the shape `expected`
    ///         that `opKind` gives for its inputs and parameters.
    error OutputShapeMismatch(uint8 opKind, bytes32 expected, bytes32 actual);

    /// @notice Thrown when a COPY or GATHER_SUM affine map has a coefficient or offset of magnitude
    ///         2**127 or more (Python's integers would take it; no real layout comes near).
    error AffineValueTooLarge(uint8 opKind);

    /// @notice Thrown when a count that a program divides by (a mean, a layer-norm width, …) is
    ///         outside 1..2**24, so it is not an exact float32.
    error CountNotExactFloat32(uint256 count);

    /// @notice Thrown when `element` is not below the output's element count `numel`.
    error ElementOutOfRange(uint256 element, uint256 numel);

    /// @notice Thrown when instruction `index` is not below the element's program length `length`.
    error InstructionOutOfRange(uint256 index, uint256 length);
}
