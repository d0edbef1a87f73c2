// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameFixture} from "./utils/GameFixture.sol";
import {FullTree, TestTree} from "./utils/TestTree.sol";
import {VmFiles} from "../utils/VmFiles.sol";
import {AvailabilityProofs} from "../../src/AvailabilityProofs.sol";
import {
    Availability,
    ChunkData,
    GameStatus,
    GameView,
    Level,
    Party,
    Resolution,
    SlotProof
} from "../../src/DisputeTypes.sol";
import {Errors} from "../../src/Errors.sol";
import {TaskStatus} from "../../src/Task.sol";
import {Commitments} from "../../src/lib/Commitments.sol";
import {ShapeWords} from "../../src/lib/ShapeWords.sol";

/// @notice Availability challenges (issue #19; docs/protocol.md, "Availability challenges"): the
///         submitter names chunks of a state tensor of the result; the operator (or anyone holding the
///         bytes) delivers them on-chain with proofs before its clock runs out, or it is slashed and the
///         result voided. A small world spelled out in full: 2 slots, 5 nodes, slot 1 of shape (600,)
///         produced by node 4 (75 leaves: chunks of 64 and 11 leaves), S = 4 steps.
contract AvailabilityTest is GameFixture {
    using TestTree for FullTree;

    VmFiles private constant files = VmFiles(address(vm));

    uint256 private constant STEPS = 4;
    uint256 private constant NUM_NODES = 5;
    uint256 private constant NUM_SLOTS = 2;
    uint256 private constant SLOT = 1;
    uint256 private constant PRODUCER = 4;
    uint256 private constant NUMEL = 600;
    uint256 private constant NUM_LEAVES = 75;

    address private replica = makeAddr("replica");

    bytes32 private shapeWord;
    bytes32[] private initRoots;
    bytes[] private descriptors;
    FullTree private nodes;
    /// The slot's leaves after step t (t = 2: a checkpoint, t = 4: the model).
    mapping(uint256 step => bytes32[]) private slotLeaves;
    mapping(uint256 step => bytes32[]) private stateLeaves;
    bytes32[] private trace;
    uint256 private taskId;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy();
        shapeWord = ShapeWords.vector(NUMEL);
        // h_0: slot 0 of shape (3,), slot 1 of shape (600,)
        initRoots.push(Commitments.bindShape(keccak256("init slot 0"), ShapeWords.vector(3)));
        initRoots.push(Commitments.bindShape(_dataTree(0).root(), shapeWord));
        // the graph: node 2 reads slot 0 (produced by node 3) and slot 1 (produced by node 4)
        bytes32[] memory leaves = new bytes32[](NUM_NODES);
        for (uint256 n; n < NUM_NODES; ++n) {
            uint256[] memory refs = new uint256[](n == 2 ? 2 : 0);
            if (n == 2) {
                refs[0] = (1 << 248) | (3 << 64) | 0;
                refs[1] = (1 << 248) | (PRODUCER << 64) | SLOT;
            }
            uint256[] memory shape = new uint256[](1);
            shape[0] = n == PRODUCER ? NUMEL : 3;
            descriptors.push(abi.encode(n, uint8(1), new uint256[](0), refs, shape));
            leaves[n] = keccak256(descriptors[n]);
        }
        nodes = TestTree.build(leaves);
        // the trace: h_2 and h_4 hold node 4's output; the other states are fillers
        for (uint256 t; t <= STEPS; ++t) {
            if (t == 0) {
                trace.push(TestTree.build(initRoots).root());
            } else if (t == 2 || t == 4) {
                for (uint256 n; n < NUM_NODES; ++n) {
                    stateLeaves[t].push(
                        n == PRODUCER
                            ? Commitments.bindShape(_dataTree(t).root(), shapeWord)
                            : keccak256(abi.encode("node output", t, n))
                    );
                }
                trace.push(TestTree.build(stateLeaves[t]).root());
            } else {
                trace.push(keccak256(abi.encode("state", t)));
            }
        }
        bytes32 graphRoot = keccak256(abi.encode(nodes.root(), NUM_NODES, NUM_SLOTS));
        taskId = _submittedTask(keccak256("dataset"), trace[0], graphRoot, STEPS, TestTree.build(trace));
        _stake(submitter, 1 ether);
    }

    // ---------------------------------------------------------------- world

    /// @dev The data tree of slot 1's tensor after step t (t = 0: the initial one).
    function _dataTree(uint256 step) private returns (FullTree memory) {
        bytes32[] storage leaves = slotLeaves[step];
        if (leaves.length == 0) {
            for (uint256 i; i < NUM_LEAVES; ++i) {
                leaves.push(keccak256(abi.encode("leaf", step, i)));
            }
        }
        return TestTree.build(leaves);
    }

    function _slotProof() private view returns (SlotProof memory p) {
        p.slot = SLOT;
        p.initDataRoot = TestTree.build(slotLeaves[0]).root();
        p.shapeWord = shapeWord;
        p.initProof = TestTree.build(initRoots).proof(SLOT);
        p.nodesRoot = nodes.root();
        p.numNodes = NUM_NODES;
        p.numSlots = NUM_SLOTS;
        p.consumer = descriptors[2];
        p.consumerProof = nodes.proof(2);
    }

    function _openAvailability(uint256 step, uint256 mask) private returns (uint256 gameId) {
        vm.prank(submitter);
        gameId = game.openAvailability(taskId, step, _slotProof(), 0, mask);
    }

    /// @dev Chunk c of slot 1 after `step`: its leaves and the siblings of its root (height 6).
    function _chunk(uint256 step, uint256 c) private returns (ChunkData memory d) {
        FullTree memory t = _dataTree(step);
        uint256 end = c * CHUNK_LEAVES + CHUNK_LEAVES < NUM_LEAVES ? c * CHUNK_LEAVES + CHUNK_LEAVES : NUM_LEAVES;
        for (uint256 i = c * CHUNK_LEAVES; i < end; ++i) {
            d.data = bytes.concat(d.data, t.leaf(i));
        }
        d.chunk = c;
        d.proof = new bytes32[](t.depth() - 6);
        for (uint256 h = 6; h < t.depth(); ++h) {
            d.proof[h - 6] = t.node(h, (c >> (h - 6)) ^ 1);
        }
    }

    function _deliver(address who, uint256 gameId, uint256 step, ChunkData[] memory chunks) private {
        FullTree memory data = _dataTree(step);
        FullTree memory state = TestTree.build(stateLeaves[step]);
        bytes32[] memory stateProof = step == STEPS ? new bytes32[](0) : TestTree.build(trace).proof(step);
        vm.prank(who);
        game.deliverChunks(gameId, data.root(), state.proof(PRODUCER), state.root(), stateProof, chunks);
    }

    function _one(ChunkData memory c) private pure returns (ChunkData[] memory chunks) {
        chunks = new ChunkData[](1);
        chunks[0] = c;
    }

    // ---------------------------------------------------------------- opening

    function test_open_locksAChunkBondPerNamedChunk_andRunsTheOperatorsClock() public {
        uint256 lockedBefore = sm.lockedOf(submitter);
        uint256 gameId = _openAvailability(STEPS, 0x3);
        assertEq(sm.lockedOf(submitter) - lockedBefore, 2 * CHUNK_BOND, "two chunks, two chunk bonds");
        GameView memory s = _state(gameId);
        assertEq(uint8(s.status), uint8(GameStatus.Active));
        assertEq(uint8(s.level), uint8(Level.Availability));
        assertEq(uint8(s.onTurn), uint8(Party.Operator), "the operator must deliver");
        assertFalse(s.challengerRevealed);
        Availability memory a = game.availabilityState(gameId);
        assertEq(a.producer, PRODUCER);
        assertEq(a.numLeaves, NUM_LEAVES);
        assertEq(a.stateRoot, trace[STEPS], "the model's state is the final state root");
        assertEq(a.bond, 2 * CHUNK_BOND);
        assertEq(market.getTask(taskId).openDisputes, 1, "the result cannot be finalized meanwhile");
    }

    function test_open_refusesWhatItCannotProve() public {
        SlotProof memory p = _slotProof();
        vm.startPrank(submitter);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotCheckpointStep.selector, 5, 1, STEPS));
        game.openAvailability(taskId, 5, p, 0, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotCheckpointStep.selector, 0, 1, STEPS));
        game.openAvailability(taskId, 0, p, 0, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChunkOutOfRange.selector, 2, 2));
        game.openAvailability(taskId, STEPS, p, 0, 0x4);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChunkOutOfRange.selector, 2, 2));
        game.openAvailability(taskId, STEPS, p, 1, 0x2);
        vm.expectRevert(Errors.NoChunksNamed.selector);
        game.openAvailability(taskId, STEPS, p, 0, 0);

        p.initDataRoot = keccak256("another initial tensor");
        vm.expectRevert(abi.encodeWithSelector(Errors.InitialSlotProofInvalid.selector, SLOT));
        game.openAvailability(taskId, STEPS, p, 0, 1);

        p = _slotProof();
        p.consumer = descriptors[1]; // reads nothing
        p.consumerProof = nodes.proof(1);
        vm.expectRevert(abi.encodeWithSelector(Errors.SlotNotRead.selector, SLOT, 1));
        game.openAvailability(taskId, STEPS, p, 0, 1);

        p = _slotProof();
        p.consumerProof = nodes.proof(3);
        vm.expectRevert(abi.encodeWithSelector(Errors.DescriptorProofInvalid.selector, 2, 3, 3));
        game.openAvailability(taskId, STEPS, p, 0, 1);

        p = _slotProof();
        p.numSlots = 3;
        bytes32 wrongGraph = keccak256(abi.encode(nodes.root(), NUM_NODES, 3));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GraphRootMismatch.selector, wrongGraph, market.getTask(taskId).graphRoot)
        );
        game.openAvailability(taskId, STEPS, p, 0, 1);
        vm.stopPrank();

        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengerIsOperator.selector, taskId, operator));
        game.openAvailability(taskId, STEPS, _slotProof(), 0, 1);
    }

    function test_open_afterTheWindow_isRefused() public {
        uint256 endsAt = market.challengeEndsAt(taskId);
        vm.warp(endsAt + 1);
        SlotProof memory p = _slotProof();
        vm.prank(submitter);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengeWindowClosed.selector, endsAt));
        game.openAvailability(taskId, STEPS, p, 0, 1);
    }

    // ---------------------------------------------------------------- delivery

    function test_deliveredModel_paysTheDeliverersGas_andTheResultStands() public {
        uint256 gameId = _openAvailability(STEPS, 0x3);
        vm.txGasPrice(1 gwei);
        uint256 creditBefore = sm.creditOf(operator);
        uint256 burnedBefore = sm.totalBurned();
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 1)));
        assertEq(uint8(_state(gameId).status), uint8(GameStatus.Active), "one chunk still due");
        uint256 firstPaid = game.availabilityState(gameId).paid;
        assertTrue(firstPaid > 100_000 gwei && firstPaid < 1_000_000 gwei, "the first delivery's gas, at 1 gwei");
        assertEq(sm.creditOf(operator) - creditBefore, firstPaid, "paid as it delivers");
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 0)));

        GameView memory s = _state(gameId);
        assertEq(uint8(s.status), uint8(GameStatus.OperatorWon));
        assertEq(uint8(s.resolution), uint8(Resolution.Delivered));
        assertTrue(game.isSettled(gameId));
        uint256 paid = game.availabilityState(gameId).paid;
        assertTrue(paid > firstPaid && paid < 2 * CHUNK_BOND);
        assertEq(sm.creditOf(operator) - creditBefore, paid, "the operator is paid its gas, no more");
        assertEq(sm.lockedOf(submitter), 0, "the rest of the bond is released");
        assertEq(sm.freeOf(submitter), 1 ether - paid, "the challenger paid exactly the delivery's gas");
        assertEq(sm.totalBurned(), burnedBefore, "nothing is burned");
        assertEq(market.getTask(taskId).openDisputes, 0);
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        assertEq(uint8(market.taskStatus(taskId)), uint8(TaskStatus.Finalized));
    }

    function test_aCheckpointIsDeliveredAgainstTheTrace() public {
        uint256 gameId = _openAvailability(2, 0x1);
        ChunkData memory c = _chunk(2, 0);
        // a state proof of the wrong step is refused
        FullTree memory state = TestTree.build(stateLeaves[2]);
        bytes32 dataRoot = _dataTree(2).root();
        bytes32[] memory tensorProof = state.proof(PRODUCER);
        bytes32[] memory wrongProof = TestTree.build(trace).proof(3);
        vm.expectRevert(abi.encodeWithSelector(Errors.StateProofInvalid.selector, 2, 3, 3));
        game.deliverChunks(gameId, dataRoot, tensorProof, state.root(), wrongProof, _one(c));
        _deliver(operator, gameId, 2, _one(c));
        assertEq(uint8(_state(gameId).resolution), uint8(Resolution.Delivered));
        assertEq(game.availabilityState(gameId).stateRoot, trace[2]);
    }

    function test_aReplicaMayDeliver_andTheBytesAreInTheLog() public {
        uint256 gameId = _openAvailability(STEPS, 0x2);
        ChunkData memory c = _chunk(STEPS, 1);
        assertEq(c.data.length, 11 * 32, "the last chunk holds the 11 leaves left");
        vm.expectEmit(true, true, false, true, address(game));
        emit ChunkDelivered(gameId, taskId, 1, c.data);
        _deliver(replica, gameId, STEPS, _one(c));
        assertEq(uint8(_state(gameId).status), uint8(GameStatus.OperatorWon));
    }

    function test_delivery_refusesWrongBytesAndProofs() public {
        uint256 gameId = _openAvailability(STEPS, 0x1);
        ChunkData memory c = _chunk(STEPS, 0);
        ChunkData memory bad = _chunk(STEPS, 0);
        bad.data[5] = bytes1(uint8(bad.data[5]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChunkProofInvalid.selector, 0, 1, 1));
        _deliver(operator, gameId, STEPS, _one(bad));

        bad = _chunk(STEPS, 0);
        bad.data = bytes.concat(bad.data, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Errors.ChunkLengthInvalid.selector, 0, 65 * 32, 64 * 32));
        _deliver(operator, gameId, STEPS, _one(bad));

        vm.expectRevert(abi.encodeWithSelector(Errors.ChunkNotNamed.selector, gameId, 1));
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 1)));

        // a tensor that is not the producer's leaf of h_S
        FullTree memory state = TestTree.build(stateLeaves[STEPS]);
        bytes32[] memory tensorProof = state.proof(3);
        vm.expectPartialRevert(Errors.DeliveredStateMismatch.selector);
        game.deliverChunks(gameId, _dataTree(STEPS).root(), tensorProof, bytes32(0), new bytes32[](0), _one(c));

        // the checkpoint's bytes are not the model's
        vm.expectPartialRevert(Errors.DeliveredStateMismatch.selector);
        _deliver(operator, gameId, 2, _one(_chunk(2, 0)));
    }

    function test_laterDeliveries_mustRepeatTheProvenDataRoot() public {
        uint256 gameId = _openAvailability(STEPS, 0x3);
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 0)));
        vm.expectRevert(abi.encodeWithSelector(Errors.ChunkAlreadyDelivered.selector, gameId, 0));
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 0)));
        bytes32 other = keccak256("other");
        vm.expectRevert(abi.encodeWithSelector(Errors.DataRootMismatch.selector, other, _dataTree(STEPS).root()));
        game.deliverChunks(gameId, other, new bytes32[](0), bytes32(0), new bytes32[](0), _one(_chunk(STEPS, 1)));
        // the proofs are not needed again
        game.deliverChunks(
            gameId, _dataTree(STEPS).root(), new bytes32[](0), bytes32(0), new bytes32[](0), _one(_chunk(STEPS, 1))
        );
        assertEq(uint8(_state(gameId).status), uint8(GameStatus.OperatorWon));
    }

    // ---------------------------------------------------------------- withheld

    function test_withheldModel_slashesTheOperator_refundsTheBond_andVoidsTheResult() public {
        uint256 gameId = _openAvailability(STEPS, 0x3);
        vm.txGasPrice(1 gwei);
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 0)));
        uint256 paid = game.availabilityState(gameId).paid;
        uint256 bondedBefore = sm.bondedOf(operator);
        vm.warp(block.timestamp + MAX_CLOCK + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.ClockExpired.selector, Party.Operator, MAX_CLOCK + 1, MAX_CLOCK));
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 1)));
        game.claimTimeout(gameId);

        GameView memory s = _state(gameId);
        assertEq(uint8(s.status), uint8(GameStatus.ChallengerWon));
        assertEq(uint8(s.resolution), uint8(Resolution.Timeout));
        assertEq(bondedBefore - sm.bondedOf(operator), MIN_STAKE, "the operator loses minStake");
        assertEq(sm.creditOf(submitter), MIN_STAKE * SLASH_WINNER_BPS / 10_000, "the challenger's share");
        assertEq(sm.lockedOf(submitter), 0, "the bond is released");
        assertEq(sm.freeOf(submitter), 1 ether - paid, "less the gas of the one chunk delivered");
        // before the deadline the escrow waits for a new operator; the submitter may take it back
        assertEq(uint8(market.taskStatus(taskId)), uint8(TaskStatus.Open));
        uint256 creditBefore = sm.creditOf(submitter);
        vm.prank(submitter);
        market.cancel(taskId);
        assertEq(sm.creditOf(submitter) - creditBefore, REWARD, "the escrow is refunded");
    }

    function test_queuesLikeAnyGame_andAWithdrawnChallengeGetsItsBondBack() public {
        // a dispute holds the task stake and the operator has no free stake: the challenge waits
        _open(taskId, challenger, keccak256("another trace"));
        assertEq(sm.freeOf(operator), 0);
        uint256 gameId = _openAvailability(STEPS, 0x1);
        assertEq(uint8(_state(gameId).status), uint8(GameStatus.Queued));
        vm.prank(submitter);
        game.withdrawQueued(gameId);
        assertEq(sm.lockedOf(submitter), 0, "a withdrawn challenge's bond comes back in full");
    }

    function test_reimbursement_neverExceedsTheBond() public {
        uint256 gameId = _openAvailability(STEPS, 0x1);
        vm.fee(1_000_000 gwei);
        vm.txGasPrice(1_000_000 gwei);
        uint256 creditBefore = sm.creditOf(replica);
        _deliver(replica, gameId, STEPS, _one(_chunk(STEPS, 0)));
        assertEq(game.availabilityState(gameId).paid, CHUNK_BOND, "capped at the bond");
        assertEq(sm.creditOf(replica) - creditBefore, CHUNK_BOND, "the deliverer is paid, whoever it is");
        assertEq(sm.lockedOf(submitter), 0);
        assertEq(sm.freeOf(submitter), 1 ether - CHUNK_BOND);
    }

    function test_onAnOpStackChain_theL1DataFeeIsReimbursedToo() public {
        uint256 gameId = _openAvailability(STEPS, 0x3);
        vm.txGasPrice(1 gwei);
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 0)));
        uint256 withoutOracle = game.availabilityState(gameId).paid;
        vm.etch(0x420000000000000000000000000000000000000F, address(new MockL1FeeOracle()).code);
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 1)));
        uint256 second = game.availabilityState(gameId).paid - withoutOracle;
        // the second delivery is smaller (11 leaves, no proofs of the tensor) but carries the L1 fee
        assertTrue(second > 500_000 gwei, "the mock charges 1000 gwei per byte; the gas part is ~150,000 gwei");
        assertEq(sm.freeOf(submitter), 1 ether - game.availabilityState(gameId).paid);
    }

    function test_aTipAboveTheCap_isNotReimbursed() public {
        uint256 gameId = _openAvailability(STEPS, 0x1);
        vm.fee(1 gwei);
        vm.txGasPrice(1000 gwei);
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 0)));
        uint256 paid = game.availabilityState(gameId).paid;
        // reimbursed at most 2 * basefee + 2 gwei = 4 gwei a gas, not the 1000 gwei it offered
        assertTrue(paid > 0 && paid < 2_000_000 * 4 gwei, "priced at the cap");
        assertTrue(paid % 4 gwei == 0, "the capped price");
    }

    function test_atZeroGasPrice_theWholeBondComesBack() public {
        uint256 gameId = _openAvailability(STEPS, 0x3);
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 0)));
        _deliver(operator, gameId, STEPS, _one(_chunk(STEPS, 1)));
        assertEq(game.availabilityState(gameId).paid, 0);
        assertEq(sm.freeOf(submitter), 1 ether);
    }

    // ---------------------------------------------------------------- shared vectors

    function test_checkChunk_matchesPythonVectors() public {
        string memory json = files.readFile("../vectors/availability.json");
        uint256 checked;
        for (uint256 i; files.keyExistsJson(json, string.concat(".tensors[", vm.toString(i), "]")); ++i) {
            string memory base = string.concat(".tensors[", vm.toString(i), "]");
            AvailabilityProofs proofs =
                new AvailabilityProofs(files.parseJsonUint(json, string.concat(base, ".chunk_leaves")));
            uint256 numLeaves = files.parseJsonUint(json, string.concat(base, ".num_leaves"));
            assertEq(numLeaves, Commitments.numLeavesFor(files.parseJsonUint(json, string.concat(base, ".numel"))));
            bytes32 dataRoot = files.parseJsonBytes32(json, string.concat(base, ".data_root"));
            for (uint256 j; files.keyExistsJson(json, string.concat(base, ".chunks[", vm.toString(j), "]")); ++j) {
                string memory key = string.concat(base, ".chunks[", vm.toString(j), "]");
                uint256 c = files.parseJsonUint(json, string.concat(key, ".chunk"));
                bytes memory data = files.parseJsonBytes(json, string.concat(key, ".data"));
                bytes32[] memory proof = files.parseJsonBytes32Array(json, string.concat(key, ".proof"));
                assertTrue(proofs.checkChunk(c, data, proof, numLeaves, dataRoot));
                data[0] = bytes1(uint8(data[0]) ^ 0x80);
                vm.expectPartialRevert(Errors.ChunkProofInvalid.selector);
                proofs.checkChunk(c, data, proof, numLeaves, dataRoot);
                ++checked;
            }
        }
        assertTrue(checked > 20, "the vectors hold chunks");
    }

    event ChunkDelivered(uint256 indexed gameId, uint256 indexed taskId, uint256 chunk, bytes data);
}

/// @dev Stands in for the OP-stack GasPriceOracle predeploy: 1000 gwei per byte.
contract MockL1FeeOracle {
    function getL1FeeUpperBound(uint256 size) external pure returns (uint256) {
        return size * 1000 gwei;
    }
}
