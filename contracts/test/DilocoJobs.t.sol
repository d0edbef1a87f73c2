// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Rejector} from "./utils/Rejector.sol";
import {TraceResult, Traces} from "./utils/Traces.sol";
import {Vm} from "./utils/Vm.sol";
import {DilocoJobs, JobParams, JobStatus, JobView, Wiring} from "../src/DilocoJobs.sol";
import {Errors} from "../src/Errors.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {RootKind, Task, TaskStatus} from "../src/Task.sol";
import {TaskMarket} from "../src/TaskMarket.sol";

/// @notice A DiLoCo job's tasks, links and money over a real `TaskMarket` and `StakeManager`
///         (`docs/diloco-jobs.md`). The wiring is a toy one, written by hand: G = 3 global slots (two
///         parameters and one outer momentum), T = 2 trainable parameters, a segment state of four
///         slots (the two parameters, then two constant optimizer slots), a segment graph of 5 nodes
///         whose nodes 3 and 4 are the trained parameters, an outer graph of 4 nodes whose nodes 1, 2
///         and 3 are the new global slots. Operators run the market's real claim / submit / finalize
///         with traces whose last leaf is the root of the leaves the test hands to the job. Every
///         expected root is computed with `Traces` (a level-by-level tree), not `Merkle.rootOf`.
contract DilocoJobsTest is MarketFixture {
    uint16 internal constant ROUNDS = 2;
    uint16 internal constant SHARDS = 2;
    uint16 internal constant G = 3;
    uint16 internal constant T = 2;
    uint32 internal constant SEGMENT_NODES = 5;
    uint32 internal constant OUTER_NODES = 4;
    uint32 internal constant INNER_STEPS = 4;
    uint32 internal constant CHECKPOINT_EVERY = 2;
    uint256 internal constant SHARD_REWARD = 1 ether;
    uint256 internal constant OUTER_REWARD = 0.5 ether;
    uint64 internal constant TASK_TIMEOUT = 3 days;
    bytes32 internal constant SPEC = keccak256("diloco job");
    string internal constant SPEC_URI = "artifact://diloco/0001";
    bytes32 internal constant MODEL = keccak256("checkpoint");
    uint16 internal constant NO_SOURCE = type(uint16).max;
    uint16 internal constant OUTER_INDEX = type(uint16).max;
    /// @dev What a missed deadline or an eviction credits the task's submitter (this contract).
    uint256 internal constant SLASH_SHARE = MIN_STAKE * MISSED_DEADLINE_SLASH_BPS / 10_000 * SLASH_WINNER_BPS / 10_000;

    DilocoJobs internal jobs;
    address internal submitter = makeAddr("submitter");
    address internal op1 = makeAddr("op1");
    address internal op2 = makeAddr("op2");
    address internal op3 = makeAddr("op3");

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy();
        jobs = new DilocoJobs(market, sm);
        vm.deal(submitter, 1000 ether);
        address[3] memory ops = [op1, op2, op3];
        for (uint256 i = 0; i < ops.length; i++) {
            vm.deal(ops[i], 1000 ether);
            vm.prank(ops[i]);
            sm.stake{value: 500 ether}();
        }
    }

    // ---------------------------------------------------------------- the job

    function _params() internal pure returns (JobParams memory p) {
        p.specHash = SPEC;
        p.specURI = SPEC_URI;
        p.rounds = ROUNDS;
        p.shards = SHARDS;
        p.innerSteps = INNER_STEPS;
        p.checkpointEvery = CHECKPOINT_EVERY;
        p.shardReward = SHARD_REWARD;
        p.outerReward = OUTER_REWARD;
        p.minStake = MIN_STAKE;
        p.taskTimeout = TASK_TIMEOUT;
        p.challengeWindow = WINDOW;
        p.outerGraphRoot = keccak256("outer graph");
        p.outerDatasetRoot = keccak256("outer dataset");
        p.shardDatasetRoots = new bytes32[](SHARDS);
        for (uint256 i = 0; i < SHARDS; i++) {
            p.shardDatasetRoots[i] = keccak256(abi.encode("shard dataset", i));
        }
        p.segmentGraphRoots = new bytes32[](uint256(ROUNDS) * SHARDS);
        for (uint256 s = 0; s < p.segmentGraphRoots.length; s++) {
            p.segmentGraphRoots[s] = keccak256(abi.encode("segment graph", s));
        }
    }

    function _wiring() internal pure returns (Wiring memory w) {
        w.globalSlots = G;
        w.shardSlots = T;
        w.segmentNodes = SEGMENT_NODES;
        w.outerNodes = OUTER_NODES;
        w.segmentInit = new uint16[](4);
        w.segmentInit[0] = 0;
        w.segmentInit[1] = 1;
        w.segmentInit[2] = NO_SOURCE;
        w.segmentInit[3] = NO_SOURCE;
        w.segmentConst = new bytes32[](4);
        w.segmentConst[2] = keccak256("fresh m");
        w.segmentConst[3] = keccak256("fresh v");
        w.segmentOut = new uint32[](T);
        w.segmentOut[0] = 3;
        w.segmentOut[1] = 4;
        w.outerOut = new uint32[](G);
        w.outerOut[0] = 1;
        w.outerOut[1] = 2;
        w.outerOut[2] = 3;
    }

    function _initialGlobal() internal pure returns (bytes32[] memory global) {
        global = new bytes32[](G);
        for (uint256 g = 0; g < G; g++) {
            global[g] = keccak256(abi.encode("initial global", g));
        }
    }

    function _escrow(JobParams memory p) internal pure returns (uint256) {
        return uint256(p.rounds) * (uint256(p.shards) * p.shardReward + p.outerReward);
    }

    function _post() internal returns (uint256 jobId) {
        JobParams memory p = _params();
        vm.prank(submitter);
        jobId = jobs.postJob{value: _escrow(p)}(p, _wiring(), _initialGlobal());
    }

    function _expectPostReverts(JobParams memory p, Wiring memory w, bytes32[] memory global, bytes memory err)
        internal
    {
        uint256 value = p.rounds <= 64 && p.shardReward <= type(uint128).max && p.outerReward <= type(uint128).max
            ? _escrow(p)
            : 0;
        vm.prank(submitter);
        vm.expectRevert(err);
        jobs.postJob{value: value}(p, w, global);
    }

    function _expectPostReverts(JobParams memory p, bytes memory err) internal {
        _expectPostReverts(p, _wiring(), _initialGlobal(), err);
    }

    function _expectPostReverts(Wiring memory w, bytes memory err) internal {
        _expectPostReverts(_params(), w, _initialGlobal(), err);
    }

    // ---------------------------------------------------------------- what the operators compute

    /// @dev The node-output roots of segment (round, shard)'s h_H, as a worker's checkpoint holds them.
    function _segmentLeaves(uint256 jobId, uint256 round, uint256 shard) internal pure returns (bytes32[] memory l) {
        l = new bytes32[](SEGMENT_NODES);
        for (uint256 k = 0; k < l.length; k++) {
            l[k] = keccak256(abi.encode("segment node", jobId, round, shard, k));
        }
    }

    /// @dev The node-output roots of round `round`'s outer step's h_1.
    function _outerLeaves(uint256 jobId, uint256 round) internal pure returns (bytes32[] memory l) {
        l = new bytes32[](OUTER_NODES);
        for (uint256 k = 0; k < l.length; k++) {
            l[k] = keccak256(abi.encode("outer node", jobId, round, k));
        }
    }

    /// @dev Shard `shard`'s T parameter roots: nodes 3 and 4 of its h_H.
    function _shardParams(uint256 jobId, uint256 round, uint256 shard) internal pure returns (bytes32[] memory r) {
        bytes32[] memory l = _segmentLeaves(jobId, round, shard);
        r = new bytes32[](T);
        r[0] = l[3];
        r[1] = l[4];
    }

    /// @dev Every shard's parameter roots, shard-major (openOuter's `shardRoots`).
    function _allShardParams(uint256 jobId, uint256 round) internal pure returns (bytes32[] memory all) {
        all = new bytes32[](uint256(SHARDS) * T);
        for (uint256 i = 0; i < SHARDS; i++) {
            bytes32[] memory r = _shardParams(jobId, round, i);
            for (uint256 k = 0; k < T; k++) {
                all[i * T + k] = r[k];
            }
        }
    }

    /// @dev Round `round`'s G global roots: the initial ones, then nodes 1, 2, 3 of the last outer h_1.
    function _global(uint256 jobId, uint256 round) internal pure returns (bytes32[] memory global) {
        if (round == 0) return _initialGlobal();
        bytes32[] memory l = _outerLeaves(jobId, round - 1);
        global = new bytes32[](G);
        global[0] = l[1];
        global[1] = l[2];
        global[2] = l[3];
    }

    /// @dev A segment's h_0, as an agent derives it: the two parameters, then the fresh optimizer slots.
    function _segmentH0(bytes32[] memory global) internal pure returns (bytes32) {
        bytes32[] memory slots = new bytes32[](4);
        slots[0] = global[0];
        slots[1] = global[1];
        slots[2] = keccak256("fresh m");
        slots[3] = keccak256("fresh v");
        return Traces.root(slots);
    }

    /// @dev The outer step's h_0: global ‖ shard 0's parameters ‖ shard 1's (outer_layout).
    function _outerH0(uint256 jobId, uint256 round) internal pure returns (bytes32) {
        bytes32[] memory global = _global(jobId, round);
        bytes32[] memory shards = _allShardParams(jobId, round);
        bytes32[] memory slots = new bytes32[](global.length + shards.length);
        for (uint256 j = 0; j < global.length; j++) {
            slots[j] = global[j];
        }
        for (uint256 j = 0; j < shards.length; j++) {
            slots[global.length + j] = shards[j];
        }
        return Traces.root(slots);
    }

    // ---------------------------------------------------------------- the market, as operators use it

    /// @dev `operator` claims `taskId` and submits a trace from the task's h_0 to `finalState`.
    function _submit(uint256 taskId, address operator, bytes32 finalState) internal {
        Task memory t = market.getTask(taskId);
        bytes32[] memory h = Traces.states(t.steps, keccak256(abi.encode("run", taskId, operator)));
        h[0] = t.initStateRoot;
        h[t.steps] = finalState;
        TraceResult memory r = Traces.result(h);
        vm.prank(operator);
        market.claim(taskId);
        vm.prank(operator);
        market.submitResult(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof, MODEL);
    }

    /// @dev Past the challenge window of a result submitted now.
    function _windowPassed() internal {
        vm.warp(block.timestamp + WINDOW + 1);
    }

    /// @dev Round `round`'s segments submitted with their true final states (shard 0 by op1, the
    ///      others by op2), and their challenge window passed.
    function _submitRound(uint256 jobId, uint16 round) internal {
        for (uint16 i = 0; i < SHARDS; i++) {
            _submit(
                jobs.segmentTaskOf(jobId, round, i), i == 0 ? op1 : op2, Traces.root(_segmentLeaves(jobId, round, i))
            );
        }
        _windowPassed();
    }

    /// @dev Round `round`'s segments submitted with their true final states, finalised and recorded.
    function _trainRound(uint256 jobId, uint16 round) internal {
        _submitRound(jobId, round);
        for (uint16 i = 0; i < SHARDS; i++) {
            market.finalize(jobs.segmentTaskOf(jobId, round, i));
            jobs.recordSegment(jobId, i, _segmentLeaves(jobId, round, i));
        }
    }

    /// @dev Round `round`'s outer step opened, run by op3, finalised (not recorded).
    function _averageRound(uint256 jobId, uint16 round) internal returns (uint256 taskId) {
        jobs.openOuter(jobId, _global(jobId, round), _allShardParams(jobId, round));
        taskId = jobs.outerTaskOf(jobId, round);
        _submit(taskId, op3, Traces.root(_outerLeaves(jobId, round)));
        _windowPassed();
        market.finalize(taskId);
    }

    function _runRound(uint256 jobId, uint16 round) internal {
        _trainRound(jobId, round);
        _averageRound(jobId, round);
        jobs.recordOuter(jobId, _outerLeaves(jobId, round));
    }

    function _status(uint256 jobId) internal view returns (JobStatus) {
        return jobs.getJob(jobId).status;
    }

    /// @dev INVARIANT (money): what the job contract holds, here and at the StakeManager, is what it owes.
    function _assertHolds(uint256 amount, string memory message) internal view {
        assertEq(address(jobs).balance + sm.creditOf(address(jobs)), amount, message);
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_zeroAddress_reverts() public {
        vm.expectRevert(Errors.ZeroAddress.selector);
        new DilocoJobs(TaskMarket(address(0)), sm);
        vm.expectRevert(Errors.ZeroAddress.selector);
        new DilocoJobs(market, StakeManager(address(0)));
    }

    function test_constructor_otherStakeManager_reverts() public {
        StakeManager other = new StakeManager(UNBONDING_DELAY, SLASH_WINNER_BPS);
        vm.expectRevert(abi.encodeWithSelector(Errors.StakeManagerMismatch.selector, address(other), address(sm)));
        new DilocoJobs(market, other);
    }

    function test_constructor_setsImmutables() public view {
        assertEq(address(jobs.MARKET()), address(market));
        assertEq(address(jobs.STAKE_MANAGER()), address(sm));
        assertEq(jobs.OUTER_INDEX(), 65535);
        assertEq(jobs.NO_SOURCE(), 65535);
        assertEq(jobs.MAX_SHARDS(), 16);
        assertEq(jobs.MAX_ROUNDS(), 64);
        assertEq(jobs.MAX_SLOTS(), 512);
        assertEq(jobs.MAX_NODES(), 65536);
    }

    // ---------------------------------------------------------------- postJob

    function test_postJob_postsRoundZero() public {
        JobParams memory p = _params();
        uint256 firstTask = market.taskCount() + 1;
        bytes32 h0 = _segmentH0(_initialGlobal());
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.JobPosted(1, submitter, SPEC, SPEC_URI, ROUNDS, SHARDS, 5 ether);
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SegmentPosted(1, 0, 0, firstTask, h0);
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SegmentPosted(1, 0, 1, firstTask + 1, h0);
        vm.prank(submitter);
        uint256 jobId = jobs.postJob{value: 5 ether}(p, _wiring(), _initialGlobal());

        assertEq(jobId, 1, "ids from 1");
        assertEq(jobs.jobCount(), 1);
        JobView memory v = jobs.getJob(jobId);
        assertEq(v.submitter, submitter);
        assertEq(uint256(v.status), uint256(JobStatus.Training));
        assertEq(v.rounds, ROUNDS);
        assertEq(v.shards, SHARDS);
        assertEq(v.round, 0);
        assertEq(v.recorded, 0);
        assertEq(v.escrow, 5 ether - 2 * SHARD_REWARD, "round 0's rewards left the escrow");
        assertEq(v.specHash, SPEC);
        assertEq(v.shardReward, SHARD_REWARD);
        assertEq(v.outerReward, OUTER_REWARD);
        assertEq(jobs.globalRootOf(jobId, 0), Traces.root(_initialGlobal()), "global root 0");
        assertEq(address(jobs).balance, v.escrow, "escrow held");
        assertEq(address(market).balance, 2 * SHARD_REWARD, "rewards in the market");

        for (uint16 i = 0; i < SHARDS; i++) {
            uint256 taskId = jobs.segmentTaskOf(jobId, 0, i);
            assertEq(taskId, firstTask + i, "task id");
            Task memory t = market.getTask(taskId);
            assertEq(t.submitter, address(jobs), "the job contract submits");
            assertEq(uint256(t.status), uint256(TaskStatus.Open));
            assertEq(t.reward, SHARD_REWARD);
            assertEq(t.specHash, keccak256(abi.encode(SPEC, uint16(0), i)), "task spec hash");
            assertEq(t.datasetRoot, p.shardDatasetRoots[i], "shard dataset");
            assertEq(t.initStateRoot, h0, "h_0 from the global roots");
            assertEq(t.graphRoot, p.segmentGraphRoots[i], "graph of (0, i)");
            assertEq(t.steps, INNER_STEPS);
            assertEq(t.checkpointEvery, CHECKPOINT_EVERY);
            assertEq(t.minStake, MIN_STAKE);
            assertEq(t.deadline, block.timestamp + TASK_TIMEOUT, "deadline");
            assertEq(t.challengeWindow, WINDOW);
            (uint256 refJob, uint16 refRound, uint16 refIndex) = jobs.taskRef(taskId);
            assertEq(refJob, jobId);
            assertEq(refRound, 0);
            assertEq(refIndex, i);
            assertEq(jobs.shardRootOf(jobId, 0, i), bytes32(0), "not recorded");
        }
        assertEq(jobs.outerTaskOf(jobId, 0), 0, "no outer step yet");
        (uint256 none,,) = jobs.taskRef(12345);
        assertEq(none, 0, "not our task");
    }

    function test_postJob_storesParamsAndWiring() public {
        uint256 jobId = _post();
        JobParams memory p = jobs.paramsOf(jobId);
        JobParams memory q = _params();
        assertEq(keccak256(abi.encode(p)), keccak256(abi.encode(q)), "params as posted");
        Wiring memory w = jobs.wiringOf(jobId);
        assertEq(keccak256(abi.encode(w)), keccak256(abi.encode(_wiring())), "wiring as posted");
    }

    function test_postJob_wrongValue_reverts() public {
        JobParams memory p = _params();
        Wiring memory w = _wiring();
        bytes32[] memory global = _initialGlobal();
        vm.startPrank(submitter);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongJobEscrow.selector, 5 ether, 5 ether - 1));
        jobs.postJob{value: 5 ether - 1}(p, w, global);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongJobEscrow.selector, 5 ether, 5 ether + 1));
        jobs.postJob{value: 5 ether + 1}(p, w, global);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongJobEscrow.selector, 5 ether, 0));
        jobs.postJob(p, w, global);
        vm.stopPrank();
    }

    function test_postJob_shapeOutOfRange_reverts() public {
        uint16[4] memory rounds = [uint16(0), 65, 1, 1];
        uint16[4] memory shards = [uint16(1), 1, 0, 17];
        for (uint256 c = 0; c < 4; c++) {
            JobParams memory p = _params();
            p.rounds = rounds[c];
            p.shards = shards[c];
            _expectPostReverts(p, abi.encodeWithSelector(Errors.JobShapeOutOfRange.selector, rounds[c], shards[c]));
        }
    }

    function test_postJob_rootCounts_revert() public {
        JobParams memory p = _params();
        p.shardDatasetRoots = new bytes32[](3);
        _expectPostReverts(p, abi.encodeWithSelector(Errors.ShardDatasetRootsLength.selector, 3, 2));
        p = _params();
        p.segmentGraphRoots = new bytes32[](2);
        _expectPostReverts(p, abi.encodeWithSelector(Errors.SegmentGraphRootsLength.selector, 2, 4));
    }

    function test_postJob_zeroRoots_revert() public {
        JobParams memory p = _params();
        p.specHash = bytes32(0);
        _expectPostReverts(p, abi.encodeWithSelector(Errors.ZeroJobRoot.selector, RootKind.Spec, OUTER_INDEX));
        p = _params();
        p.outerDatasetRoot = bytes32(0);
        _expectPostReverts(p, abi.encodeWithSelector(Errors.ZeroJobRoot.selector, RootKind.Dataset, OUTER_INDEX));
        p = _params();
        p.outerGraphRoot = bytes32(0);
        _expectPostReverts(p, abi.encodeWithSelector(Errors.ZeroJobRoot.selector, RootKind.Graph, OUTER_INDEX));
        p = _params();
        p.shardDatasetRoots[1] = bytes32(0);
        _expectPostReverts(p, abi.encodeWithSelector(Errors.ZeroJobRoot.selector, RootKind.Dataset, 1));
        // a later round's graph: round 1, shard 1 would only be posted much later
        p = _params();
        p.segmentGraphRoots[3] = bytes32(0);
        _expectPostReverts(p, abi.encodeWithSelector(Errors.ZeroJobRoot.selector, RootKind.Graph, 3));
    }

    function test_postJob_steps_revert() public {
        JobParams memory p = _params();
        p.innerSteps = 0;
        _expectPostReverts(p, abi.encodeWithSelector(Errors.ZeroSteps.selector));
        p = _params();
        p.checkpointEvery = 0;
        _expectPostReverts(p, abi.encodeWithSelector(Errors.BadCheckpointInterval.selector, 0, INNER_STEPS));
        p.checkpointEvery = INNER_STEPS + 1;
        _expectPostReverts(
            p, abi.encodeWithSelector(Errors.BadCheckpointInterval.selector, INNER_STEPS + 1, INNER_STEPS)
        );
    }

    function test_postJob_rewards_revert() public {
        uint256 max = type(uint128).max;
        JobParams memory p = _params();
        p.shardReward = 0;
        _expectPostReverts(p, abi.encodeWithSelector(Errors.JobRewardOutOfRange.selector, 0, OUTER_REWARD, max));
        p = _params();
        p.outerReward = 0;
        _expectPostReverts(p, abi.encodeWithSelector(Errors.JobRewardOutOfRange.selector, SHARD_REWARD, 0, max));
        p = _params();
        p.shardReward = max + 1;
        _expectPostReverts(p, abi.encodeWithSelector(Errors.JobRewardOutOfRange.selector, max + 1, OUTER_REWARD, max));
        p = _params();
        p.outerReward = type(uint256).max;
        _expectPostReverts(
            p, abi.encodeWithSelector(Errors.JobRewardOutOfRange.selector, SHARD_REWARD, type(uint256).max, max)
        );
    }

    function test_postJob_taskTimeout_reverts() public {
        JobParams memory p = _params();
        p.taskTimeout = 0;
        _expectPostReverts(p, abi.encodeWithSelector(Errors.TaskTimeoutOutOfRange.selector, 0));
        p.taskTimeout = type(uint64).max;
        _expectPostReverts(p, abi.encodeWithSelector(Errors.TaskTimeoutOutOfRange.selector, type(uint64).max));
    }

    /// @notice What every task shares is checked by the market when round 0 is posted.
    function test_postJob_marketRules_revert() public {
        JobParams memory p = _params();
        p.minStake = MIN_TASK_STAKE - 1;
        _expectPostReverts(
            p, abi.encodeWithSelector(Errors.MinStakeBelowFloor.selector, MIN_TASK_STAKE - 1, MIN_TASK_STAKE)
        );
        p = _params();
        p.challengeWindow = MIN_CHALLENGE_WINDOW - 1;
        _expectPostReverts(
            p,
            abi.encodeWithSelector(
                Errors.ChallengeWindowOutOfRange.selector,
                MIN_CHALLENGE_WINDOW - 1,
                MIN_CHALLENGE_WINDOW,
                MAX_CHALLENGE_WINDOW
            )
        );
        p = _params();
        p.specURI = "";
        _expectPostReverts(p, abi.encodeWithSelector(Errors.EmptySpecURI.selector));
    }

    function test_postJob_wiringSlots_revert() public {
        uint16[5] memory gs = [uint16(0), 513, 3, 3, 2];
        uint16[5] memory ts = [uint16(1), 2, 0, 4, 3];
        for (uint256 c = 0; c < 5; c++) {
            Wiring memory w = _wiring();
            w.globalSlots = gs[c];
            w.shardSlots = ts[c];
            _expectPostReverts(w, abi.encodeWithSelector(Errors.WiringSlotsOutOfRange.selector, gs[c], ts[c]));
        }
    }

    function test_postJob_wiringNodes_revert() public {
        Wiring memory w = _wiring();
        w.segmentNodes = 0;
        _expectPostReverts(w, abi.encodeWithSelector(Errors.WiringNodesOutOfRange.selector, 0, OUTER_NODES));
        w = _wiring();
        w.outerNodes = 0;
        _expectPostReverts(w, abi.encodeWithSelector(Errors.WiringNodesOutOfRange.selector, SEGMENT_NODES, 0));
        w = _wiring();
        w.segmentNodes = 65537;
        _expectPostReverts(w, abi.encodeWithSelector(Errors.WiringNodesOutOfRange.selector, 65537, OUTER_NODES));
        w = _wiring();
        w.outerNodes = 65537;
        _expectPostReverts(w, abi.encodeWithSelector(Errors.WiringNodesOutOfRange.selector, SEGMENT_NODES, 65537));
    }

    function test_postJob_segmentSlots_revert() public {
        Wiring memory w = _wiring();
        w.segmentInit = new uint16[](0);
        w.segmentConst = new bytes32[](0);
        _expectPostReverts(w, abi.encodeWithSelector(Errors.SegmentSlotsOutOfRange.selector, 0));
        w.segmentInit = new uint16[](513);
        w.segmentConst = new bytes32[](513);
        _expectPostReverts(w, abi.encodeWithSelector(Errors.SegmentSlotsOutOfRange.selector, 513));
        w = _wiring();
        w.segmentConst = new bytes32[](3);
        _expectPostReverts(w, abi.encodeWithSelector(Errors.SegmentConstLength.selector, 3, 4));
        w = _wiring();
        w.segmentInit[1] = G;
        _expectPostReverts(w, abi.encodeWithSelector(Errors.SegmentInitOutOfRange.selector, 1, G, G));
        w = _wiring();
        w.segmentConst[3] = bytes32(0);
        _expectPostReverts(w, abi.encodeWithSelector(Errors.ZeroSegmentConst.selector, 3));
    }

    function test_postJob_wiringOutputs_revert() public {
        Wiring memory w = _wiring();
        w.segmentOut = new uint32[](3);
        _expectPostReverts(w, abi.encodeWithSelector(Errors.SegmentOutLength.selector, 3, T));
        w = _wiring();
        w.segmentOut[1] = SEGMENT_NODES;
        _expectPostReverts(
            w, abi.encodeWithSelector(Errors.WiringOutputOutOfRange.selector, false, 1, SEGMENT_NODES, SEGMENT_NODES)
        );
        w = _wiring();
        w.outerOut = new uint32[](2);
        _expectPostReverts(w, abi.encodeWithSelector(Errors.OuterOutLength.selector, 2, G));
        w = _wiring();
        w.outerOut[2] = OUTER_NODES + 7;
        _expectPostReverts(
            w, abi.encodeWithSelector(Errors.WiringOutputOutOfRange.selector, true, 2, OUTER_NODES + 7, OUTER_NODES)
        );
    }

    function test_postJob_initialGlobalLength_reverts() public {
        _expectPostReverts(
            _params(), _wiring(), new bytes32[](2), abi.encodeWithSelector(Errors.InitialGlobalLength.selector, 2, G)
        );
    }

    // ---------------------------------------------------------------- a whole job

    /// @notice A 2-round × 2-shard job runs to completion: every segment and outer step starts from
    ///         the h_0 an agent derives, each round's global root is the one read out of the outer
    ///         step, and every wei of the escrow ends with the operators.
    function test_job_twoRoundsTwoShards_completes() public {
        uint256 jobId = _post();
        uint256 op3Credit = sm.creditOf(op3);
        for (uint16 r = 0; r < ROUNDS; r++) {
            for (uint16 i = 0; i < SHARDS; i++) {
                Task memory s = market.getTask(jobs.segmentTaskOf(jobId, r, i));
                assertEq(s.initStateRoot, _segmentH0(_global(jobId, r)), "segment h_0");
                assertEq(s.graphRoot, _params().segmentGraphRoots[uint256(r) * SHARDS + i], "segment graph");
            }
            _trainRound(jobId, r);
            for (uint16 i = 0; i < SHARDS; i++) {
                assertEq(jobs.shardRootOf(jobId, r, i), Traces.root(_shardParams(jobId, r, i)), "shard root");
            }
            uint256 outerTask = _averageRound(jobId, r);
            assertEq(uint256(_status(jobId)), uint256(JobStatus.Averaging));
            Task memory o = market.getTask(outerTask);
            assertEq(o.initStateRoot, _outerH0(jobId, r), "outer h_0");
            assertEq(o.specHash, keccak256(abi.encode(SPEC, r, OUTER_INDEX)), "outer spec hash");
            assertEq(o.datasetRoot, keccak256("outer dataset"));
            assertEq(o.graphRoot, keccak256("outer graph"));
            assertEq(o.steps, 1);
            assertEq(o.checkpointEvery, 1);
            assertEq(o.reward, OUTER_REWARD);
            (uint256 refJob, uint16 refRound, uint16 refIndex) = jobs.taskRef(outerTask);
            assertEq(refJob, jobId);
            assertEq(refRound, r);
            assertEq(refIndex, OUTER_INDEX);

            bytes32 next = Traces.root(_global(jobId, r + 1));
            vm.expectEmit(true, true, false, true, address(jobs));
            emit DilocoJobs.RoundClosed(jobId, r, next, _global(jobId, r + 1));
            if (r + 1 == ROUNDS) {
                vm.expectEmit(true, false, false, true, address(jobs));
                emit DilocoJobs.JobCompleted(jobId, next);
            }
            jobs.recordOuter(jobId, _outerLeaves(jobId, r));
            assertEq(jobs.globalRootOf(jobId, r + 1), next, "global root");
            assertEq(jobs.getJob(jobId).round, r + 1);
            assertEq(jobs.getJob(jobId).recorded, 0);
        }
        JobView memory v = jobs.getJob(jobId);
        assertEq(uint256(v.status), uint256(JobStatus.Completed));
        assertEq(v.escrow, 0, "every reward posted");
        _assertHolds(0, "nothing left");
        assertEq(sm.creditOf(op3) - op3Credit, ROUNDS * OUTER_REWARD, "outer steps paid");
        assertEq(jobs.segmentTaskOf(jobId, ROUNDS, 0), 0, "no round past the last");
    }

    /// @notice A voided segment reopens in the market (only that shard) and the job goes on with the
    ///         result of the operator that took it over.
    function test_job_voidedSegment_reopensAndCompletes() public {
        uint256 jobId = _post();
        uint256 taskId = jobs.segmentTaskOf(jobId, 0, 1);
        bytes32 wrong = keccak256("a wrong final state");
        _submit(taskId, op2, wrong);
        vm.startPrank(game);
        market.onDisputeOpened(taskId, op1);
        market.onDisputeResolved(taskId, false, true);
        vm.stopPrank();
        assertEq(uint256(market.taskStatus(taskId)), uint256(TaskStatus.Open), "reopened");
        vm.expectRevert(abi.encodeWithSelector(Errors.TaskNotFinalized.selector, taskId, TaskStatus.Open));
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));

        _submit(jobs.segmentTaskOf(jobId, 0, 0), op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        _submit(taskId, op3, Traces.root(_segmentLeaves(jobId, 0, 1)));
        _windowPassed();
        market.finalize(jobs.segmentTaskOf(jobId, 0, 0));
        market.finalize(taskId);
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));
        _averageRound(jobId, 0);
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        _runRound(jobId, 1);
        assertEq(uint256(_status(jobId)), uint256(JobStatus.Completed));
        assertEq(jobs.globalRootOf(jobId, ROUNDS), Traces.root(_global(jobId, ROUNDS)));
    }

    /// @notice A one-round, one-shard job with one-slot states: the roots are the leaves themselves.
    function test_job_oneByOne_completes() public {
        JobParams memory p = _params();
        p.rounds = 1;
        p.shards = 1;
        p.shardDatasetRoots = new bytes32[](1);
        p.shardDatasetRoots[0] = keccak256("rows");
        p.segmentGraphRoots = new bytes32[](1);
        p.segmentGraphRoots[0] = keccak256("graph");
        Wiring memory w;
        w.globalSlots = 1;
        w.shardSlots = 1;
        w.segmentNodes = 1;
        w.outerNodes = 1;
        w.segmentInit = new uint16[](1);
        w.segmentConst = new bytes32[](1);
        w.segmentOut = new uint32[](1);
        w.outerOut = new uint32[](1);
        bytes32[] memory global = new bytes32[](1);
        global[0] = keccak256("w0");
        vm.prank(submitter);
        uint256 jobId = jobs.postJob{value: SHARD_REWARD + OUTER_REWARD}(p, w, global);
        uint256 seg = jobs.segmentTaskOf(jobId, 0, 0);
        assertEq(market.getTask(seg).initStateRoot, global[0], "one slot: h_0 is the slot");

        bytes32[] memory leaf = new bytes32[](1);
        leaf[0] = keccak256("w1 of the shard");
        _submit(seg, op1, leaf[0]);
        _windowPassed();
        market.finalize(seg);
        jobs.recordSegment(jobId, 0, leaf);
        assertEq(jobs.shardRootOf(jobId, 0, 0), leaf[0]);
        jobs.openOuter(jobId, global, leaf);
        uint256 outer = jobs.outerTaskOf(jobId, 0);
        bytes32[] memory pair = new bytes32[](2);
        pair[0] = global[0];
        pair[1] = leaf[0];
        assertEq(market.getTask(outer).initStateRoot, Traces.root(pair), "outer h_0");
        bytes32[] memory next = new bytes32[](1);
        next[0] = keccak256("w1");
        _submit(outer, op2, next[0]);
        _windowPassed();
        market.finalize(outer);
        jobs.recordOuter(jobId, next);
        assertEq(uint256(_status(jobId)), uint256(JobStatus.Completed));
        assertEq(jobs.globalRootOf(jobId, 1), next[0]);
    }

    // ---------------------------------------------------------------- recordSegment

    function test_recordSegment_emitsRoots() public {
        uint256 jobId = _post();
        uint256 taskId = jobs.segmentTaskOf(jobId, 0, 1);
        _submit(taskId, op1, Traces.root(_segmentLeaves(jobId, 0, 1)));
        _windowPassed();
        market.finalize(taskId);
        bytes32[] memory roots = _shardParams(jobId, 0, 1);
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SegmentRecorded(jobId, 0, 1, taskId, Traces.root(roots), roots);
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));
        assertEq(jobs.getJob(jobId).recorded, 1);
        assertEq(uint256(_status(jobId)), uint256(JobStatus.Training), "still training");
    }

    function test_recordSegment_notTraining_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotTraining.selector, 7, uint8(JobStatus.None)));
        jobs.recordSegment(7, 0, _segmentLeaves(7, 0, 0));
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotTraining.selector, jobId, uint8(JobStatus.Averaging)));
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
    }

    function test_recordSegment_shardOutOfRange_reverts() public {
        uint256 jobId = _post();
        vm.expectRevert(abi.encodeWithSelector(Errors.ShardOutOfRange.selector, SHARDS, SHARDS));
        jobs.recordSegment(jobId, SHARDS, _segmentLeaves(jobId, 0, 0));
    }

    function test_recordSegment_taskNotFinalized_reverts() public {
        uint256 jobId = _post();
        uint256 taskId = jobs.segmentTaskOf(jobId, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.TaskNotFinalized.selector, taskId, TaskStatus.Open));
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        _submit(taskId, op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        vm.expectRevert(abi.encodeWithSelector(Errors.TaskNotFinalized.selector, taskId, TaskStatus.Submitted));
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
    }

    function test_recordSegment_wrongLeaves_revert() public {
        uint256 jobId = _post();
        uint256 taskId = jobs.segmentTaskOf(jobId, 0, 0);
        bytes32[] memory leaves = _segmentLeaves(jobId, 0, 0);
        bytes32 finalState = Traces.root(leaves);
        _submit(taskId, op1, finalState);
        _windowPassed();
        market.finalize(taskId);

        vm.expectRevert(abi.encodeWithSelector(Errors.WrongLeafCount.selector, 4, SEGMENT_NODES));
        jobs.recordSegment(jobId, 0, _drop(leaves));
        bytes32[] memory padded = new bytes32[](8);
        for (uint256 k = 0; k < leaves.length; k++) {
            padded[k] = leaves[k];
        }
        // the same root (padding is zero leaves), but not the graph's node count
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongLeafCount.selector, 8, SEGMENT_NODES));
        jobs.recordSegment(jobId, 0, padded);
        leaves[3] = keccak256("another parameter");
        vm.expectRevert(abi.encodeWithSelector(Errors.LeavesNotFinalState.selector, Traces.root(leaves), finalState));
        jobs.recordSegment(jobId, 0, leaves);
    }

    function test_recordSegment_twice_reverts() public {
        uint256 jobId = _post();
        uint256 taskId = jobs.segmentTaskOf(jobId, 0, 0);
        _submit(taskId, op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        _windowPassed();
        market.finalize(taskId);
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        vm.expectRevert(abi.encodeWithSelector(Errors.SegmentAlreadyRecorded.selector, jobId, 0, 0));
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
    }

    // ---------------------------------------------------------------- openOuter

    function test_openOuter_postsOuterStep() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        uint256 taskId = market.taskCount() + 1;
        uint256 escrow = jobs.getJob(jobId).escrow;
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.OuterPosted(jobId, 0, taskId, _outerH0(jobId, 0));
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        assertEq(jobs.outerTaskOf(jobId, 0), taskId);
        assertEq(jobs.getJob(jobId).escrow, escrow - OUTER_REWARD);
        Task memory t = market.getTask(taskId);
        assertEq(t.submitter, address(jobs));
        assertEq(t.deadline, block.timestamp + TASK_TIMEOUT);
        assertEq(t.minStake, MIN_STAKE);
        assertEq(t.challengeWindow, WINDOW);
    }

    function test_openOuter_notTraining_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotTraining.selector, 3, uint8(JobStatus.None)));
        jobs.openOuter(3, _global(3, 0), _allShardParams(3, 0));
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotTraining.selector, jobId, uint8(JobStatus.Averaging)));
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
    }

    function test_openOuter_roundNotRecorded_reverts() public {
        uint256 jobId = _post();
        vm.expectRevert(abi.encodeWithSelector(Errors.RoundNotRecorded.selector, 0, SHARDS));
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        uint256 taskId = jobs.segmentTaskOf(jobId, 0, 0);
        _submit(taskId, op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        _windowPassed();
        market.finalize(taskId);
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        vm.expectRevert(abi.encodeWithSelector(Errors.RoundNotRecorded.selector, 1, SHARDS));
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
    }

    function test_openOuter_wrongLengths_revert() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.GlobalLength.selector, 2, G));
        jobs.openOuter(jobId, _drop(_global(jobId, 0)), _allShardParams(jobId, 0));
        vm.expectRevert(abi.encodeWithSelector(Errors.ShardRootsLength.selector, 3, SHARDS * T));
        jobs.openOuter(jobId, _global(jobId, 0), _drop(_allShardParams(jobId, 0)));
    }

    function test_openOuter_wrongRoots_revert() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        bytes32[] memory global = _global(jobId, 0);
        global[2] = keccak256("another momentum");
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GlobalRootMismatch.selector, Traces.root(global), Traces.root(_global(jobId, 0))
            )
        );
        jobs.openOuter(jobId, global, _allShardParams(jobId, 0));

        bytes32[] memory shards = _allShardParams(jobId, 0);
        // shard 1's two roots swapped: the same multiset, another order
        (shards[2], shards[3]) = (shards[3], shards[2]);
        bytes32[] memory swapped = new bytes32[](2);
        swapped[0] = shards[2];
        swapped[1] = shards[3];
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ShardRootMismatch.selector, 1, Traces.root(swapped), Traces.root(_shardParams(jobId, 0, 1))
            )
        );
        jobs.openOuter(jobId, _global(jobId, 0), shards);
    }

    // ---------------------------------------------------------------- recordOuter

    function test_recordOuter_notAveraging_reverts() public {
        uint256 jobId = _post();
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotAveraging.selector, jobId, uint8(JobStatus.Training)));
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotAveraging.selector, 9, uint8(JobStatus.None)));
        jobs.recordOuter(9, _outerLeaves(9, 0));
    }

    function test_recordOuter_taskNotFinalized_reverts() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        uint256 taskId = jobs.outerTaskOf(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.TaskNotFinalized.selector, taskId, TaskStatus.Open));
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        _submit(taskId, op3, Traces.root(_outerLeaves(jobId, 0)));
        vm.expectRevert(abi.encodeWithSelector(Errors.TaskNotFinalized.selector, taskId, TaskStatus.Submitted));
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
    }

    function test_recordOuter_wrongLeaves_revert() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        _averageRound(jobId, 0);
        bytes32[] memory leaves = _outerLeaves(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongLeafCount.selector, 3, OUTER_NODES));
        jobs.recordOuter(jobId, _drop(leaves));
        bytes32 finalState = Traces.root(leaves);
        leaves[0] = keccak256("another node");
        vm.expectRevert(abi.encodeWithSelector(Errors.LeavesNotFinalState.selector, Traces.root(leaves), finalState));
        jobs.recordOuter(jobId, leaves);
    }

    function test_recordOuter_opensNextRound() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        _averageRound(jobId, 0);
        uint256 firstTask = market.taskCount() + 1;
        bytes32 h0 = _segmentH0(_global(jobId, 1));
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SegmentPosted(jobId, 1, 0, firstTask, h0);
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SegmentPosted(jobId, 1, 1, firstTask + 1, h0);
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        assertEq(uint256(_status(jobId)), uint256(JobStatus.Training));
        assertEq(market.getTask(firstTask + 1).graphRoot, _params().segmentGraphRoots[3], "graph of (1, 1)");
        assertEq(market.getTask(firstTask + 1).specHash, keccak256(abi.encode(SPEC, uint16(1), uint16(1))));
    }

    // ---------------------------------------------------------------- abandon and money

    /// @notice A shard nobody trained expires; the job fails and the submitter is credited exactly
    ///         what was not paid out: the unposted escrow and the refunded reward.
    function test_abandon_expiredSegment_creditsUnspent() public {
        uint256 jobId = _post();
        uint256 done = jobs.segmentTaskOf(jobId, 0, 0);
        uint256 dropped = jobs.segmentTaskOf(jobId, 0, 1);
        _submit(done, op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        _windowPassed();
        market.finalize(done);
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        vm.expectRevert(abi.encodeWithSelector(Errors.RoundStillRunning.selector, dropped, TaskStatus.Open));
        jobs.abandon(jobId);

        vm.warp(market.getTask(dropped).deadline + 1);
        market.expire(dropped);
        uint256 refund = 5 ether - SHARD_REWARD;
        _assertHolds(refund, "escrow here, refund at the StakeManager");
        vm.expectEmit(true, false, false, true, address(jobs));
        emit DilocoJobs.JobFailed(jobId, refund);
        jobs.abandon(jobId);
        JobView memory v = jobs.getJob(jobId);
        assertEq(uint256(v.status), uint256(JobStatus.Failed));
        assertEq(v.escrow, 0);
        assertEq(jobs.creditOf(submitter), refund, "credited");
        _assertHolds(jobs.creditOf(submitter), "holds what it owes");

        uint256 before = submitter.balance;
        vm.expectEmit(true, false, false, true, address(jobs));
        emit DilocoJobs.CreditWithdrawn(submitter, refund);
        vm.prank(submitter);
        jobs.withdraw();
        assertEq(submitter.balance - before, refund, "paid");
        assertEq(jobs.creditOf(submitter), 0);
        _assertHolds(0, "nothing left");

        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotLive.selector, jobId, uint8(JobStatus.Failed)));
        jobs.abandon(jobId);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotTraining.selector, jobId, uint8(JobStatus.Failed)));
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));
    }

    /// @notice Both shards expire: both rewards come back.
    function test_abandon_everySegmentExpired_refundsAll() public {
        uint256 jobId = _post();
        vm.warp(block.timestamp + TASK_TIMEOUT + 1);
        market.expire(jobs.segmentTaskOf(jobId, 0, 0));
        market.expire(jobs.segmentTaskOf(jobId, 0, 1));
        jobs.abandon(jobId);
        assertEq(jobs.creditOf(submitter), 5 ether, "the whole escrow");
        _assertHolds(5 ether, "holds it");
    }

    /// @notice The outer step's operator misses its deadline: the job fails in Averaging. The slash's
    ///         winner share, which the market credited this contract as the task's submitter, is the
    ///         job submitter's too: nothing stays behind.
    function test_abandon_expiredOuter_creditsUnspentAndSlashShare() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        uint256 outer = jobs.outerTaskOf(jobId, 0);
        vm.prank(op3);
        market.claim(outer);
        vm.expectRevert(abi.encodeWithSelector(Errors.RoundStillRunning.selector, outer, TaskStatus.Claimed));
        jobs.abandon(jobId);
        vm.warp(market.getTask(outer).deadline + 1);
        market.expire(outer);

        uint256 refund = 5 ether - 2 * SHARD_REWARD;
        assertEq(market.submitterSlashShare(outer), SLASH_SHARE, "the market booked the share on the task");
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SlashShareCredited(jobId, outer, SLASH_SHARE);
        vm.expectEmit(true, false, false, true, address(jobs));
        emit DilocoJobs.JobFailed(jobId, refund);
        jobs.abandon(jobId);
        assertEq(jobs.creditOf(submitter), refund + SLASH_SHARE, "escrow + the outer reward + the slash share");
        _assertHolds(refund + SLASH_SHARE, "holds what it owes");
        uint256 before = submitter.balance;
        vm.prank(submitter);
        jobs.withdraw();
        assertEq(submitter.balance - before, refund + SLASH_SHARE, "paid");
        _assertHolds(0, "nothing stays behind");
    }

    /// @notice A segment's first operator squats it and is evicted; another trains it. Recording the
    ///         segment credits the submitter exactly the eviction's winner share, `withdraw` pays it,
    ///         and the job still completes with nothing left behind.
    function test_recordSegment_evictedOperator_creditsSlashShare() public {
        uint256 jobId = _post();
        uint256 squatted = jobs.segmentTaskOf(jobId, 0, 0);
        vm.prank(op3);
        market.claim(squatted);
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        market.evictClaim(squatted);
        assertEq(market.submitterSlashShare(squatted), SLASH_SHARE, "the market booked the share on the task");
        _assertHolds(jobs.getJob(jobId).escrow + SLASH_SHARE, "escrow + the share, not yet credited");

        _submit(squatted, op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        _submit(jobs.segmentTaskOf(jobId, 0, 1), op2, Traces.root(_segmentLeaves(jobId, 0, 1)));
        _windowPassed();
        market.finalize(squatted);
        market.finalize(jobs.segmentTaskOf(jobId, 0, 1));
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SlashShareCredited(jobId, squatted, SLASH_SHARE);
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        assertEq(jobs.creditOf(submitter), SLASH_SHARE, "exactly the eviction's winner share");

        vm.recordLogs();
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));
        _assertNoSlashShareCredited();
        assertEq(jobs.creditOf(submitter), SLASH_SHARE, "an unslashed segment credits nothing");

        uint256 before = submitter.balance;
        vm.prank(submitter);
        jobs.withdraw();
        assertEq(submitter.balance - before, SLASH_SHARE, "paid");

        _averageRound(jobId, 0);
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        _runRound(jobId, 1);
        assertEq(uint256(_status(jobId)), uint256(JobStatus.Completed));
        assertEq(jobs.creditOf(submitter), 0);
        _assertHolds(0, "a completed job leaves nothing behind");
    }

    /// @notice The outer step's first operator is evicted; recording the retrained outer step credits
    ///         the submitter the share.
    function test_recordOuter_evictedOperator_creditsSlashShare() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        uint256 outer = jobs.outerTaskOf(jobId, 0);
        vm.prank(op1);
        market.claim(outer);
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        market.evictClaim(outer);
        _submit(outer, op3, Traces.root(_outerLeaves(jobId, 0)));
        _windowPassed();
        market.finalize(outer);
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SlashShareCredited(jobId, outer, SLASH_SHARE);
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        assertEq(jobs.creditOf(submitter), SLASH_SHARE);
    }

    /// @notice A segment evicted, retrained and recorded, in a round that then fails because its other
    ///         segment's operator missed the deadline: `abandon` credits the expired segment's share
    ///         and not the recorded one's again.
    function test_abandon_recordedSegment_slashShareCreditedOnce() public {
        uint256 jobId = _post();
        uint256 evicted = jobs.segmentTaskOf(jobId, 0, 0);
        uint256 expired = jobs.segmentTaskOf(jobId, 0, 1);
        vm.prank(op3);
        market.claim(evicted);
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        market.evictClaim(evicted);
        _submit(evicted, op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        _windowPassed();
        market.finalize(evicted);
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        assertEq(jobs.creditOf(submitter), SLASH_SHARE, "the evicted segment's share, at recording");

        vm.prank(op2);
        market.claim(expired);
        vm.warp(market.getTask(expired).deadline + 1);
        market.expire(expired);
        assertEq(market.submitterSlashShare(expired), SLASH_SHARE);
        uint256 refund = 5 ether - SHARD_REWARD;
        vm.recordLogs();
        jobs.abandon(jobId);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 credited;
        for (uint256 k = 0; k < logs.length; k++) {
            if (logs[k].topics[0] == DilocoJobs.SlashShareCredited.selector) {
                assertEq(uint256(logs[k].topics[2]), expired, "only the unrecorded segment");
                credited++;
            }
        }
        assertEq(credited, 1, "one share credited at abandon");
        assertEq(jobs.creditOf(submitter), refund + 2 * SLASH_SHARE, "refund + each share once");
        _assertHolds(refund + 2 * SLASH_SHARE, "holds what it owes");
        vm.prank(submitter);
        jobs.withdraw();
        _assertHolds(0, "a failed job leaves nothing behind");
    }

    /// @dev No `SlashShareCredited` among the logs recorded since `vm.recordLogs()`.
    function _assertNoSlashShareCredited() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 k = 0; k < logs.length; k++) {
            assertTrue(logs[k].topics[0] != DilocoJobs.SlashShareCredited.selector, "no SlashShareCredited");
        }
    }

    /// @notice Every segment finalised: the job can go on, so `abandon` is refused until its stall
    ///         clock has run (here: not started).
    function test_abandon_notStalled_reverts() public {
        uint256 jobId = _post();
        _submitRound(jobId, 0);
        market.finalize(jobs.segmentTaskOf(jobId, 0, 0));
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.RoundStillRunning.selector, jobs.segmentTaskOf(jobId, 0, 1), TaskStatus.Submitted
            )
        );
        jobs.abandon(jobId);
        market.finalize(jobs.segmentTaskOf(jobId, 0, 1));
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotStalled.selector, jobId, 0));
        jobs.abandon(jobId);
        // in Averaging, with the outer step finalised but not recorded
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));
        _averageRound(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotStalled.selector, jobId, 0));
        jobs.abandon(jobId);
    }

    // ---------------------------------------------------------------- stall

    /// @notice Both segments finalised, neither ever recorded (say their model files are lost): once
    ///         the stall is reported, the job is abandonable exactly `taskTimeout` seconds later, and
    ///         the submitter gets the whole unposted escrow.
    function test_abandon_stalledSegments_creditsUnpostedEscrow() public {
        uint256 jobId = _post();
        _submitRound(jobId, 0);
        market.finalize(jobs.segmentTaskOf(jobId, 0, 0));
        market.finalize(jobs.segmentTaskOf(jobId, 0, 1));
        vm.warp(block.timestamp + 17 days);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotStalled.selector, jobId, 0));
        jobs.abandon(jobId);

        uint256 stalledAt = block.timestamp;
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.JobStalled(jobId, 0, stalledAt + TASK_TIMEOUT);
        jobs.reportStall(jobId);
        assertEq(jobs.stalledAt(jobId), stalledAt);
        vm.expectRevert(abi.encodeWithSelector(Errors.StallAlreadyReported.selector, jobId, stalledAt));
        jobs.reportStall(jobId);

        vm.warp(stalledAt + TASK_TIMEOUT);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotStalled.selector, jobId, stalledAt));
        jobs.abandon(jobId);
        vm.warp(stalledAt + TASK_TIMEOUT + 1);
        uint256 escrow = 5 ether - 2 * SHARD_REWARD;
        assertEq(jobs.getJob(jobId).escrow, escrow, "round 0 paid its operators; the rest unposted");
        vm.expectEmit(true, false, false, true, address(jobs));
        emit DilocoJobs.JobFailed(jobId, escrow);
        jobs.abandon(jobId);
        assertEq(uint256(_status(jobId)), uint256(JobStatus.Failed));
        assertEq(jobs.getJob(jobId).escrow, 0);
        assertEq(jobs.creditOf(submitter), escrow, "the whole unposted escrow");
        _assertHolds(escrow, "holds what it owes");
        uint256 before = submitter.balance;
        vm.prank(submitter);
        jobs.withdraw();
        assertEq(submitter.balance - before, escrow, "paid");
        _assertHolds(0, "a stalled job leaves nothing behind");
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotLive.selector, jobId, uint8(JobStatus.Failed)));
        jobs.reportStall(jobId);
    }

    /// @notice A segment whose first operator was evicted is finalised but never recorded; the other
    ///         is recorded. Abandoning the stalled job credits the unrecorded segment's slash share.
    function test_abandon_stalledAfterEviction_creditsSlashShare() public {
        uint256 jobId = _post();
        uint256 evicted = jobs.segmentTaskOf(jobId, 0, 0);
        vm.prank(op3);
        market.claim(evicted);
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        market.evictClaim(evicted);
        _submit(evicted, op1, Traces.root(_segmentLeaves(jobId, 0, 0)));
        _submit(jobs.segmentTaskOf(jobId, 0, 1), op2, Traces.root(_segmentLeaves(jobId, 0, 1)));
        _windowPassed();
        market.finalize(evicted);
        market.finalize(jobs.segmentTaskOf(jobId, 0, 1));
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));
        jobs.reportStall(jobId);
        vm.warp(block.timestamp + TASK_TIMEOUT + 1);
        vm.expectEmit(true, true, false, true, address(jobs));
        emit DilocoJobs.SlashShareCredited(jobId, evicted, SLASH_SHARE);
        jobs.abandon(jobId);
        uint256 owed = 5 ether - 2 * SHARD_REWARD + SLASH_SHARE;
        assertEq(jobs.creditOf(submitter), owed, "escrow + the unrecorded segment's share");
        _assertHolds(owed, "holds what it owes");
    }

    /// @notice The outer step finalised but never recorded: the job stalls in Averaging.
    function test_abandon_stalledOuter_creditsUnpostedEscrow() public {
        uint256 jobId = _post();
        _trainRound(jobId, 0);
        uint256 outer = _averageRound(jobId, 0);
        jobs.reportStall(jobId);
        uint256 stalledAt = block.timestamp;
        vm.warp(stalledAt + TASK_TIMEOUT);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotStalled.selector, jobId, stalledAt));
        jobs.abandon(jobId);
        vm.warp(stalledAt + TASK_TIMEOUT + 1);
        uint256 escrow = 5 ether - 2 * SHARD_REWARD - OUTER_REWARD;
        vm.expectEmit(true, false, false, true, address(jobs));
        emit DilocoJobs.JobFailed(jobId, escrow);
        jobs.abandon(jobId);
        assertEq(uint256(market.taskStatus(outer)), uint256(TaskStatus.Finalized), "its operator was paid");
        assertEq(jobs.creditOf(submitter), escrow);
        _assertHolds(escrow, "holds what it owes");
    }

    /// @notice A job moved on within its advancers' time is not abandonable: `openOuter` clears the
    ///         clock of the round's segments, and the new step's clock starts only when reported.
    function test_reportStall_jobMovesOn_clearsClock() public {
        uint256 jobId = _post();
        _submitRound(jobId, 0);
        market.finalize(jobs.segmentTaskOf(jobId, 0, 0));
        market.finalize(jobs.segmentTaskOf(jobId, 0, 1));
        jobs.reportStall(jobId);
        vm.warp(block.timestamp + TASK_TIMEOUT);
        jobs.recordSegment(jobId, 0, _segmentLeaves(jobId, 0, 0));
        jobs.recordSegment(jobId, 1, _segmentLeaves(jobId, 0, 1));
        _averageRound(jobId, 0);
        assertEq(jobs.stalledAt(jobId), 0, "openOuter cleared the clock");
        vm.warp(block.timestamp + TASK_TIMEOUT + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotStalled.selector, jobId, 0));
        jobs.abandon(jobId);
        jobs.reportStall(jobId);
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        assertEq(jobs.stalledAt(jobId), 0, "recordOuter cleared the clock");
    }

    /// @notice The clock starts only when every current task is final; never for a finished job.
    function test_reportStall_notFinalOrNotLive_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotLive.selector, 1, uint8(JobStatus.None)));
        jobs.reportStall(1);
        uint256 jobId = _post();
        uint256 first = jobs.segmentTaskOf(jobId, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.RoundStillRunning.selector, first, TaskStatus.Open));
        jobs.reportStall(jobId);
        _trainRound(jobId, 0);
        jobs.openOuter(jobId, _global(jobId, 0), _allShardParams(jobId, 0));
        uint256 outer = jobs.outerTaskOf(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.RoundStillRunning.selector, outer, TaskStatus.Open));
        jobs.reportStall(jobId);
        _submit(outer, op3, Traces.root(_outerLeaves(jobId, 0)));
        _windowPassed();
        market.finalize(outer);
        jobs.recordOuter(jobId, _outerLeaves(jobId, 0));
        _runRound(jobId, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotLive.selector, jobId, uint8(JobStatus.Completed)));
        jobs.reportStall(jobId);
    }

    function test_abandon_notLive_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotLive.selector, 1, uint8(JobStatus.None)));
        jobs.abandon(1);
        uint256 jobId = _post();
        _runRound(jobId, 0);
        _runRound(jobId, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.JobNotLive.selector, jobId, uint8(JobStatus.Completed)));
        jobs.abandon(jobId);
    }

    /// @notice A failed job's credit paid from the balance, while the refund that backs it is still
    ///         at the StakeManager, does not starve another job: its next posting takes the credit back.
    function test_withdraw_beforeOtherJobPosts_otherJobStillCompletes() public {
        uint256 failed = _post();
        vm.warp(block.timestamp + TASK_TIMEOUT + 1);
        market.expire(jobs.segmentTaskOf(failed, 0, 0));
        market.expire(jobs.segmentTaskOf(failed, 0, 1));
        jobs.abandon(failed);
        uint256 live = _post();
        vm.prank(submitter);
        jobs.withdraw();
        assertEq(sm.creditOf(address(jobs)), 2 * SHARD_REWARD, "the failed job's refunds still at the StakeManager");
        assertTrue(address(jobs).balance < jobs.getJob(live).escrow, "so the live escrow is partly there too");
        _runRound(live, 0);
        _runRound(live, 1);
        assertEq(uint256(_status(live)), uint256(JobStatus.Completed));
        assertEq(jobs.getJob(live).escrow, 0);
        _assertHolds(0, "every wei accounted for");
    }

    function test_withdraw_nothing_reverts() public {
        vm.expectRevert(Errors.NothingToWithdraw.selector);
        vm.prank(submitter);
        jobs.withdraw();
    }

    function test_withdraw_rejectingReceiver_reverts() public {
        address rejector = address(new Rejector());
        vm.deal(rejector, 10 ether);
        JobParams memory p = _params();
        vm.prank(rejector);
        uint256 jobId = jobs.postJob{value: _escrow(p)}(p, _wiring(), _initialGlobal());
        vm.warp(block.timestamp + TASK_TIMEOUT + 1);
        market.expire(jobs.segmentTaskOf(jobId, 0, 0));
        market.expire(jobs.segmentTaskOf(jobId, 0, 1));
        jobs.abandon(jobId);
        vm.prank(rejector);
        vm.expectRevert(abi.encodeWithSelector(Errors.TransferFailed.selector, rejector, 5 ether));
        jobs.withdraw();
        assertEq(jobs.creditOf(rejector), 5 ether, "kept");
    }

    function test_receive_notStakeManager_reverts() public {
        vm.prank(op1);
        (bool ok, bytes memory err) = address(jobs).call{value: 1 ether}("");
        assertFalse(ok, "refused");
        assertEq(keccak256(err), keccak256(abi.encodeWithSelector(Errors.NotStakeManager.selector, op1)));
    }

    // ---------------------------------------------------------------- helpers

    function _drop(bytes32[] memory a) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length - 1);
        for (uint256 j = 0; j < b.length; j++) {
            b[j] = a[j];
        }
    }
}
