// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameStatus, GameView, Resolution} from "../../src/DisputeTypes.sol";
import {GameFixture} from "./utils/GameFixture.sol";
import {ToyWorld} from "./utils/ToyWorld.sol";

/// @notice Random worlds and random faults, played to the end with the AlphabetProver: the four
///         descents always find exactly the faulty (step, node, element, instruction), and the honest
///         side always wins, whichever side is faulty and whoever sends the proof moves.
contract DisputeGameFuzzTest is GameFixture {
    function setUp() public {
        _deploy();
    }

    struct Params {
        uint256 steps;
        uint256 nodes;
        uint256 numel;
        uint256 length;
        bool operatorFaulty;
        bool honestProves;
        uint256 secondsPerMove;
    }

    function _params(uint256 seed) internal pure returns (Params memory p) {
        p.steps = 1 + seed % 9;
        p.nodes = 1 + (seed >> 8) % 5;
        p.numel = 1 + (seed >> 16) % 24;
        p.length = 1 + (seed >> 24) % 20;
        p.operatorFaulty = (seed >> 32) & 1 == 1;
        p.honestProves = (seed >> 33) & 1 == 1;
        p.secondsPerMove = (seed >> 40) % 3600;
    }

    /// forge-config: default.fuzz.runs = 128
    function testFuzz_game_findsTheFaultAndTheHonestSideWins(uint256 seed, uint256 faultSeed, uint32 delta, bool right)
        public
    {
        _fuzzGame(seed, faultSeed, delta, right, false);
    }

    /// @notice The same with commit intervals: checkpointEvery K drawn in 1..S, so the fault lies
    ///         anywhere in an interval (its first or last step, the last partial interval) and the
    ///         game finds it through the Segment round, or directly when a = i - 1.
    /// forge-config: default.fuzz.runs = 128
    function testFuzz_commitIntervals_findsTheFaultAndTheHonestSideWins(
        uint256 seed,
        uint256 faultSeed,
        uint32 delta,
        bool right
    ) public {
        _fuzzGame(seed, faultSeed, delta, right, true);
    }

    function _fuzzGame(uint256 seed, uint256 faultSeed, uint32 delta, bool right, bool intervals) internal {
        Params memory p = _params(seed);
        ToyWorld world = _world(p.steps, p.nodes, p.numel, p.length);
        if (intervals) world.setCheckpointEvery(1 + (seed >> 56) % p.steps);
        ToyWorld.Fault memory bad = _fault(
            faultSeed % p.steps,
            (faultSeed >> 64) % p.nodes,
            (faultSeed >> 128) % p.numel,
            (faultSeed >> 192) % p.length
        );
        bad.delta = delta == 0 ? 1 : delta;
        bad.corruptRight = right;
        Side memory o = Side(operator, p.operatorFaulty ? bad : _honest());
        Side memory c = Side(challenger, p.operatorFaulty ? _honest() : bad);
        uint256 gameId = _dispute(world, o.fault, c.fault);
        address honestSide = p.operatorFaulty ? challenger : operator;
        address faultySide = p.operatorFaulty ? operator : challenger;
        _play(world, gameId, o, c, p.honestProves ? honestSide : faultySide, p.secondsPerMove);

        GameView memory s = _state(gameId);
        assertEq(s.step, bad.step, "step");
        assertEq(s.node, bad.node, "node");
        assertEq(s.element, bad.element, "element");
        assertEq(s.instruction, bad.instruction, "instruction");
        assertEq(uint256(s.resolution), uint256(Resolution.OneStep));
        assertEq(
            uint256(s.status), uint256(p.operatorFaulty ? GameStatus.ChallengerWon : GameStatus.OperatorWon), "winner"
        );
        assertEq(address(sm).balance, sm.totalBonded() + sm.totalUnbonding() + sm.totalCredits() + sm.burnPending());
    }
}
