// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Errors} from "../src/Errors.sol";
import {RootKind, TaskStatus} from "../src/Task.sol";
import {TraceResult, Traces} from "./utils/Traces.sol";

/// @notice `publishCheckpoints`: the operator names its checkpoint manifest; only an event, no state.
contract TaskMarketCheckpointsTest is MarketFixture {
    bytes32 internal constant MANIFEST = keccak256("manifest");

    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    address internal stranger = makeAddr("stranger");
    uint64 internal deadline;

    event CheckpointsPublished(uint256 indexed taskId, address indexed operator, bytes32 manifestHash);

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy();
        deadline = uint64(block.timestamp + 3 days);
        vm.deal(submitter, 100 ether);
        vm.deal(operator, 100 ether);
        vm.prank(operator);
        sm.stake{value: 20 ether}();
    }

    function _posted() internal returns (uint256 taskId) {
        vm.prank(submitter);
        taskId = market.postTask{value: REWARD}(_params(deadline));
    }

    function _claimed() internal returns (uint256 taskId) {
        taskId = _posted();
        vm.prank(operator);
        market.claim(taskId);
    }

    function _submitted() internal returns (uint256 taskId) {
        taskId = _claimed();
        vm.prank(operator);
        TraceResult memory r = Traces.result(_params(deadline).steps, "trace");
        market.submitResult(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof, keccak256("model"));
    }

    function test_publishCheckpoints_whileClaimed_emits() public {
        uint256 taskId = _claimed();
        vm.expectEmit(true, true, true, true, address(market));
        emit CheckpointsPublished(taskId, operator, MANIFEST);
        vm.prank(operator);
        market.publishCheckpoints(taskId, MANIFEST);
    }

    function test_publishCheckpoints_afterSubmission_emitsAndChangesNothing() public {
        uint256 taskId = _submitted();
        bytes memory before = abi.encode(market.getTask(taskId));
        vm.expectEmit(true, true, true, true, address(market));
        emit CheckpointsPublished(taskId, operator, MANIFEST);
        vm.prank(operator);
        market.publishCheckpoints(taskId, MANIFEST);
        assertEq(keccak256(abi.encode(market.getTask(taskId))), keccak256(before), "task unchanged");
    }

    function test_publishCheckpoints_notOperator_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOperator.selector, stranger, operator));
        market.publishCheckpoints(taskId, MANIFEST);
    }

    function test_publishCheckpoints_openTask_reverts() public {
        uint256 taskId = _posted();
        vm.prank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.WrongStatus.selector, taskId, TaskStatus.Open, TaskStatus.Claimed)
        );
        market.publishCheckpoints(taskId, MANIFEST);
    }

    function test_publishCheckpoints_finalizedTask_reverts() public {
        uint256 taskId = _submitted();
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
        vm.prank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.WrongStatus.selector, taskId, TaskStatus.Finalized, TaskStatus.Claimed)
        );
        market.publishCheckpoints(taskId, MANIFEST);
    }

    function test_publishCheckpoints_zeroManifest_reverts() public {
        uint256 taskId = _claimed();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.Checkpoints));
        market.publishCheckpoints(taskId, bytes32(0));
    }

    function testFuzz_publishCheckpoints_neverMovesMoney(bytes32 manifest) public {
        vm.assume(manifest != bytes32(0));
        uint256 taskId = _submitted();
        uint256 escrow = address(market).balance;
        uint256 locked = sm.lockedOf(operator);
        vm.prank(operator);
        market.publishCheckpoints(taskId, manifest);
        assertEq(address(market).balance, escrow, "escrow");
        assertEq(sm.lockedOf(operator), locked, "operator lock");
    }
}
