// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {VmFiles} from "../utils/VmFiles.sol";
import {Errors} from "../../src/Errors.sol";
import {Commitments} from "../../src/lib/Commitments.sol";
import {Merkle} from "../../src/lib/Merkle.sol";
import {ShapeWords} from "../../src/lib/ShapeWords.sol";
import {Traces} from "../utils/Traces.sol";

/// @notice External entry points to `Merkle` and `Commitments`, so tests pass proofs as calldata
///         (as the game does) and measure the libraries' gas without the test's own overhead.
contract MerkleHarness {
    function verify(bytes32 leaf, uint256 index, bytes32[] calldata proof, bytes32 root, uint256 numLeaves)
        external
        pure
        returns (bool)
    {
        return Merkle.verify(leaf, index, proof, root, numLeaves);
    }

    function verifyUnbounded(bytes32 leaf, uint256 index, bytes32[] calldata proof, bytes32 root)
        external
        pure
        returns (bool)
    {
        return Merkle.verify(leaf, index, proof, root);
    }

    function processProof(bytes32 leaf, uint256 index, bytes32[] calldata proof) external pure returns (bytes32) {
        return Merkle.processProof(leaf, index, proof);
    }

    function verifyElementProof(
        bytes32 tensorRoot,
        bytes32 word,
        uint256 element,
        bytes32 leaf,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        return Commitments.verifyElementProof(tensorRoot, word, element, leaf, proof);
    }

    function verifyStateProof(bytes32 root, uint256 index, bytes32[] calldata proof, bytes32 h, uint256 n)
        external
        pure
        returns (bool)
    {
        return Commitments.verifyStateProof(root, index, proof, h, n);
    }

    function verifyTraceProof(bytes32 h, uint256 step, bytes32[] calldata proof, bytes32 root, uint256 n)
        external
        pure
        returns (bool)
    {
        return Commitments.verifyTraceProof(h, step, proof, root, n);
    }

    function verifyRowProof(
        bytes32 rowRoot,
        uint256 row,
        bytes32[] calldata proof,
        bytes32 root,
        uint256 numRows,
        uint256 width
    ) external pure returns (bool) {
        return Commitments.verifyRowProof(rowRoot, row, proof, root, numRows, width);
    }

    function verifyDatasetElementProof(
        Commitments.DatasetElementProof calldata proof,
        bytes32 root,
        uint256 numRows,
        uint256 width
    ) external pure returns (bool) {
        return Commitments.verifyDatasetElementProof(proof, root, numRows, width);
    }

    function batchRowIndex(uint256 seed, uint256 step, uint256 row, uint256 numRows) external pure returns (uint256) {
        return Commitments.batchRowIndex(seed, step, row, numRows);
    }

    /// @notice Gas of `rootOf` (internal call) over `leaves`.
    function gasOfRootOf(bytes32[] memory leaves) external view returns (bytes32 root, uint256 gasUsed) {
        uint256 before = gasleft();
        root = Merkle.rootOf(leaves);
        gasUsed = before - gasleft();
    }

    /// @notice Gas of `verify` (internal call) on the given proof.
    function gasOfVerify(bytes32 leaf, uint256 index, bytes32[] calldata proof, bytes32 root, uint256 numLeaves)
        external
        view
        returns (bool ok, uint256 gasUsed)
    {
        uint256 before = gasleft();
        ok = Merkle.verify(leaf, index, proof, root, numLeaves);
        gasUsed = before - gasleft();
    }

    /// @notice Gas of `verifyElementProof` plus reading the element's bits (internal calls).
    function gasOfElementProof(
        bytes32 tensorRoot,
        bytes32 word,
        uint256 element,
        bytes32 leaf,
        bytes32[] calldata proof
    ) external view returns (bool ok, uint32 bits, uint256 gasUsed) {
        uint256 before = gasleft();
        ok = Commitments.verifyElementProof(tensorRoot, word, element, leaf, proof);
        bits = Commitments.elementBits(leaf, element);
        gasUsed = before - gasleft();
    }
}

/// @notice `Merkle`, `ShapeWords` and `Commitments` against `vectors/commitments.json` (written by
///         `python -m tools.generate.commitment_vectors`): every root, proof, lane and batch index bit for
///         bit; tampered proofs, wrong depths and wrong indices rejected.
contract MerkleTest is Test {
    event log_named_uint(string key, uint256 val);

    VmFiles private constant files = VmFiles(address(vm));
    string private constant VECTORS = "../vectors/commitments.json";

    MerkleHarness private harness;

    function setUp() public {
        harness = new MerkleHarness();
    }

    /// @dev The vectors, read into memory once per test (the helpers take them as `json`).
    function _vectors() private view returns (string memory) {
        return files.readFile(VECTORS);
    }

    // ---------------------------------------------------------------- json helpers

    /// @dev Length of the JSON array at `arrayKey` (at most 1000 entries probed).
    function _length(string memory json, string memory arrayKey) private view returns (uint256 n) {
        while (n < 1000 && files.keyExistsJson(json, _at(arrayKey, n, ""))) n++;
    }

    function _b32(string memory json, string memory key) private view returns (bytes32) {
        return files.parseJsonBytes32(json, key);
    }

    function _b32s(string memory json, string memory key) private view returns (bytes32[] memory) {
        return files.parseJsonBytes32Array(json, key);
    }

    function _uint(string memory json, string memory key) private view returns (uint256) {
        return files.parseJsonUint(json, key);
    }

    function _at(string memory prefix, uint256 i, string memory suffix) private pure returns (string memory) {
        return string.concat(prefix, "[", vm.toString(i), "]", suffix);
    }

    function _tampered(bytes32[] memory proof, uint256 i) private pure returns (bytes32[] memory copy) {
        copy = new bytes32[](proof.length);
        for (uint256 j = 0; j < proof.length; j++) {
            copy[j] = proof[j];
        }
        copy[i] = proof[i] ^ bytes32(uint256(1));
    }

    function _longer(bytes32[] memory proof) private pure returns (bytes32[] memory longer) {
        longer = new bytes32[](proof.length + 1);
        for (uint256 j = 0; j < proof.length; j++) {
            longer[j] = proof[j];
        }
    }

    function _shorter(bytes32[] memory proof) private pure returns (bytes32[] memory shorter) {
        shorter = new bytes32[](proof.length - 1);
        for (uint256 j = 0; j < shorter.length; j++) {
            shorter[j] = proof[j];
        }
    }

    // ---------------------------------------------------------------- keccak and generic trees

    function test_hashPair_matchesKeccakVector() public view {
        string memory json = _vectors();
        // keccak vector 2 is keccak256 of 64 zero bytes
        assertEq(Merkle.hashPair(bytes32(0), bytes32(0)), _b32(json, ".keccak[2].hash"));
        bytes32[] memory zeros = _b32s(json, ".merkle.zero_hashes");
        for (uint256 k = 0; k + 1 < zeros.length; k++) {
            assertEq(Merkle.hashPair(zeros[k], zeros[k]), zeros[k + 1], "zero hash");
        }
    }

    function test_treeDepth_matchesPython() public pure {
        uint256[12] memory counts = [uint256(0), 1, 2, 3, 4, 5, 8, 9, 1023, 1024, 1025, 2 ** 64];
        uint256[12] memory depths = [uint256(0), 0, 1, 2, 2, 3, 3, 4, 10, 10, 11, 64];
        for (uint256 i = 0; i < counts.length; i++) {
            assertEq(Merkle.treeDepth(counts[i]), depths[i], "treeDepth");
        }
        assertEq(Merkle.treeDepth(type(uint256).max), 256, "treeDepth(max)");
    }

    function test_trees_everyProofVerifies() public {
        string memory json = _vectors();
        uint256 checked;
        uint256 trees = _length(json, ".merkle.trees");
        for (uint256 t = 0; t < trees; t++) {
            string memory tree = _at(".merkle.trees", t, "");
            bytes32 root = _b32(json, string.concat(tree, ".root"));
            bytes32[] memory leaves = _b32s(json, string.concat(tree, ".leaves"));
            uint256 numLeaves = leaves.length;
            assertEq(Merkle.treeDepth(numLeaves), _uint(json, string.concat(tree, ".depth")), "depth");
            for (uint256 i = 0; i < numLeaves; i++) {
                bytes32 leaf = leaves[i];
                bytes32[] memory proof = _b32s(json, _at(string.concat(tree, ".proofs"), i, ".proof"));
                assertTrue(harness.verify(leaf, i, proof, root, numLeaves), "proof rejected");
                assertTrue(harness.verifyUnbounded(leaf, i, proof, root), "unbounded proof rejected");
                assertEq(harness.processProof(leaf, i, proof), root, "processProof");
                _assertTamperedRejected(leaf, i, proof, root, numLeaves);
                checked++;
            }
        }
        emit log_named_uint("tree proofs checked", checked);
    }

    function _assertTamperedRejected(bytes32 leaf, uint256 index, bytes32[] memory proof, bytes32 root, uint256 n)
        private
        view
    {
        assertFalse(harness.verify(leaf ^ bytes32(uint256(1)), index, proof, root, n), "tampered leaf accepted");
        assertFalse(harness.verify(leaf, index, proof, root ^ bytes32(uint256(1)), n), "wrong root accepted");
        assertFalse(harness.verify(leaf, index + n, proof, root, n), "index past the leaves accepted");
        assertFalse(harness.verify(leaf, index, _longer(proof), root, n), "too deep a proof accepted");
        if (proof.length == 0) return;
        assertFalse(harness.verify(leaf, index, _shorter(proof), root, n), "too shallow a proof accepted");
        for (uint256 j = 0; j < proof.length; j++) {
            assertFalse(harness.verify(leaf, index, _tampered(proof, j), root, n), "tampered sibling accepted");
        }
        // the sibling of the leaf, presented at the leaf's position
        assertFalse(harness.verify(leaf, index ^ 1, proof, root, n), "swapped side accepted");
    }

    function test_innerNode_cannotPoseAsLeaf() public view {
        string memory json = _vectors();
        // tree of 5: its level-1 node 0 (hash of leaves 0, 1) with the upper proof would be a
        // valid 2-sibling proof, but the depth of 5 leaves is 3
        string memory tree = ".merkle.trees[4]";
        bytes32 root = _b32(json, string.concat(tree, ".root"));
        bytes32[] memory leafProof = _b32s(json, string.concat(tree, ".proofs[0].proof"));
        bytes32 inner = Merkle.hashPair(_b32(json, string.concat(tree, ".leaves[0]")), leafProof[0]);
        bytes32[] memory upper = new bytes32[](2);
        upper[0] = leafProof[1];
        upper[1] = leafProof[2];
        assertTrue(harness.verifyUnbounded(inner, 0, upper, root), "inner node opens the root without depth");
        assertFalse(harness.verify(inner, 0, upper, root, 5), "inner node accepted as a leaf");
    }

    function test_paddingLeaf_isNotALeaf() public view {
        string memory json = _vectors();
        // a tree of 5 leaves is padded to 8: the zero leaf at index 5 has a valid path, but no leaf
        string memory tree = ".merkle.trees[4]";
        bytes32 root = _b32(json, string.concat(tree, ".root"));
        bytes32[] memory proof4 = _b32s(json, string.concat(tree, ".proofs[4].proof"));
        bytes32[] memory proof5 = new bytes32[](3);
        proof5[0] = _b32(json, string.concat(tree, ".leaves[4]"));
        proof5[1] = proof4[1];
        proof5[2] = proof4[2];
        assertTrue(harness.verifyUnbounded(bytes32(0), 5, proof5, root), "padding path");
        assertFalse(harness.verify(bytes32(0), 5, proof5, root, 5), "padding leaf accepted");
    }

    function test_processProof_indexOutsideProof_reverts() public {
        bytes32[] memory proof = new bytes32[](2);
        vm.expectRevert(abi.encodeWithSelector(Errors.IndexOutsideProof.selector, 4, 2));
        harness.processProof(bytes32(0), 4, proof);
        assertFalse(harness.verifyUnbounded(bytes32(0), 4, proof, bytes32(0)));
    }

    // ---------------------------------------------------------------- tensors

    function test_tensors_rootsShapesAndLanes() public {
        string memory json = _vectors();
        uint256 tensors = _length(json, ".tensors");
        uint256 elements;
        for (uint256 t = 0; t < tensors; t++) {
            string memory tensor = _at(".tensors", t, "");
            (bytes32 root, bytes32 word, uint256 numel) = _checkTensorRoot(json, tensor);
            _checkLanes(json, tensor, numel);
            elements += _checkElementProofs(json, tensor, root, word, numel);
        }
        emit log_named_uint("tensors checked", tensors);
        emit log_named_uint("element proofs checked", elements);
    }

    function _checkTensorRoot(string memory json, string memory tensor)
        private
        view
        returns (bytes32 root, bytes32 word, uint256 numel)
    {
        word = _b32(json, string.concat(tensor, ".shape_word"));
        numel = _uint(json, string.concat(tensor, ".numel"));
        assertEq(ShapeWords.encode(files.parseJsonUintArray(json, string.concat(tensor, ".shape"))), word, "shape word");
        (bool valid, uint256 decoded) = ShapeWords.validNumel(word);
        assertTrue(valid, "shape word rejected");
        assertEq(decoded, numel, "numel");
        assertEq(Commitments.numLeavesFor(numel), _uint(json, string.concat(tensor, ".num_leaves")), "num leaves");
        assertEq(
            Merkle.treeDepth(Commitments.numLeavesFor(numel)), _uint(json, string.concat(tensor, ".depth")), "depth"
        );
        root = _b32(json, string.concat(tensor, ".root"));
        assertEq(Commitments.bindShape(_b32(json, string.concat(tensor, ".data_root")), word), root, "tensor root");
    }

    /// @dev Every element's lane in the packed leaves, and zero padding lanes after the last.
    function _checkLanes(string memory json, string memory tensor, uint256 numel) private view {
        bytes32[] memory leaves = _b32s(json, string.concat(tensor, ".leaves"));
        uint256[] memory bits = files.parseJsonUintArray(json, string.concat(tensor, ".bits"));
        assertEq(bits.length, numel, "bits");
        for (uint256 e = 0; e < numel; e++) {
            assertEq(Commitments.elementBits(leaves[e / 8], e), bits[e], "lane bits");
        }
        for (uint256 e = numel; e < 8 * leaves.length; e++) {
            assertEq(Commitments.elementBits(leaves[e / 8], e), 0, "padding lane");
        }
    }

    function _checkElementProofs(string memory json, string memory tensor, bytes32 root, bytes32 word, uint256 numel)
        private
        view
        returns (uint256 count)
    {
        count = _length(json, string.concat(tensor, ".element_proofs"));
        for (uint256 i = 0; i < count; i++) {
            string memory p = _at(string.concat(tensor, ".element_proofs"), i, "");
            uint256 element = _uint(json, string.concat(p, ".element"));
            bytes32 leaf = _b32(json, string.concat(p, ".leaf"));
            bytes32[] memory proof = _b32s(json, string.concat(p, ".proof"));
            assertEq(element / 8, _uint(json, string.concat(p, ".leaf_index")), "leaf index");
            assertEq(element % 8, _uint(json, string.concat(p, ".lane")), "lane");
            assertEq(Commitments.leafLane(leaf, element % 8), _uint(json, string.concat(p, ".bits")), "bits");
            assertTrue(harness.verifyElementProof(root, word, element, leaf, proof), "element proof rejected");
            // rejections: element out of range, wrong leaf, wrong shape, wrong depth, tampered sibling
            assertFalse(harness.verifyElementProof(root, word, numel, leaf, proof), "element past the end");
            assertFalse(harness.verifyElementProof(root, word, element, leaf ^ bytes32(uint256(1)), proof), "leaf");
            assertFalse(harness.verifyElementProof(root, _otherShape(word), element, leaf, proof), "shape");
            assertFalse(harness.verifyElementProof(root, word, element, leaf, _longer(proof)), "deeper proof");
            if (element + 8 < numel) {
                assertFalse(harness.verifyElementProof(root, word, element + 8, leaf, proof), "other leaf's index");
            }
            for (uint256 j = 0; j < proof.length; j++) {
                assertFalse(harness.verifyElementProof(root, word, element, leaf, _tampered(proof, j)), "sibling");
            }
        }
    }

    /// @dev The same element count in a different shape: (numel) vs (1, numel), or a scalar's (1).
    function _otherShape(bytes32 word) private pure returns (bytes32) {
        (, uint256 numel) = ShapeWords.validNumel(word);
        if (uint256(word) >> 248 == 1) return ShapeWords.matrix(1, numel);
        return ShapeWords.vector(numel);
    }

    function test_validNumel_rejectsNonCanonicalWords() public pure {
        (bool valid,) = ShapeWords.validNumel(bytes32(uint256(8) << 248));
        assertFalse(valid, "8 dimensions");
        (valid,) = ShapeWords.validNumel(ShapeWords.vector(3) | bytes32(uint256(1)));
        assertFalse(valid, "trailing bytes");
        (bool scalarValid, uint256 scalarNumel) = ShapeWords.validNumel(bytes32(0));
        assertTrue(scalarValid && scalarNumel == 1, "scalar");
    }

    function test_encode_rejectsUnencodableShapes() public {
        MerkleShapeCaller caller = new MerkleShapeCaller();
        vm.expectRevert(abi.encodeWithSelector(Errors.TooManyDimensions.selector, 8, 7));
        caller.shapeWord(new uint256[](8));
        uint256[] memory dims = new uint256[](1);
        dims[0] = 2 ** 32;
        vm.expectRevert(abi.encodeWithSelector(Errors.DimensionTooLarge.selector, 2 ** 32));
        caller.shapeWord(dims);
    }

    // ---------------------------------------------------------------- state and trace

    function test_state_membership() public view {
        string memory json = _vectors();
        bytes32[] memory roots = _b32s(json, ".state.tensor_roots");
        bytes32 h = _b32(json, ".state.commitment");
        for (uint256 i = 0; i < roots.length; i++) {
            bytes32[] memory proof = _b32s(json, _at(".state.proofs", i, ".proof"));
            assertTrue(harness.verifyStateProof(roots[i], i, proof, h, roots.length), "state proof rejected");
            assertFalse(harness.verifyStateProof(roots[i], i, proof, h, 16), "wrong tensor count accepted");
            assertFalse(harness.verifyStateProof(roots[i], i, _tampered(proof, 0), h, roots.length), "tampered");
            assertFalse(
                harness.verifyStateProof(roots[(i + 1) % roots.length], i, proof, h, roots.length), "other root"
            );
        }
    }

    function test_trace_membership() public view {
        string memory json = _vectors();
        bytes32[] memory states = _b32s(json, ".trace.states");
        bytes32 root = _b32(json, ".trace.root");
        assertEq(states[0], _b32(json, ".state.commitment"), "h_0");
        for (uint256 step = 0; step < states.length; step++) {
            bytes32[] memory proof = _b32s(json, _at(".trace.proofs", step, ".proof"));
            assertTrue(harness.verifyTraceProof(states[step], step, proof, root, states.length), "trace proof rejected");
            assertFalse(harness.verifyTraceProof(states[step], step, proof, root, 2), "wrong state count accepted");
            assertFalse(harness.verifyTraceProof(states[step], step ^ 1, proof, root, states.length), "wrong step");
            assertFalse(harness.verifyTraceProof(states[step], step, _shorter(proof), root, states.length), "shallow");
        }
    }

    // ---------------------------------------------------------------- datasets and batches

    function test_dataset_elementsAndRows() public view {
        string memory json = _vectors();
        uint256 numRows = _uint(json, ".dataset.num_rows");
        uint256 width = _uint(json, ".dataset.width");
        bytes32 root = _b32(json, ".dataset.root");
        assertEq(ShapeWords.matrix(numRows, width), _b32(json, ".dataset.shape_word"), "dataset shape word");
        assertEq(ShapeWords.vector(width), _b32(json, ".dataset.row_shape_word"), "row shape word");
        assertEq(
            Commitments.bindShape(_b32(json, ".dataset.rows_root"), _b32(json, ".dataset.shape_word")),
            root,
            "dataset root"
        );
        uint256 count = _length(json, ".dataset.elements");
        for (uint256 i = 0; i < count; i++) {
            Commitments.DatasetElementProof memory proof = _datasetProof(json, _at(".dataset.elements", i, ""));
            assertEq(
                Commitments.elementBits(proof.leaf, proof.column),
                _uint(json, _at(".dataset.elements", i, ".bits")),
                "bits"
            );
            assertTrue(harness.verifyDatasetElementProof(proof, root, numRows, width), "dataset proof rejected");
            assertTrue(
                harness.verifyRowProof(proof.rowRoot, proof.row, proof.rowSiblings, root, numRows, width), "row proof"
            );
            assertFalse(harness.verifyDatasetElementProof(proof, root, numRows, width + 1), "wrong width accepted");
            assertFalse(harness.verifyDatasetElementProof(proof, root, numRows + 1, width), "wrong rows accepted");
            // the proof binds the leaf; the column only picks its lane, so a column in another
            // leaf needs another leaf, and one past the row is rejected
            proof.column = width;
            assertFalse(harness.verifyDatasetElementProof(proof, root, numRows, width), "column past the row");
            proof = _datasetProof(json, _at(".dataset.elements", i, ""));
            proof.row = (proof.row + 1) % numRows;
            assertFalse(harness.verifyDatasetElementProof(proof, root, numRows, width), "wrong row accepted");
            proof = _datasetProof(json, _at(".dataset.elements", i, ""));
            proof.rowSiblings = _tampered(proof.rowSiblings, proof.rowSiblings.length - 1);
            assertFalse(harness.verifyDatasetElementProof(proof, root, numRows, width), "tampered row proof");
        }
    }

    function _datasetProof(string memory json, string memory p)
        private
        view
        returns (Commitments.DatasetElementProof memory proof)
    {
        proof.row = _uint(json, string.concat(p, ".row"));
        proof.column = _uint(json, string.concat(p, ".column"));
        proof.leaf = _b32(json, string.concat(p, ".leaf"));
        proof.elementSiblings = _b32s(json, string.concat(p, ".element_proof"));
        proof.rowRoot = _b32(json, string.concat(p, ".row_root"));
        proof.rowSiblings = _b32s(json, string.concat(p, ".row_proof"));
        assertEq(proof.column / 8, _uint(json, string.concat(p, ".leaf_index")), "leaf index");
        assertEq(proof.column % 8, _uint(json, string.concat(p, ".lane")), "lane");
    }

    function test_batchRowIndex_matchesPython() public {
        string memory json = _vectors();
        uint256 count = _length(json, ".batch_indices");
        for (uint256 i = 0; i < count; i++) {
            string memory c = _at(".batch_indices", i, "");
            uint256 index = Commitments.batchRowIndex(
                _uint(json, string.concat(c, ".seed")),
                _uint(json, string.concat(c, ".step")),
                _uint(json, string.concat(c, ".row")),
                _uint(json, string.concat(c, ".num_rows"))
            );
            assertEq(index, _uint(json, string.concat(c, ".index")), "batch row index");
        }
        emit log_named_uint("batch indices checked", count);
    }

    function test_batchRowIndex_noRows_reverts() public {
        vm.expectRevert(Errors.NoRows.selector);
        harness.batchRowIndex(1, 2, 3, 0);
    }

    // ---------------------------------------------------------------- gas

    function _deepProof(uint256 depth) private pure returns (bytes32 leaf, uint256 index, bytes32[] memory proof) {
        proof = new bytes32[](depth);
        for (uint256 i = 0; i < depth; i++) {
            proof[i] = keccak256(abi.encode("sibling", i));
        }
        leaf = keccak256("leaf");
        index = 0x5A5A5 & ((1 << depth) - 1);
    }

    function test_gas_verify() public {
        (bytes32 leaf, uint256 index, bytes32[] memory proof) = _deepProof(20);
        bytes32 root = harness.processProof(leaf, index, proof);
        (bool ok, uint256 gasUsed) = harness.gasOfVerify(leaf, index, proof, root, 1 << 20);
        assertTrue(ok);
        emit log_named_uint("verify, depth 20 (gas)", gasUsed);
        (ok, gasUsed) = harness.gasOfVerify(leaf, 0, new bytes32[](0), leaf, 1);
        assertTrue(ok);
        emit log_named_uint("verify, depth 0 (gas)", gasUsed);
    }

    function test_gas_elementProof() public {
        // a 4096 x 2048 tensor: 2^23 elements in 2^20 leaves, an element proof of depth 20
        (bytes32 leaf, uint256 index, bytes32[] memory proof) = _deepProof(20);
        bytes32 word = ShapeWords.matrix(4096, 2048);
        bytes32 tensorRoot = Commitments.bindShape(harness.processProof(leaf, index, proof), word);
        (bool valid, uint32 bits, uint256 gasUsed) =
            harness.gasOfElementProof(tensorRoot, word, index * 8 + 5, leaf, proof);
        assertTrue(valid);
        assertEq(bits, Commitments.leafLane(leaf, 5));
        emit log_named_uint("element proof + lane, depth 20 (gas)", gasUsed);
    }
}

/// @notice Calls `ShapeWords.encode` externally, so its reverts can be asserted.
contract MerkleShapeCaller {
    function shapeWord(uint256[] memory dims) external pure returns (bytes32) {
        return ShapeWords.encode(dims);
    }
}

/// @notice `Merkle.rootOf` builds the tree `tribunal.merkle.merkle_root` builds: against roots Python
///         computed, against `processProof` for every leaf, and against `Traces`' level-by-level tree.
contract MerkleRootOfTest is Test {
    event log_named_uint(string key, uint256 val);

    MerkleHarness private harness;

    function setUp() public {
        harness = new MerkleHarness();
    }

    /// @dev keccak256("leaf" ‖ uint8(i)) for i < n: Python's `keccak256(b"leaf" + bytes([i]))`.
    function _leaves(uint256 n) private pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            // forge-lint: disable-next-line(unsafe-typecast) n < 256 in every caller
            leaves[i] = keccak256(abi.encodePacked("leaf", uint8(i)));
        }
    }

    /// @notice Roots from `.venv/bin/python -c "from tribunal.merkle import merkle_root, keccak256; ..."`
    ///         over `_leaves(n)`: no leaves, one, a full tree, and padded ones.
    function test_rootOf_matchesPython() public pure {
        assertEq(Merkle.rootOf(_leaves(0)), bytes32(0), "n = 0");
        assertEq(Merkle.rootOf(_leaves(1)), 0xc6e7c210c472c73af85a518cd62b9eb481048438378cddcf0e31261cacc0b566, "n = 1");
        assertEq(Merkle.rootOf(_leaves(2)), 0xacf8428693746a636cc9d76507b3bcc62e67fd600843e968e17c4ecd22f7b783, "n = 2");
        assertEq(Merkle.rootOf(_leaves(3)), 0x797dd10c77e256fa4b8afd718d0fe20642e37175c41545633cb11121177b37b5, "n = 3");
        assertEq(Merkle.rootOf(_leaves(5)), 0xff9e41abb0eaa197a3d098e42c17eb1f0d3db48c336f9c23727dc5f54bc9986e, "n = 5");
        assertEq(Merkle.rootOf(_leaves(8)), 0xe0f8eb1b8339f8d51bc9318878d8f7f6ab3c023b5312117d1cd32e8f1bfe899d, "n = 8");
        assertEq(
            Merkle.rootOf(_leaves(13)), 0x21cf2767a65cbe087741d43fa9032401b5a2fe477728438b1521c290ffa847d7, "n = 13"
        );
    }

    function test_rootOf_oneLeaf_isTheLeaf() public pure {
        bytes32[] memory one = new bytes32[](1);
        one[0] = keccak256("only");
        assertEq(Merkle.rootOf(one), one[0]);
    }

    /// @notice For any leaves (zero ones included), every leaf's proof of depth treeDepth(n) leads
    ///         `processProof` to `rootOf`, and the leaves are left as they were.
    function testFuzz_rootOf_everyLeafProvesToRoot(bytes32 seed, uint256 n, uint256 zeroMask) public view {
        n = bound(n, 1, 70);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            leaves[i] = (zeroMask >> (i % 256)) & 1 == 1 ? bytes32(0) : keccak256(abi.encode(seed, i));
        }
        bytes32[] memory kept = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            kept[i] = leaves[i];
        }
        bytes32 root = Merkle.rootOf(leaves);
        for (uint256 i = 0; i < n; i++) {
            assertEq(leaves[i], kept[i], "leaves unchanged");
        }
        assertEq(root, Traces.root(leaves), "Traces' tree");
        for (uint256 i = 0; i < n; i++) {
            bytes32[] memory proof = Traces.proof(leaves, i);
            assertEq(proof.length, Merkle.treeDepth(n), "depth");
            assertEq(harness.processProof(leaves[i], i, proof), root, "proof leads to rootOf");
        }
    }

    function test_gas_rootOf() public {
        (, uint256 gasUsed) = harness.gasOfRootOf(_leaves(16));
        emit log_named_uint("rootOf, 16 leaves (gas)", gasUsed);
        (, gasUsed) = harness.gasOfRootOf(_leaves(255));
        emit log_named_uint("rootOf, 255 leaves (gas)", gasUsed);
    }
}
