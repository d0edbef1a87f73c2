// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "../Errors.sol";
import {OpKind} from "./OpKind.sol";
import {ShapeWords} from "./ShapeWords.sol";

/// @title AffineMaps
/// @notice The affine maps of the layout ops COPY and GATHER_SUM (`tribunal.repops.ops.layout`),
///         read in place from the op's committed params: output element `e` (over the out view)
///         and loop index `k` (over the loop view) give an input coordinate per input dimension,
///         `t = offset[j] + sum_d coef[j][d] * x[d]`, valid when `div[j]` divides it and the
///         quotient is inside the in view. `Programs` turns an address into a COPY or an ADD.
///         Every loop is bounded by a rank (at most 7); views of 2**32 or more and coefficients,
///         offsets or divisors of magnitude 2**127 or more revert (`Errors`), where Python's big
///         integers would take them.
library AffineMaps {
    /// @dev A COPY / GATHER_SUM affine map (`tribunal.repops.ops.layout.AffineMap`) read in place:
    ///      each field but the ranks and `trips` is the position in `params` where that list
    ///      starts.
    struct AffineMap {
        uint256 outRank;
        uint256 loopRank;
        uint256 inRank;
        uint256 outView;
        uint256 loopView;
        uint256 inView;
        uint256 coef; // coef[j][d] at coef + j * (outRank + loopRank) + d
        uint256 offset;
        uint256 div;
        uint256 trips;
    }

    /// @notice Decodes COPY / GATHER_SUM's affine map from the op's `params`
    ///         (`AffineMap.decode`, `output_shape`) and checks it against the input's shape word
    ///         `inShape` (canonical): `out_rank, loop_rank, in_rank, *out_view, *loop_view,
    ///         *in_view, *coef, *offset, *div, shape_rank, *out_shape`.
    /// @param m Filled with the map, read in place.
    /// @param kind `OpKind.COPY` or `OpKind.GATHER_SUM` (named in the errors).
    /// @return outShape The shape word of the op's output (`out_shape`).
    function decode(AffineMap memory m, uint8 kind, uint256[] memory params, bytes32 inShape)
        internal
        pure
        returns (bytes32 outShape)
    {
        if (params.length < 3) revert Errors.ParamCountMismatch(kind, 3, params.length);
        for (uint256 r = 0; r < 3; ++r) {
            if (params[r] > ShapeWords.MAX_NDIM) revert Errors.ParamInvalid(kind, r, params[r]);
        }
        unchecked {
            m.outRank = params[0];
            m.loopRank = params[1];
            m.inRank = params[2];
            m.outView = 3;
            m.loopView = m.outView + m.outRank;
            m.inView = m.loopView + m.loopRank;
            m.coef = m.inView + m.inRank;
            m.offset = m.coef + m.inRank * (m.outRank + m.loopRank);
            m.div = m.offset + m.inRank;
        }
        uint256 shapeRankAt = m.div + m.inRank;
        if (params.length <= shapeRankAt) {
            revert Errors.ParamCountMismatch(kind, shapeRankAt + 1, params.length);
        }
        uint256 shapeRank = params[shapeRankAt];
        if (shapeRank > ShapeWords.MAX_NDIM) revert Errors.ParamInvalid(kind, shapeRankAt, shapeRank);
        if (params.length != shapeRankAt + 1 + shapeRank) {
            revert Errors.ParamCountMismatch(kind, shapeRankAt + 1 + shapeRank, params.length);
        }
        // INVARIANT: COPY has no loop; GATHER_SUM sums over a loop view of at least one term.
        if (kind == OpKind.COPY ? m.loopRank != 0 : m.loopRank == 0) revert Errors.ParamInvalid(kind, 1, m.loopRank);

        (uint256 outCount, uint256 inCount, uint256 word, uint256 bad) = _views(params, m, shapeRankAt);
        if (bad != 0) revert Errors.ParamInvalid(kind, bad - 1, params[bad - 1]);
        if (m.trips == 0) revert Errors.ParamInvalid(kind, m.loopView, 0);
        if (inCount != ShapeWords.numel(inShape)) revert Errors.InputShapeMismatch(kind, 0, inShape);
        outShape = bytes32(word);
        if (ShapeWords.numel(outShape) != outCount) revert Errors.ParamInvalid(kind, m.outView, outCount);
    }

    /// @dev Reads an affine map's lists (their lengths already checked): the out view's and the
    ///      in view's element counts (the loop view's goes to `m.trips`), the out shape's shape
    ///      word, and `bad` = 1 + the position of the first view or out-shape dim above 2**32 - 1
    ///      or divisor outside 1..2**127 - 1 (0 when none).
    function _views(uint256[] memory params, AffineMap memory m, uint256 shapeRankAt)
        private
        pure
        returns (uint256 outCount, uint256 inCount, uint256 word, uint256 bad)
    {
        uint256 loopView = m.loopView;
        uint256 inView = m.inView;
        uint256 viewEnd = m.coef;
        uint256 divAt = m.div;
        uint256 trips;
        assembly ("memory-safe") {
            let values := add(params, 32)
            outCount := 1
            trips := 1
            inCount := 1
            for { let i := 3 } lt(i, viewEnd) { i := add(i, 1) } {
                let size := mload(add(values, shl(5, i)))
                if and(iszero(bad), gt(size, 0xffffffff)) { bad := add(i, 1) }
                switch lt(i, loopView)
                case 1 { outCount := mul(outCount, size) }
                default {
                    switch lt(i, inView)
                    case 1 { trips := mul(trips, size) }
                    default { inCount := mul(inCount, size) }
                }
            }
            for { let i := divAt } lt(i, shapeRankAt) { i := add(i, 1) } {
                let divisor := mload(add(values, shl(5, i)))
                if and(iszero(bad), or(iszero(divisor), gt(divisor, 0x7fffffffffffffffffffffffffffffff))) {
                    bad := add(i, 1)
                }
            }
            let shapeRank := mload(add(values, shl(5, shapeRankAt)))
            word := shl(248, shapeRank)
            for { let d := 0 } lt(d, shapeRank) { d := add(d, 1) } {
                let i := add(add(shapeRankAt, 1), d)
                let size := mload(add(values, shl(5, i)))
                if and(iszero(bad), gt(size, 0xffffffff)) { bad := add(i, 1) }
                word := or(word, shl(sub(216, shl(5, d)), size))
            }
        }
        m.trips = trips;
    }

    /// @notice `AffineMap.address`: `element` over the out view and `k` over the loop view
    ///      (row-major) give the coordinates x; input coordinate j is
    ///      t = offset[j] + sum_d coef[j][d] * x[d], valid when div[j] divides t and
    ///      0 <= t / div[j] < in_view[j]; the address is those flattened row-major. Every row is
    ///      computed (no early exit), so every coefficient and offset is checked for every element.
    function inputAddress(AffineMap memory m, uint256[] memory params, uint256 element, uint256 k)
        internal
        pure
        returns (bool valid, uint256 flat)
    {
        uint256[14] memory x = _coordinates(m, params, element, k);
        bool tooLarge;
        (valid, flat, tooLarge) = _flatten(params, m, x);
        if (tooLarge) revert Errors.AffineValueTooLarge(m.loopRank == 0 ? OpKind.COPY : OpKind.GATHER_SUM);
        if (!valid) flat = 0;
    }

    /// @dev The input coordinates of `x` flattened, whether all are valid, and whether an offset
    ///      or coefficient reaches 2**127 in magnitude. With coordinates below 2**32, 14 terms at
    ///      most and coefficients and offsets below 2**127, t stays far inside int256: plain EVM
    ///      arithmetic is exact. Divisors were checked to be in 1..2**127 - 1 by `decode`.
    function _flatten(uint256[] memory params, AffineMap memory m, uint256[14] memory x)
        private
        pure
        returns (bool valid, uint256 flat, bool tooLarge)
    {
        assembly ("memory-safe") {
            let values := add(params, 32)
            let width := add(mload(m), mload(add(m, 0x20))) // outRank + loopRank
            let inRank := mload(add(m, 0x40))
            let inView := add(values, shl(5, mload(add(m, 0xa0))))
            let row := add(values, shl(5, mload(add(m, 0xc0)))) // coef[0][0]
            let offsets := add(values, shl(5, mload(add(m, 0xe0))))
            let divisors := add(values, shl(5, mload(add(m, 0x100))))
            valid := 1
            for { let j := 0 } lt(j, inRank) { j := add(j, 1) } {
                let t := mload(add(offsets, shl(5, j)))
                tooLarge := or(tooLarge, iszero(eq(t, signextend(15, t))))
                for { let d := 0 } lt(d, width) { d := add(d, 1) } {
                    let c := mload(add(row, shl(5, d)))
                    if c {
                        tooLarge := or(tooLarge, iszero(eq(c, signextend(15, c))))
                        t := add(t, mul(c, mload(add(x, shl(5, d)))))
                    }
                }
                row := add(row, shl(5, width))
                let divisor := mload(add(divisors, shl(5, j)))
                let size := mload(add(inView, shl(5, j)))
                let q := sdiv(t, divisor)
                if or(or(slt(t, 0), smod(t, divisor)), iszero(lt(q, size))) { valid := 0 }
                flat := add(mul(flat, size), q)
            }
        }
    }

    /// @dev The coordinates of `element` over the out view then of `k` over the loop view,
    ///      row-major (both below their view's element count, so no dim divides by zero).
    function _coordinates(AffineMap memory m, uint256[] memory params, uint256 element, uint256 k)
        private
        pure
        returns (uint256[14] memory x)
    {
        uint256 outRank = m.outRank;
        uint256 outView = m.outView;
        uint256 loopRank = m.loopRank;
        uint256 loopView = m.loopView;
        assembly ("memory-safe") {
            let values := add(params, 32)
            for { let d := outRank } d { d := sub(d, 1) } {
                let size := mload(add(values, shl(5, add(outView, sub(d, 1)))))
                mstore(add(x, shl(5, sub(d, 1))), mod(element, size))
                element := div(element, size)
            }
            let loopX := add(x, shl(5, outRank))
            for { let d := loopRank } d { d := sub(d, 1) } {
                let size := mload(add(values, shl(5, add(loopView, sub(d, 1)))))
                mstore(add(loopX, shl(5, sub(d, 1))), mod(k, size))
                k := div(k, size)
            }
        }
    }
}
