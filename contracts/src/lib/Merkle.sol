// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Merkle
/// @notice Verification of Tribunal's commitments, bit for bit as `tribunal.merkle`,
///         `tribunal.commitments` and `tribunal.datasets` build them (`docs/protocol.md`,
///         "Commitments"):
///
///         - binary keccak256 tree over 32-byte leaves taken as they are (not hashed first),
///           `parent = keccak256(left ‖ right)`, the leaf count padded to a power of two with zero
///           leaves; a proof lists the siblings bottom-up and bit k of the index says whether the
///           node is the right child at level k. A tree's depth is fixed by its leaf count, which
///           the verifier always knows, so every check here that has the count requires
///           `proof.length == treeDepth(count)` and `index < count`: an inner node or a padding
///           leaf can never pose as a leaf.
///         - tensor: float32 elements little-endian, 8 per leaf (element i in leaf i / 8, lane
///           i % 8, the last leaf zero-padded); tensor root = `keccak256(dataRoot ‖ shapeWord)`
///           with shape word = `uint8 ndim ‖ uint32be dims… ‖ zeros` (ndim <= 7).
///         - state commitment h_t: tree over the state's tensor roots; trace root: tree over
///           h_0..h_S.
///         - dataset: row r is a tensor of shape [W]; dataset root =
///           `keccak256(tree(rowRoots) ‖ shapeWord([N, W]))`.
///         - batch rows: `keccak256(abi.encode(seed, step, row)) % numRows`.
///
///         Gas (internal calls, proofs in calldata; `test/lib/Merkle.t.sol` measures it, see
///         `contracts/GAS-float32.md`): `verify` with the leaf count 359 at depth 0 and 3,994 at
///         depth 20 (~182 per sibling); `verifyElementProof` plus `elementBits` 5,404 at depth 20
///         (a 4096 x 2048 tensor). Calldata is extra: 32 bytes per sibling.
library Merkle {
    /// @notice Thrown when a leaf index has bits above the proof's depth.
    error IndexOutsideProof(uint256 index, uint256 depth);

    /// @notice Thrown when a shape has more dimensions than a shape word holds.
    error TooManyDimensions(uint256 ndim, uint256 max);

    /// @notice Thrown when a dimension does not fit a uint32.
    error DimensionTooLarge(uint256 dim);

    /// @notice Thrown when batch rows are drawn from a dataset of no rows.
    error NoRows();

    /// @notice float32 elements per 32-byte leaf.
    uint256 internal constant ELEMENTS_PER_LEAF = 8;

    /// @notice Most dimensions a shape word encodes.
    uint256 internal constant MAX_NDIM = 7;

    // ---------------------------------------------------------------- generic tree

    /// @notice Levels above the leaves of a tree of `numLeaves` leaves: ceil(log2(max(numLeaves, 1))).
    function treeDepth(uint256 numLeaves) internal pure returns (uint256 depth) {
        if (numLeaves <= 1) return 0;
        // the bit length of numLeaves - 1
        assembly ("memory-safe") {
            let x := sub(numLeaves, 1)
            depth := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
            depth := or(depth, shl(6, lt(0xffffffffffffffff, shr(depth, x))))
            depth := or(depth, shl(5, lt(0xffffffff, shr(depth, x))))
            depth := or(depth, shl(4, lt(0xffff, shr(depth, x))))
            depth := or(depth, shl(3, lt(0xff, shr(depth, x))))
            depth := or(depth, shl(2, lt(0xf, shr(depth, x))))
            depth := or(depth, shl(1, lt(0x3, shr(depth, x))))
            depth := add(or(depth, lt(0x1, shr(depth, x))), 1)
        }
    }

    /// @notice The parent of two nodes: keccak256(left ‖ right).
    function hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 parent) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            parent := keccak256(0x00, 0x40)
        }
    }

    /// @notice The root that `leaf` at `index` with siblings `proof` (bottom-up) leads to.
    /// @dev Reverts with `IndexOutsideProof` if `index >= 2**proof.length`.
    function processProof(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32 node) {
        uint256 depth = proof.length;
        if (index >> depth != 0) revert IndexOutsideProof(index, depth);
        node = leaf;
        assembly ("memory-safe") {
            let end := add(proof.offset, shl(5, depth))
            for { let p := proof.offset } lt(p, end) { p := add(p, 0x20) } {
                let sibling := calldataload(p)
                // the node is the right child when the index's low bit is set
                let right := and(index, 1)
                mstore(shl(5, right), node)
                mstore(shl(5, iszero(right)), sibling)
                node := keccak256(0x00, 0x40)
                index := shr(1, index)
            }
        }
    }

    /// @notice Whether `leaf` sits at `index` under `root`, for a tree whose depth the caller
    ///         binds elsewhere. Prefer the overload with `numLeaves`, which checks the depth.
    function verify(bytes32 leaf, uint256 index, bytes32[] calldata proof, bytes32 root) internal pure returns (bool) {
        if (index >> proof.length != 0) return false;
        return processProof(leaf, index, proof) == root;
    }

    /// @notice Whether `leaf` is leaf `index` of the `numLeaves` leaves under `root`.
    /// @dev INVARIANT: the proof has exactly the depth the leaf count fixes and the index names a
    ///      real leaf, so neither an inner node nor a padding leaf passes as a leaf.
    function verify(bytes32 leaf, uint256 index, bytes32[] calldata proof, bytes32 root, uint256 numLeaves)
        internal
        pure
        returns (bool)
    {
        if (proof.length != treeDepth(numLeaves)) return false;
        if (index >= (numLeaves == 0 ? 1 : numLeaves)) return false;
        return processProof(leaf, index, proof) == root;
    }

    // ---------------------------------------------------------------- tensors

    /// @notice The shape word of `dims`: `uint8 ndim ‖ uint32be dims… ‖ zeros`.
    function shapeWord(uint256[] memory dims) internal pure returns (bytes32) {
        uint256 ndim = dims.length;
        if (ndim > MAX_NDIM) revert TooManyDimensions(ndim, MAX_NDIM);
        uint256 word = ndim << 248;
        for (uint256 i = 0; i < ndim; i++) {
            uint256 dim = dims[i];
            if (dim > type(uint32).max) revert DimensionTooLarge(dim);
            word |= dim << (216 - 32 * i);
        }
        return bytes32(word);
    }

    /// @notice The shape word of a vector of `length` elements, e.g. one dataset row.
    function vectorShapeWord(uint256 length) internal pure returns (bytes32) {
        if (length > type(uint32).max) revert DimensionTooLarge(length);
        return bytes32((uint256(1) << 248) | (length << 216));
    }

    /// @notice The shape word of a `rows` x `columns` matrix, e.g. a dataset.
    function matrixShapeWord(uint256 rows, uint256 columns) internal pure returns (bytes32) {
        if (rows > type(uint32).max) revert DimensionTooLarge(rows);
        if (columns > type(uint32).max) revert DimensionTooLarge(columns);
        return bytes32((uint256(2) << 248) | (rows << 216) | (columns << 184));
    }

    /// @notice Decodes a shape word: whether it is canonical (ndim <= 7, zeros after the last
    ///         dimension) and the element count (1 for a scalar).
    function shapeNumel(bytes32 word) internal pure returns (bool valid, uint256 numel) {
        uint256 w = uint256(word);
        uint256 ndim = w >> 248;
        if (ndim > MAX_NDIM) return (false, 0);
        if (w << (8 + 32 * ndim) != 0) return (false, 0);
        numel = 1;
        unchecked {
            // at most 7 uint32 factors: the product stays below 2^224
            for (uint256 i = 0; i < ndim; i++) {
                numel *= (w >> (216 - 32 * i)) & 0xFFFFFFFF;
            }
        }
        valid = true;
    }

    /// @notice The tensor root: keccak256(dataRoot ‖ shapeWord).
    function bindShape(bytes32 dataRoot, bytes32 word) internal pure returns (bytes32) {
        return hashPair(dataRoot, word);
    }

    /// @notice How many 32-byte leaves hold `numel` float32 elements.
    function numLeavesFor(uint256 numel) internal pure returns (uint256) {
        return numel / ELEMENTS_PER_LEAF + (numel % ELEMENTS_PER_LEAF == 0 ? 0 : 1);
    }

    /// @notice The float32 bits in `lane` (0..7) of a leaf: bytes [4 lane, 4 lane + 4), little-endian.
    function leafLane(bytes32 leaf, uint256 lane) internal pure returns (uint32) {
        uint256 x = (uint256(leaf) >> (224 - 32 * (lane & 7))) & 0xFFFFFFFF;
        x = ((x & 0xFF00FF00) >> 8) | ((x & 0x00FF00FF) << 8);
        return uint32((x >> 16) | ((x & 0xFFFF) << 16));
    }

    /// @notice The float32 bits of flat element `element` in the leaf that holds it.
    function elementBits(bytes32 leaf, uint256 element) internal pure returns (uint32) {
        return leafLane(leaf, element % ELEMENTS_PER_LEAF);
    }

    /// @notice Whether `leaf` is the leaf holding flat (row-major) element `element` of the tensor
    ///         of shape `word` under `tensorRoot`. Read the bits with `elementBits(leaf, element)`.
    /// @dev INVARIANT: the shape word is canonical, the element exists, and the proof has the
    ///      depth of the tensor's leaf count; the leaf index and lane follow from the element.
    function verifyElementProof(
        bytes32 tensorRoot,
        bytes32 word,
        uint256 element,
        bytes32 leaf,
        bytes32[] calldata proof
    ) internal pure returns (bool) {
        (bool valid, uint256 numel) = shapeNumel(word);
        if (!valid || element >= numel) return false;
        uint256 numLeaves = numLeavesFor(numel);
        if (proof.length != treeDepth(numLeaves)) return false;
        return bindShape(processProof(leaf, element / ELEMENTS_PER_LEAF, proof), word) == tensorRoot;
    }

    // ---------------------------------------------------------------- state and trace

    /// @notice Whether `tensorRoot` is tensor `index` of the `numTensors` under state commitment h_t.
    function verifyStateProof(
        bytes32 tensorRoot,
        uint256 index,
        bytes32[] calldata proof,
        bytes32 commitment,
        uint256 numTensors
    ) internal pure returns (bool) {
        return verify(tensorRoot, index, proof, commitment, numTensors);
    }

    /// @notice Whether `state` is h_step of the `numStates` (= S + 1) under trace root `root`.
    function verifyTraceProof(bytes32 state, uint256 step, bytes32[] calldata proof, bytes32 root, uint256 numStates)
        internal
        pure
        returns (bool)
    {
        return verify(state, step, proof, root, numStates);
    }

    // ---------------------------------------------------------------- datasets

    /// @notice An element of a dataset row and the proofs that bind it to the dataset root.
    /// @param row The dataset row.
    /// @param column The element's index in the row.
    /// @param leaf The row tensor's leaf holding the element (lane column % 8).
    /// @param elementSiblings The leaf's proof in the row tensor's data tree.
    /// @param rowRoot The row's tensor root (shape [width]).
    /// @param rowSiblings The row root's proof in the tree of row roots.
    struct DatasetElementProof {
        uint256 row;
        uint256 column;
        bytes32 leaf;
        bytes32[] elementSiblings;
        bytes32 rowRoot;
        bytes32[] rowSiblings;
    }

    /// @notice Whether `rowRoot` is row `row` of the `numRows` x `width` dataset under `datasetRoot`.
    function verifyRowProof(
        bytes32 rowRoot,
        uint256 row,
        bytes32[] calldata proof,
        bytes32 datasetRoot,
        uint256 numRows,
        uint256 width
    ) internal pure returns (bool) {
        if (numRows > type(uint32).max || width > type(uint32).max) return false;
        if (row >= numRows || proof.length != treeDepth(numRows)) return false;
        return bindShape(processProof(rowRoot, row, proof), matrixShapeWord(numRows, width)) == datasetRoot;
    }

    /// @notice Whether `proof` shows its element under the `numRows` x `width` dataset `datasetRoot`.
    ///         Read the bits with `elementBits(proof.leaf, proof.column)`.
    function verifyDatasetElementProof(
        DatasetElementProof calldata proof,
        bytes32 datasetRoot,
        uint256 numRows,
        uint256 width
    ) internal pure returns (bool) {
        if (width > type(uint32).max || proof.column >= width) return false;
        if (!verifyElementProof(proof.rowRoot, vectorShapeWord(width), proof.column, proof.leaf, proof.elementSiblings))
        {
            return false;
        }
        return verifyRowProof(proof.rowRoot, proof.row, proof.rowSiblings, datasetRoot, numRows, width);
    }

    /// @notice The dataset row feeding batch row `row` of step `step`:
    ///         uint256(keccak256(abi.encode(seed, step, row))) % numRows.
    function batchRowIndex(uint256 seed, uint256 step, uint256 row, uint256 numRows) internal pure returns (uint256) {
        if (numRows == 0) revert NoRows();
        return uint256(keccak256(abi.encode(seed, step, row))) % numRows;
    }
}
