// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {TraceResult, Traces} from "./utils/Traces.sol";
import {DilocoJobs, JobParams, JobStatus, Wiring} from "../src/DilocoJobs.sol";
import {Errors} from "../src/Errors.sol";
import {Task} from "../src/Task.sol";

/// @notice `DilocoJobs` over random shapes and wirings: only the exact escrow is taken, and a job of
///         random R, N, G, T, node counts and slot maps runs to completion with every h_0 and every
///         global root equal to what an agent derives with `Traces` (a level-by-level tree).
contract DilocoJobsFuzzTest is MarketFixture {
    uint16 internal constant NO_SOURCE = type(uint16).max;
    uint64 internal constant TASK_TIMEOUT = 3 days;

    DilocoJobs internal jobs;
    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy();
        jobs = new DilocoJobs(market, sm);
        vm.deal(submitter, type(uint128).max);
        vm.deal(operator, 1000 ether);
        vm.prank(operator);
        sm.stake{value: 1000 ether}();
    }

    function _params(uint16 rounds, uint16 shards, uint256 shardReward, uint256 outerReward)
        internal
        pure
        returns (JobParams memory p)
    {
        p.specHash = keccak256("fuzz job");
        p.specURI = "artifact://diloco/fuzz";
        p.rounds = rounds;
        p.shards = shards;
        p.innerSteps = 2;
        p.checkpointEvery = 1;
        p.shardReward = shardReward;
        p.outerReward = outerReward;
        p.minStake = MIN_STAKE;
        p.taskTimeout = TASK_TIMEOUT;
        p.challengeWindow = WINDOW;
        p.outerGraphRoot = keccak256("outer graph");
        p.outerDatasetRoot = keccak256("outer dataset");
        p.shardDatasetRoots = new bytes32[](shards);
        for (uint256 i = 0; i < shards; i++) {
            p.shardDatasetRoots[i] = keccak256(abi.encode("rows", i));
        }
        p.segmentGraphRoots = new bytes32[](uint256(rounds) * shards);
        for (uint256 s = 0; s < p.segmentGraphRoots.length; s++) {
            p.segmentGraphRoots[s] = keccak256(abi.encode("graph", s));
        }
    }

    /// @dev A random wiring: G global slots, T of them trained, a segment state of `slots` slots
    ///      each wired to a random global slot or a constant, random output nodes.
    function _wiring(bytes32 seed, uint16 g, uint16 t, uint256 slots, uint32 segmentNodes, uint32 outerNodes)
        internal
        pure
        returns (Wiring memory w)
    {
        w.globalSlots = g;
        w.shardSlots = t;
        w.segmentNodes = segmentNodes;
        w.outerNodes = outerNodes;
        w.segmentInit = new uint16[](slots);
        w.segmentConst = new bytes32[](slots);
        for (uint256 j = 0; j < slots; j++) {
            uint256 r = uint256(keccak256(abi.encode(seed, "init", j)));
            if (r % 3 == 0) {
                w.segmentInit[j] = NO_SOURCE;
                w.segmentConst[j] = keccak256(abi.encode(seed, "const", j));
            } else {
                // forge-lint: disable-next-line(unsafe-typecast) below g, a uint16
                w.segmentInit[j] = uint16(r % g);
            }
        }
        w.segmentOut = new uint32[](t);
        for (uint256 k = 0; k < t; k++) {
            // forge-lint: disable-next-line(unsafe-typecast) below segmentNodes, a uint32
            w.segmentOut[k] = uint32(uint256(keccak256(abi.encode(seed, "segment out", k))) % segmentNodes);
        }
        w.outerOut = new uint32[](g);
        for (uint256 j = 0; j < g; j++) {
            // forge-lint: disable-next-line(unsafe-typecast) below outerNodes, a uint32
            w.outerOut[j] = uint32(uint256(keccak256(abi.encode(seed, "outer out", j))) % outerNodes);
        }
    }

    function _randomRoots(bytes32 seed, string memory tag, uint256 n) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](n);
        for (uint256 j = 0; j < n; j++) {
            r[j] = keccak256(abi.encode(seed, tag, j));
        }
    }

    function _pick(bytes32[] memory nodes, uint32[] memory out) internal pure returns (bytes32[] memory picked) {
        picked = new bytes32[](out.length);
        for (uint256 k = 0; k < out.length; k++) {
            picked[k] = nodes[out[k]];
        }
    }

    function _segmentH0(Wiring memory w, bytes32[] memory global) internal pure returns (bytes32) {
        bytes32[] memory slots = new bytes32[](w.segmentInit.length);
        for (uint256 j = 0; j < slots.length; j++) {
            slots[j] = w.segmentInit[j] == NO_SOURCE ? w.segmentConst[j] : global[w.segmentInit[j]];
        }
        return Traces.root(slots);
    }

    /// @dev The operator claims `taskId`, submits a trace ending in `finalState`, and it is finalised.
    function _run(uint256 taskId, bytes32 finalState) internal {
        Task memory t = market.getTask(taskId);
        bytes32[] memory h = Traces.states(t.steps, keccak256(abi.encode("run", taskId)));
        h[0] = t.initStateRoot;
        h[t.steps] = finalState;
        TraceResult memory r = Traces.result(h);
        vm.startPrank(operator);
        market.claim(taskId);
        market.submitResult(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof, keccak256("model"));
        vm.stopPrank();
        vm.warp(block.timestamp + WINDOW + 1);
        market.finalize(taskId);
    }

    /// @notice Any job shape and rewards: one wei more or less is refused with the expected total,
    ///         the exact total is taken and round 0's rewards leave it.
    function testFuzz_postJob_takesExactlyTheTotal(
        uint16 rounds,
        uint16 shards,
        uint256 shardReward,
        uint256 outerReward,
        bool more
    ) public {
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..8
        rounds = uint16(bound(rounds, 1, 8));
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..16
        shards = uint16(bound(shards, 1, 16));
        shardReward = bound(shardReward, 1, 1e24);
        outerReward = bound(outerReward, 1, 1e24);
        JobParams memory p = _params(rounds, shards, shardReward, outerReward);
        Wiring memory w = _wiring(keccak256("w"), 3, 2, 4, 5, 4);
        bytes32[] memory global = _randomRoots(keccak256("g"), "global", 3);
        uint256 total = uint256(rounds) * (uint256(shards) * shardReward + outerReward);
        uint256 wrong = more ? total + 1 : total - 1;
        vm.startPrank(submitter);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongJobEscrow.selector, total, wrong));
        jobs.postJob{value: wrong}(p, w, global);
        uint256 jobId = jobs.postJob{value: total}(p, w, global);
        vm.stopPrank();
        assertEq(jobs.getJob(jobId).escrow, total - uint256(shards) * shardReward, "round 0 posted");
        assertEq(address(jobs).balance, total - uint256(shards) * shardReward, "held");
    }

    /// @dev A random job's shape.
    struct Shape {
        uint16 rounds;
        uint16 shards;
        uint16 g;
        uint16 t;
        uint256 slots;
        uint32 segmentNodes;
        uint32 outerNodes;
    }

    function _shape(uint256 x) internal pure returns (Shape memory sh) {
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..2
        sh.rounds = uint16(bound(x, 1, 2));
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..3
        sh.shards = uint16(bound(x >> 8, 1, 3));
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..6
        sh.g = uint16(bound(x >> 16, 1, 6));
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..g
        sh.t = uint16(bound(x >> 24, 1, sh.g));
        sh.slots = bound(x >> 32, 1, 9);
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..12
        sh.segmentNodes = uint32(bound(x >> 40, 1, 12));
        // forge-lint: disable-next-line(unsafe-typecast) bounded to 1..12
        sh.outerNodes = uint32(bound(x >> 48, 1, 12));
    }

    /// @notice A random job runs to completion; every task starts from the h_0 an agent derives, and
    ///         every round's global root is the one read out of the outer step's h_1 by the wiring.
    /// forge-config: default.fuzz.runs = 64
    function testFuzz_job_randomWiring_completes(bytes32 seed, uint256 shape) public {
        Shape memory sh = _shape(shape);
        JobParams memory p = _params(sh.rounds, sh.shards, 1 ether, 0.5 ether);
        Wiring memory w = _wiring(seed, sh.g, sh.t, sh.slots, sh.segmentNodes, sh.outerNodes);
        bytes32[] memory global = _randomRoots(seed, "global", sh.g);
        vm.prank(submitter);
        uint256 jobId =
            jobs.postJob{value: uint256(sh.rounds) * (uint256(sh.shards) * 1 ether + 0.5 ether)}(p, w, global);
        assertEq(jobs.globalRootOf(jobId, 0), Traces.root(global), "global root 0");
        for (uint16 r = 0; r < sh.rounds; r++) {
            global = _round(jobId, r, seed, sh, w, global);
            assertEq(jobs.globalRootOf(jobId, r + 1), Traces.root(global), "next global root");
        }
        assertEq(uint256(jobs.getJob(jobId).status), uint256(JobStatus.Completed), "completed");
        assertEq(address(jobs).balance + sm.creditOf(address(jobs)), 0, "every reward paid out");
    }

    /// @dev Runs round `r` from `global` and returns the next round's global roots.
    function _round(uint256 jobId, uint16 r, bytes32 seed, Shape memory sh, Wiring memory w, bytes32[] memory global)
        internal
        returns (bytes32[] memory)
    {
        bytes32 h0 = _segmentH0(w, global);
        uint256 t = sh.t;
        bytes32[] memory outerSlots = new bytes32[](uint256(sh.g) + uint256(sh.shards) * t);
        for (uint256 j = 0; j < sh.g; j++) {
            outerSlots[j] = global[j];
        }
        for (uint16 i = 0; i < sh.shards; i++) {
            bytes32[] memory params = _segment(jobId, r, i, seed, sh, w, h0);
            for (uint256 k = 0; k < t; k++) {
                outerSlots[sh.g + uint256(i) * t + k] = params[k];
            }
        }
        bytes32[] memory shardRoots = new bytes32[](uint256(sh.shards) * t);
        for (uint256 j = 0; j < shardRoots.length; j++) {
            shardRoots[j] = outerSlots[sh.g + j];
        }
        jobs.openOuter(jobId, global, shardRoots);
        uint256 outer = jobs.outerTaskOf(jobId, r);
        assertEq(market.getTask(outer).initStateRoot, Traces.root(outerSlots), "outer h_0");
        bytes32[] memory outerLeaves = _randomRoots(seed, string.concat("outer ", vm.toString(r)), sh.outerNodes);
        _run(outer, Traces.root(outerLeaves));
        jobs.recordOuter(jobId, outerLeaves);
        return _pick(outerLeaves, w.outerOut);
    }

    /// @dev Runs segment (r, i), checks its h_0 and recorded root; returns its parameter roots.
    function _segment(uint256 jobId, uint16 r, uint16 i, bytes32 seed, Shape memory sh, Wiring memory w, bytes32 h0)
        internal
        returns (bytes32[] memory params)
    {
        uint256 taskId = jobs.segmentTaskOf(jobId, r, i);
        assertEq(market.getTask(taskId).initStateRoot, h0, "segment h_0");
        bytes32[] memory leaves =
            _randomRoots(seed, string.concat("segment ", vm.toString(r), "/", vm.toString(i)), sh.segmentNodes);
        _run(taskId, Traces.root(leaves));
        jobs.recordSegment(jobId, i, leaves);
        params = _pick(leaves, w.segmentOut);
        assertEq(jobs.shardRootOf(jobId, r, i), Traces.root(params), "shard root");
    }
}
