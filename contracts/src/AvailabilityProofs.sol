// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ChunkData, SlotProof} from "./DisputeTypes.sol";
import {Errors} from "./Errors.sol";
import {Commitments} from "./lib/Commitments.sol";
import {Merkle} from "./lib/Merkle.sol";
import {ShapeWords} from "./lib/ShapeWords.sol";

/// @title AvailabilityProofs
/// @notice The proofs of an availability challenge (`docs/protocol.md`, "Availability challenges"),
///         kept out of `DisputeGame`, which creates this contract in its constructor and calls it: what
///         a challenge names (a state slot's shape and producer, a set of chunks) and what a delivery
///         shows (a chunk's leaves under the tensor's data root, the tensor under a state root).
///         Stateless: every function is a pure check of its arguments against roots the caller holds.
/// @dev A tensor of L leaves (8 float32 lanes each) has ceil(L / CHUNK_LEAVES) chunks; chunk c covers
///      leaves [c·C, min(c·C + C, L)). Its root is the node at height h = min(log2 C, depth(L)) and
///      index c of the tensor's data tree, i.e. its leaves padded with zero leaves to 2^h.
contract AvailabilityProofs {
    /// @notice Leaves per chunk (a power of two, 1..4096): 32 bytes each, 8 float32 per leaf.
    uint256 public immutable CHUNK_LEAVES;

    /// @notice log2(CHUNK_LEAVES): the height of a full chunk's subtree.
    uint256 public immutable CHUNK_HEIGHT;

    /// @param chunkLeaves Leaves per chunk (a power of two, 1..4096).
    constructor(uint256 chunkLeaves) {
        if (chunkLeaves == 0 || chunkLeaves > 4096 || chunkLeaves & (chunkLeaves - 1) != 0) {
            revert Errors.ChunkLeavesInvalid(chunkLeaves);
        }
        CHUNK_LEAVES = chunkLeaves;
        CHUNK_HEIGHT = Merkle.treeDepth(chunkLeaves);
    }

    /// @notice Checks what an availability challenge proves about slot `p.slot` and returns what the
    ///         game keeps: its producer node and its tensor's leaf count.
    /// @dev Reverts `GraphRootMismatch`, `SlotOutOfRange`, `InitialSlotProofInvalid`, `ShapeWordInvalid`,
    ///      `DescriptorProofInvalid` or `SlotNotRead`.
    /// @param p The slot proof (see `SlotProof`).
    /// @param initStateRoot The task's h_0.
    /// @param graphRoot The task's graph root.
    /// @return producer The node p whose output is the slot (leaf p of h_t for t >= 1).
    /// @return numLeaves Leaves of the slot's tensor: ceil(numel / 8).
    function checkSlot(SlotProof calldata p, bytes32 initStateRoot, bytes32 graphRoot)
        external
        pure
        returns (uint256 producer, uint256 numLeaves)
    {
        bytes32 computed = keccak256(abi.encode(p.nodesRoot, p.numNodes, p.numSlots));
        if (computed != graphRoot) revert Errors.GraphRootMismatch(computed, graphRoot);
        numLeaves = _checkInitialSlot(p, initStateRoot);
        producer = _producer(p);
    }

    /// @dev Slot p.slot's initial tensor is leaf p.slot of h_0; returns its leaf count.
    function _checkInitialSlot(SlotProof calldata p, bytes32 initStateRoot) private pure returns (uint256) {
        uint256 slot = p.slot;
        if (slot >= p.numSlots) revert Errors.SlotOutOfRange(slot, p.numSlots);
        bytes32 tensorRoot = Commitments.bindShape(p.initDataRoot, p.shapeWord);
        if (!Merkle.verify(tensorRoot, slot, p.initProof, initStateRoot, p.numSlots)) {
            revert Errors.InitialSlotProofInvalid(slot);
        }
        (bool valid, uint256 numel) = ShapeWords.validNumel(p.shapeWord);
        if (!valid) revert Errors.ShapeWordInvalid(p.shapeWord);
        return Commitments.numLeavesFor(numel);
    }

    /// @dev The producer of slot p.slot named by the consumer descriptor's first STATE ref to the slot.
    function _producer(SlotProof calldata p) private pure returns (uint256 producer) {
        (uint256 node,,, uint256[] memory refs,) =
            abi.decode(p.consumer, (uint256, uint8, uint256[], uint256[], uint256[]));
        uint256 numNodes = p.numNodes;
        if (!Merkle.verify(keccak256(p.consumer), node, p.consumerProof, p.nodesRoot, numNodes)) {
            revert Errors.DescriptorProofInvalid(node, p.consumerProof.length, Merkle.treeDepth(numNodes));
        }
        uint256 slot = p.slot;
        // The loop runs over the caller's own calldata (one descriptor's inputs).
        for (uint256 i; i < refs.length; ++i) {
            uint256 ref = refs[i];
            if (ref >> 248 == 1 && uint64(ref) == slot) {
                producer = (ref >> 64) & ((1 << 184) - 1);
                if (producer < numNodes) return producer;
                break;
            }
        }
        revert Errors.SlotNotRead(slot, node);
    }

    /// @notice The number of chunks named by (`firstChunk`, `mask`) of a tensor of `numLeaves` leaves:
    ///         chunk firstChunk + i for every set bit i of the mask, each below the tensor's chunk count.
    /// @dev Reverts `NoChunksNamed` for a zero mask, `ChunkOutOfRange` for a chunk past the tensor.
    /// @param firstChunk The chunk bit 0 of the mask names.
    /// @param mask The chunks named.
    /// @param numLeaves The tensor's leaves.
    /// @return count The named chunks (the bond is count · CHUNK_BOND).
    function chunkCount(uint256 firstChunk, uint256 mask, uint256 numLeaves) external view returns (uint256 count) {
        if (mask == 0) revert Errors.NoChunksNamed();
        uint256 numChunks = (numLeaves + CHUNK_LEAVES - 1) / CHUNK_LEAVES;
        uint256 last = firstChunk + _highestBit(mask);
        if (last >= numChunks) revert Errors.ChunkOutOfRange(last, numChunks);
        count = popcount(mask);
    }

    /// @notice Checks that the tensor with data root `dataRoot` and shape `shapeWord` is leaf `node` of
    ///         the `numNodes` leaves of state `stateRoot` (siblings `proof`, bottom-up).
    /// @dev Reverts `DeliveredStateMismatch(node, proof.length, depth, computed, stateRoot)` otherwise
    ///      (computed zero when the proof's length is not the depth or the node is not a leaf).
    /// @param dataRoot The tensor's data root.
    /// @param shapeWord The tensor's shape word.
    /// @param node The leaf index (the slot's producer).
    /// @param numNodes The state's leaves (nodes per step).
    /// @param proof The siblings, bottom-up.
    /// @param stateRoot h_t.
    function checkTensorInState(
        bytes32 dataRoot,
        bytes32 shapeWord,
        uint256 node,
        uint256 numNodes,
        bytes32[] calldata proof,
        bytes32 stateRoot
    ) external pure {
        uint256 depth = Merkle.treeDepth(numNodes);
        bytes32 computed;
        if (proof.length == depth && node < numNodes) {
            computed = Merkle.processProof(Commitments.bindShape(dataRoot, shapeWord), node, proof);
        }
        if (computed != stateRoot || computed == bytes32(0)) {
            revert Errors.DeliveredStateMismatch(node, proof.length, depth, computed, stateRoot);
        }
    }

    /// @notice Checks the chunks delivered to availability challenge `gameId` and returns its delivered
    ///         mask with them added: each must be named by (`firstChunk`, `mask`), not in `delivered`
    ///         yet, and chunk `chunk` of the tensor under `dataRoot` (`checkChunk`).
    /// @dev Reverts `ChunkNotNamed`, `ChunkAlreadyDelivered` (a chunk twice in one call included), and
    ///      the errors of `checkChunk`. The loop runs over the caller's own calldata.
    /// @param gameId The game (for the errors).
    /// @param chunks The chunks delivered.
    /// @param firstChunk The chunk bit 0 of the mask names.
    /// @param mask The chunks named.
    /// @param delivered The chunks delivered before.
    /// @param numLeaves The tensor's leaves.
    /// @param dataRoot The tensor's data root.
    /// @return The delivered mask with these chunks.
    function checkChunks(
        uint256 gameId,
        ChunkData[] calldata chunks,
        uint256 firstChunk,
        uint256 mask,
        uint256 delivered,
        uint256 numLeaves,
        bytes32 dataRoot
    ) external view returns (uint256) {
        for (uint256 i; i < chunks.length; ++i) {
            ChunkData calldata c = chunks[i];
            uint256 index = c.chunk;
            uint256 bit = index >= firstChunk && index - firstChunk < 256 ? 1 << (index - firstChunk) : 0;
            if (mask & bit == 0) revert Errors.ChunkNotNamed(gameId, index);
            if (delivered & bit != 0) revert Errors.ChunkAlreadyDelivered(gameId, index);
            checkChunk(index, c.data, c.proof, numLeaves, dataRoot);
            delivered |= bit;
        }
        return delivered;
    }

    /// @notice Checks that `data` is chunk `chunk` of the tensor of `numLeaves` leaves under `dataRoot`.
    /// @dev Reverts `ChunkOutOfRange`, `ChunkLengthInvalid` (32 bytes per leaf of the chunk) or
    ///      `ChunkProofInvalid` (the proof must have depth(L) - h siblings). Gas: the chunk root costs
    ///      2^h - 1 keccaks over memory (~63 for 64-leaf chunks), the proof one per sibling.
    /// @param chunk The chunk index.
    /// @param data The chunk's leaves.
    /// @param proof The siblings of the chunk root up to the data root, bottom-up.
    /// @param numLeaves The tensor's leaves.
    /// @param dataRoot The tensor's data root.
    function checkChunk(
        uint256 chunk,
        bytes calldata data,
        bytes32[] calldata proof,
        uint256 numLeaves,
        bytes32 dataRoot
    ) public view returns (bool) {
        uint256 count = _chunkLeafCount(chunk, numLeaves);
        if (data.length != 32 * count) revert Errors.ChunkLengthInvalid(chunk, data.length, 32 * count);
        uint256 depth = Merkle.treeDepth(numLeaves);
        uint256 height = depth < CHUNK_HEIGHT ? depth : CHUNK_HEIGHT;
        if (
            proof.length != depth - height
                || Merkle.processProof(_chunkRoot(data, count, height), chunk, proof) != dataRoot
        ) {
            revert Errors.ChunkProofInvalid(chunk, proof.length, depth - height);
        }
        return true;
    }

    /// @notice Gas a delivery transaction spends outside what `deliverChunks` measures with `gasleft()`:
    ///         the 21,000 intrinsic gas, the ABI decoding before the measurement and the bond's payment
    ///         to the deliverer (`StakeManager.payFromLocked`, a fresh credit slot at worst). Calldata is
    ///         counted apart, at 16 gas per byte (an upper bound).
    uint256 public constant DELIVERY_OVERHEAD_GAS = 75_000;

    /// @notice The wei a delivery transaction cost its sender, as far as the chain can tell: the gas
    ///         `measured` inside `deliverChunks` plus DELIVERY_OVERHEAD_GAS and 16 gas per calldata byte,
    ///         or the EIP-7623 calldata floor (21,000 + 40 per byte, an upper bound) when that is more,
    ///         at the transaction's gas price capped at 2 · basefee + 2 gwei (a deliverer that builds its
    ///         own block cannot pay itself a tip it takes back out of the bond); plus, on an OP-stack
    ///         chain, the L1 data fee (`l1Fee`, 100 bytes added for the signature and envelope).
    /// @param measured Gas measured by the caller with `gasleft()` (and what it adds for work after).
    /// @param calldataLength The delivery's calldata size in bytes.
    /// @return Wei.
    function deliveryCost(uint256 measured, uint256 calldataLength) external view returns (uint256) {
        uint256 gasUsed = measured + DELIVERY_OVERHEAD_GAS + 16 * calldataLength;
        uint256 floor = 21_000 + 40 * calldataLength;
        if (floor > gasUsed) gasUsed = floor;
        uint256 price = tx.gasprice;
        uint256 cap = 2 * block.basefee + 2 gwei;
        if (price > cap) price = cap;
        return gasUsed * price + l1Fee(calldataLength + 100);
    }

    /// @notice The OP-stack `GasPriceOracle` predeploy: on a chain that has code there, the L1 data fee
    ///         of a delivery (charged apart from `tx.gasprice`) is reimbursed too.
    address public constant L1_FEE_ORACLE = 0x420000000000000000000000000000000000000F;

    /// @notice The L1 data fee a transaction of `size` bytes pays on an OP-stack chain (the oracle's
    ///         Fjord `getL1FeeUpperBound`); zero where there is no oracle (L1, other chains) or it does
    ///         not answer.
    /// @param size The unsigned transaction's size in bytes.
    /// @return fee Wei (an upper bound: the oracle assumes incompressible data).
    function l1Fee(uint256 size) public view returns (uint256 fee) {
        if (L1_FEE_ORACLE.code.length == 0) return 0;
        (bool ok, bytes memory ret) =
            L1_FEE_ORACLE.staticcall(abi.encodeWithSignature("getL1FeeUpperBound(uint256)", size));
        if (ok && ret.length >= 32) fee = abi.decode(ret, (uint256));
    }

    /// @notice The number of set bits of `x`.
    /// @param x Any word.
    /// @return count Its set bits.
    function popcount(uint256 x) public pure returns (uint256 count) {
        while (x != 0) {
            x &= x - 1;
            ++count;
        }
    }

    /// @dev The leaves of chunk `chunk` of a tensor of `numLeaves` leaves (reverts past its chunks).
    function _chunkLeafCount(uint256 chunk, uint256 numLeaves) private view returns (uint256) {
        uint256 chunkLeaves = CHUNK_LEAVES;
        uint256 numChunks = (numLeaves + chunkLeaves - 1) / chunkLeaves;
        if (chunk >= numChunks) revert Errors.ChunkOutOfRange(chunk, numChunks);
        uint256 rest = numLeaves - chunk * chunkLeaves;
        return rest < chunkLeaves ? rest : chunkLeaves;
    }

    /// @dev The Merkle root of `count` 32-byte leaves in `data`, padded with zero leaves to 2^height.
    function _chunkRoot(bytes calldata data, uint256 count, uint256 height) private pure returns (bytes32 root) {
        // In scratch memory past the free pointer (never read again): the leaves, zero padding up to
        // 2^height, then each level hashed in place (node i of a level overwrites leaf i, whose pair
        // was read already).
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let width := shl(height, 1)
            calldatacopy(ptr, data.offset, shl(5, count))
            let end := add(ptr, shl(5, width))
            for { let p := add(ptr, shl(5, count)) } lt(p, end) { p := add(p, 0x20) } { mstore(p, 0) }
            for { let h := 0 } lt(h, height) { h := add(h, 1) } {
                width := shr(1, width)
                for { let i := 0 } lt(i, width) { i := add(i, 1) } {
                    mstore(add(ptr, shl(5, i)), keccak256(add(ptr, shl(6, i)), 0x40))
                }
            }
            root := mload(ptr)
        }
    }

    /// @dev The index of the highest set bit of a non-zero word.
    function _highestBit(uint256 x) private pure returns (uint256 bit) {
        while (x > 1) {
            x >>= 1;
            ++bit;
        }
    }
}
