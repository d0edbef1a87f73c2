// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {TraceResult, Traces} from "./utils/Traces.sol";
import {VmFiles} from "./utils/VmFiles.sol";
import {Errors} from "../src/Errors.sol";
import {TaskMarket} from "../src/TaskMarket.sol";
import {RootKind, Task, TaskParams, TaskStatus} from "../src/Task.sol";

/// @notice `submitResult` binds the model to the trace: the result names h_S, which must be leaf S
///         of the S + 1 leaves under the trace root (docs/protocol.md, "What the chain binds"). The
///         proofs come from `vectors/commitments.json` (`final_state`, written by Python's
///         `tribunal.commitments.final_state_proof`) and from `Traces`, checked against them.
contract TaskMarketFinalStateTest is MarketFixture {
    event log_named_uint(string key, uint256 val);

    VmFiles private constant files = VmFiles(address(vm));
    string private constant VECTORS = "../vectors/commitments.json";
    bytes32 private constant MODEL = keccak256("model");

    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    uint64 internal deadline;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploy();
        deadline = uint64(block.timestamp + 3 days);
        vm.deal(submitter, 1000 ether);
        vm.deal(operator, 1000 ether);
        vm.prank(operator);
        sm.stake{value: 500 ether}();
    }

    // ---------------------------------------------------------------- helpers

    function _claimed(uint256 steps) internal returns (uint256 taskId) {
        TaskParams memory p = _params(deadline);
        // forge-lint: disable-next-line(unsafe-typecast) steps fit a uint32 in every caller
        p.steps = uint32(steps);
        p.checkpointEvery = 1;
        vm.prank(submitter);
        taskId = market.postTask{value: REWARD}(p);
        vm.prank(operator);
        market.claim(taskId);
    }

    function _submit(uint256 taskId, bytes32 traceRoot, bytes32 finalState, bytes32[] memory proof) internal {
        vm.prank(operator);
        market.submitResult(taskId, traceRoot, finalState, proof, MODEL);
    }

    function _expectRefused(uint256 taskId, bytes32 traceRoot, bytes32 finalState, bytes32[] memory proof)
        internal
    {
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.FinalStateNotInTrace.selector, finalState, traceRoot));
        market.submitResult(taskId, traceRoot, finalState, proof, MODEL);
    }

    function _assertSubmitted(uint256 taskId, bytes32 traceRoot, bytes32 finalState) internal view {
        Task memory t = market.getTask(taskId);
        assertEq(uint256(t.status), uint256(TaskStatus.Submitted), "submitted");
        assertEq(t.traceRoot, traceRoot, "trace root stored");
        assertEq(t.finalStateRoot, finalState, "h_S stored");
        assertEq(t.modelHash, MODEL, "locator stored");
    }

    /// @dev A vector case: `.final_state.cases[i]`.
    function _case(string memory json, uint256 i)
        internal
        view
        returns (uint256 steps, bytes32 root, bytes32 finalState, bytes32[] memory proof)
    {
        string memory at = string.concat(".final_state.cases[", vm.toString(i), "]");
        steps = files.parseJsonUint(json, string.concat(at, ".steps"));
        root = files.parseJsonBytes32(json, string.concat(at, ".root"));
        finalState = files.parseJsonBytes32(json, string.concat(at, ".final_state"));
        proof = files.parseJsonBytes32Array(json, string.concat(at, ".final_proof"));
    }

    function _numCases(string memory json) internal view returns (uint256 n) {
        while (n < 100 && files.keyExistsJson(json, string.concat(".final_state.cases[", vm.toString(n), "]"))) n++;
    }

    function _concat(bytes32[] memory proof, bytes32 extra) internal pure returns (bytes32[] memory longer) {
        longer = new bytes32[](proof.length + 1);
        for (uint256 j = 0; j < proof.length; j++) {
            longer[j] = proof[j];
        }
        longer[proof.length] = extra;
    }

    function _drop(bytes32[] memory proof) internal pure returns (bytes32[] memory shorter) {
        shorter = new bytes32[](proof.length - 1);
        for (uint256 j = 0; j < shorter.length; j++) {
            shorter[j] = proof[j];
        }
    }

    /// @dev The root `leaf` at `index` with `proof` leads to (Merkle.processProof, over memory).
    function _fold(bytes32 leaf, uint256 index, bytes32[] memory proof) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 h = 0; h < proof.length; h++) {
            node = (index >> h) & 1 == 0
                ? keccak256(abi.encodePacked(node, proof[h]))
                : keccak256(abi.encodePacked(proof[h], node));
        }
    }

    // ---------------------------------------------------------------- Python's proofs accepted

    /// @notice Every vector (S = 1, 2, 3, 4, 5, 7, 8, 100: one leaf of padding, none, many) is
    ///         accepted as Python builds it, stored and emitted; `Traces` builds the same trees.
    function test_submitResult_pythonProofs_accepted() public {
        string memory json = files.readFile(VECTORS);
        bytes32 seed = files.parseJsonBytes32(json, ".final_state.seed");
        uint256 n = _numCases(json);
        assertEq(n, 8, "vector cases");
        for (uint256 i = 0; i < n; i++) {
            (uint256 steps, bytes32 root, bytes32 finalState, bytes32[] memory proof) = _case(json, i);
            TraceResult memory mine = Traces.result(steps, seed);
            assertEq(mine.traceRoot, root, "Traces root = Python's");
            assertEq(mine.finalStateRoot, finalState, "Traces h_S = Python's");
            assertEq(keccak256(abi.encode(mine.finalStateProof)), keccak256(abi.encode(proof)), "same proof");

            uint256 taskId = _claimed(steps);
            vm.expectEmit(true, true, true, true, address(market));
            emit TaskMarket.ResultSubmitted(taskId, operator, root, finalState, MODEL, block.timestamp + WINDOW);
            _submit(taskId, root, finalState, proof);
            _assertSubmitted(taskId, root, finalState);
            (,,,, bytes32 viewed,,) = market.taskRoots(taskId);
            assertEq(viewed, finalState, "taskRoots");
        }
    }

    // ---------------------------------------------------------------- wrong leaves refused

    /// @notice h_{S-1} with h_S's proof, h_{S-1} with its own (valid) proof of index S-1, and h_S
    ///         with the proof of index S-1 are all refused: the leaf must be h_S at index S.
    function test_submitResult_previousState_refused() public {
        string memory json = files.readFile(VECTORS);
        uint256 n = _numCases(json);
        for (uint256 i = 0; i < n; i++) {
            (uint256 steps, bytes32 root, bytes32 finalState, bytes32[] memory proof) = _case(json, i);
            string memory at = string.concat(".final_state.cases[", vm.toString(i), "]");
            bytes32 previous = files.parseJsonBytes32(json, string.concat(at, ".previous_state"));
            bytes32[] memory previousProof = files.parseJsonBytes32Array(json, string.concat(at, ".previous_proof"));
            uint256 taskId = _claimed(steps);
            _expectRefused(taskId, root, previous, proof);
            _expectRefused(taskId, root, previous, previousProof);
            if (keccak256(abi.encode(previousProof)) != keccak256(abi.encode(proof))) {
                _expectRefused(taskId, root, finalState, previousProof);
            }
            _submit(taskId, root, finalState, proof);
            _assertSubmitted(taskId, root, finalState);
        }
    }

    /// @notice An honest trace submitted with another state's commitment (another run's h_S, h_0, a
    ///         made-up root) is refused.
    function test_submitResult_anotherState_refused() public {
        TraceResult memory honest = Traces.result(100, "honest");
        TraceResult memory other = Traces.result(100, "other run");
        bytes32[] memory states = Traces.states(100, "honest");
        uint256 taskId = _claimed(100);
        _expectRefused(taskId, honest.traceRoot, other.finalStateRoot, honest.finalStateProof);
        _expectRefused(taskId, honest.traceRoot, other.finalStateRoot, other.finalStateProof);
        _expectRefused(taskId, honest.traceRoot, states[0], honest.finalStateProof);
        _expectRefused(taskId, honest.traceRoot, keccak256("checkpoint of step 2"), honest.finalStateProof);
        // the right h_S under another run's trace root
        _expectRefused(taskId, other.traceRoot, honest.finalStateRoot, honest.finalStateProof);
        _submit(taskId, honest.traceRoot, honest.finalStateRoot, honest.finalStateProof);
    }

    /// @notice Commit intervals (protocol v2): a trace with zero leaves at the steps that are not
    ///         committed keeps S + 1 leaves, so h_S is bound as leaf S exactly as before (here
    ///         S = 100, checkpointEvery 7: the last interval [98, 100] is partial); a zero leaf cannot
    ///         pass as h_S (a zero final state is refused as such).
    function test_submitResult_traceWithCommitIntervals() public {
        bytes32[] memory states = Traces.committedStates(100, 7, "intervals");
        assertEq(states.length, 101);
        assertEq(states[99], bytes32(0));
        assertTrue(states[98] != bytes32(0));
        TraceResult memory r = Traces.result(states);
        uint256 taskId = _claimed(100);
        bytes32[] memory zeroProof = Traces.proof(states, 99);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ZeroRoot.selector, RootKind.FinalState));
        market.submitResult(taskId, r.traceRoot, bytes32(0), zeroProof, MODEL);
        _submit(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof);
        _assertSubmitted(taskId, r.traceRoot, states[100]);
    }

    /// @notice A proof of another depth is refused: one sibling short (an inner node posing as h_S),
    ///         one too many (h_S posing as the leaf of a deeper tree), and, for S = 1, the trace root
    ///         itself with an empty proof.
    function test_submitResult_wrongDepth_refused() public {
        bytes32[] memory states = Traces.states(3, "depth");
        TraceResult memory r = Traces.result(states);
        uint256 taskId = _claimed(3);
        // h_2 ‖ h_3 is leaf 1 of the level above; its proof is the top sibling only
        bytes32 inner = keccak256(abi.encodePacked(states[2], states[3]));
        bytes32[] memory top = new bytes32[](1);
        top[0] = r.finalStateProof[1];
        assertEq(_fold(inner, 1, top), r.traceRoot, "the inner node does lead to the root");
        _expectRefused(taskId, r.traceRoot, inner, top);
        _expectRefused(taskId, r.traceRoot, r.finalStateRoot, _drop(r.finalStateProof));
        bytes32[] memory deeper = _concat(r.finalStateProof, bytes32(0));
        _expectRefused(taskId, r.traceRoot, r.finalStateRoot, deeper);
        _expectRefused(taskId, _fold(r.finalStateRoot, 3, deeper), r.finalStateRoot, deeper);

        TraceResult memory one = Traces.result(1, "one step");
        uint256 single = _claimed(1);
        _expectRefused(single, one.traceRoot, one.traceRoot, new bytes32[](0));
        _submit(single, one.traceRoot, one.finalStateRoot, one.finalStateProof);
        _assertSubmitted(single, one.traceRoot, one.finalStateRoot);
    }

    /// @notice S = 1: two leaves, h_S is the right one, its proof is h_0.
    function test_submitResult_oneStep() public {
        bytes32[] memory states = Traces.states(1, "one");
        TraceResult memory r = Traces.result(states);
        assertEq(r.finalStateProof.length, 1);
        assertEq(r.finalStateProof[0], states[0]);
        uint256 taskId = _claimed(1);
        _expectRefused(taskId, r.traceRoot, states[0], _concat(new bytes32[](0), states[1]));
        _submit(taskId, r.traceRoot, states[1], r.finalStateProof);
        _assertSubmitted(taskId, r.traceRoot, states[1]);
    }

    /// @notice S = 8: nine leaves, so h_S is the first leaf of a right half that is all padding (its
    ///         siblings are zero subtrees); a padding leaf's place cannot be named (the index is S).
    function test_submitResult_nonPowerOfTwo_paddingSiblings() public {
        TraceResult memory r = Traces.result(8, "nine leaves");
        assertEq(r.finalStateProof.length, 4);
        assertEq(r.finalStateProof[0], bytes32(0), "Z_0");
        assertEq(r.finalStateProof[1], keccak256(abi.encode(bytes32(0), bytes32(0))), "Z_1");
        uint256 taskId = _claimed(8);
        // a zero leaf (the padding right of h_S) is not h_S either
        _expectRefused(taskId, r.traceRoot, bytes32(uint256(1)), r.finalStateProof);
        _submit(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof);
        _assertSubmitted(taskId, r.traceRoot, r.finalStateRoot);
    }

    /// @notice Any S and run: h_S is accepted with its proof; h_t (t != S) with its own proof is not.
    function testFuzz_submitResult_onlyTheFinalState(uint256 stepsSeed, uint256 otherSeed, bytes32 seed) public {
        uint256 steps = 1 + stepsSeed % 200;
        uint256 other = otherSeed % steps; // 0..S-1
        bytes32[] memory states = Traces.states(steps, seed);
        TraceResult memory r = Traces.result(states);
        uint256 taskId = _claimed(steps);
        _expectRefused(taskId, r.traceRoot, states[other], Traces.proof(states, other));
        _expectRefused(taskId, r.traceRoot, states[other], r.finalStateProof);
        _submit(taskId, r.traceRoot, r.finalStateRoot, r.finalStateProof);
        _assertSubmitted(taskId, r.traceRoot, r.finalStateRoot);
    }

    // ---------------------------------------------------------------- gas

    /// @notice Gas of `submitResult` by trace depth (execution inside the call; the transaction adds
    ///         21k base and 32 bytes of calldata per sibling). docs/protocol.md and contracts/GAS.md
    ///         quote these figures.
    function test_gas_submitResult_byDepth() public {
        uint256[4] memory stepCounts = [uint256(1), 100, 1_000_000, type(uint32).max];
        for (uint256 i = 0; i < stepCounts.length; i++) {
            uint256 steps = stepCounts[i];
            uint256 taskId = _claimed(steps);
            // siblings need not be an honest tree's for the gas: fold made-up ones up to a root
            bytes32[] memory proof = new bytes32[](_depth(steps + 1));
            for (uint256 h = 0; h < proof.length; h++) {
                proof[h] = keccak256(abi.encode("sibling", h));
            }
            bytes32 finalState = keccak256("h_S");
            bytes32 root = _fold(finalState, steps, proof);
            vm.prank(operator);
            uint256 before = gasleft();
            market.submitResult(taskId, root, finalState, proof, MODEL);
            uint256 used = before - gasleft();
            emit log_named_uint(string.concat("submitResult gas, siblings ", vm.toString(proof.length)), used);
            assertLe(used, 110_000, "submitResult stays cheap at any depth");
        }
    }

    function _depth(uint256 leaves) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < leaves) d++;
    }
}
