// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Traces} from "./utils/Traces.sol";
import {VmFiles} from "./utils/VmFiles.sol";
import {Errors} from "../src/Errors.sol";
import {Jackpot} from "../src/Jackpot.sol";
import {StakeManager} from "../src/StakeManager.sol";
import {TaskMarket} from "../src/TaskMarket.sol";
import {Task, TaskParams, TaskStatus} from "../src/Task.sol";

interface VmJsonBool {
    function parseJsonBool(string calldata json, string calldata key) external pure returns (bool);
}

/// @notice Forced errors and the jackpot (docs/forced-errors.md): the draw is fixed after the
///         operator commits and fires at its set rate; results under forced errors go through a seal,
///         a reveal and a game phase; a forced error's honest root replaces the forced one and its
///         sealed catchers share the pot by the decaying split, paid only if the honest root stands.
contract ForcedErrorsTest is MarketFixture {
    VmFiles private constant files = VmFiles(address(vm));
    string private constant VECTORS = "../vectors/forced_draw.json";

    uint64 internal constant AUDIT = 6 hours;
    uint16 internal constant JACKPOT_BPS = 500;
    uint256 internal constant POT = 2 ether;
    uint32 internal constant STEPS = 100;
    uint32 internal constant EVERY = 10;
    bytes32 internal constant MODEL = keccak256("model");
    bytes32 internal constant HONEST_MODEL = keccak256("honest model");

    Jackpot internal jackpot;
    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    address internal verifier = makeAddr("verifier");
    address internal verifier2 = makeAddr("verifier2");
    address internal sybil = makeAddr("sybil");
    uint64 internal deadline;

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(100);
        _deploy();
        jackpot = new Jackpot(address(market), POT);
        market.setJackpot(address(jackpot), 1_000_000, AUDIT, JACKPOT_BPS);
        deadline = uint64(block.timestamp + 10 days);
        vm.deal(submitter, 1000 ether);
        vm.deal(operator, 1000 ether);
        vm.deal(address(this), 1000 ether);
        vm.prank(operator);
        sm.stake{value: 500 ether}();
        vm.prank(operator);
        jackpot.fundEscrow{value: 8 ether}(operator);
    }

    // ---------------------------------------------------------------- helpers

    function _claimed(uint32 steps, uint32 every) internal returns (uint256 taskId) {
        TaskParams memory p = _params(deadline);
        p.steps = steps;
        p.checkpointEvery = every;
        vm.prank(submitter);
        taskId = market.postTask{value: REWARD}(p);
        vm.prank(operator);
        market.claim(taskId);
    }

    function _commit(uint256 taskId, bytes32 secret) internal {
        vm.prank(operator);
        market.commitDraw(taskId, keccak256(abi.encode(secret)));
        vm.roll(block.number + 1);
    }

    function _submit(uint256 taskId, bytes32[] memory h) internal {
        vm.prank(operator);
        market.submitResult(taskId, Traces.root(h), h[h.length - 1], Traces.proof(h, h.length - 1), MODEL);
    }

    /// @dev A forced result: honest committed states, the draw's leaf L replaced.
    function _forcedResult(uint256 taskId, bytes32 secret)
        internal
        returns (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf)
    {
        _commit(taskId, secret);
        bool isForced;
        (isForced, leaf) =
            market.forcedDraw(secret, blockhash(market.drawOf(taskId).committedBlock), taskId, STEPS, EVERY, 1_000_000);
        assertTrue(isForced, "ppm = 1e6 forces every result with an interior step");
        honest = Traces.committedStates(STEPS, EVERY, keccak256("run"));
        forced = Traces.committedStates(STEPS, EVERY, keccak256("run"));
        forced[leaf] = keccak256("forced h_L");
        _submit(taskId, forced);
    }

    function _afterSeal(uint256 taskId) internal {
        Task memory t = market.getTask(taskId);
        vm.warp(uint256(t.submittedAt) + t.challengeWindow + 1);
    }

    function _revealForced(
        uint256 taskId,
        bytes32 secret,
        bytes32[] memory honest,
        bytes32[] memory forced,
        uint256 leaf
    ) internal {
        vm.prank(operator);
        market.revealForcedError(taskId, secret, forced[leaf], honest[leaf], Traces.proof(forced, leaf), HONEST_MODEL);
    }

    function _seal(address catcher, uint256 taskId, bytes32 state, bytes32 salt) internal {
        vm.prank(catcher);
        jackpot.seal(keccak256(abi.encode(taskId, state, catcher, salt)));
    }

    function _revealCatch(address catcher, uint256 taskId, bytes32 state, bytes32 salt) internal {
        vm.prank(catcher);
        jackpot.revealCatch(taskId, state, salt);
    }

    function _finalizeAfterWindow(uint256 taskId) internal {
        vm.warp(market.challengeEndsAt(taskId) + 1);
        market.finalize(taskId);
    }

    // ---------------------------------------------------------------- deploy-time rules

    function test_setJackpot_isOnceBeforeTasksAndChecked() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.JackpotAlreadySet.selector, address(jackpot)));
        market.setJackpot(address(jackpot), 1, AUDIT, 0);

        _deploy(); // a fresh market without a jackpot
        Jackpot other = new Jackpot(address(this), POT);
        vm.expectRevert(abi.encodeWithSelector(Errors.JackpotMarketMismatch.selector, address(this), address(market)));
        market.setJackpot(address(other), 1, AUDIT, 0);
        Jackpot mine = new Jackpot(address(market), POT);
        vm.expectRevert(abi.encodeWithSelector(Errors.ForcedErrorPpmOutOfRange.selector, 0));
        market.setJackpot(address(mine), 0, AUDIT, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.ForcedErrorPpmOutOfRange.selector, 1_000_001));
        market.setJackpot(address(mine), 1_000_001, AUDIT, 0);
        vm.expectRevert(Errors.ZeroAuditWindow.selector);
        market.setJackpot(address(mine), 1, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.BpsTooHigh.selector, 10_001, 10_000));
        market.setJackpot(address(mine), 1, AUDIT, 10_001);
        // 2 * 2 days + 2 * A + 7 days + 1 day must fit the 14-day unbonding delay: A = 1 day + 1 s does not
        uint256 required = 2 * uint256(MAX_CHALLENGE_WINDOW) + 2 * (1 days + 1) + MAX_DISPUTE_DURATION + 1 days;
        vm.expectRevert(abi.encodeWithSelector(Errors.UnbondingDelayTooShort.selector, UNBONDING_DELAY, required));
        market.setJackpot(address(mine), 1, 1 days + 1, 0);

        vm.prank(submitter);
        market.postTask{value: REWARD}(_params(deadline));
        vm.expectRevert(abi.encodeWithSelector(Errors.JackpotSetAfterTasks.selector, 1));
        market.setJackpot(address(mine), 1, AUDIT, 0);
    }

    function test_jackpotConstructor_checksItsShare() public {
        vm.expectRevert(Errors.ZeroPot.selector);
        new Jackpot(address(market), 0);
        vm.expectRevert(Errors.ZeroAddress.selector);
        new Jackpot(address(0), 1);
    }

    // ---------------------------------------------------------------- the draw

    /// @notice LESSONS.md: Truebit's threshold never fired. Ours fires at its rate: 20,000 draws at
    ///         10 % give 2,000 ± 300 (about 7 sigma), every leaf an interior multiple of K.
    function test_forcedDraw_firesAtItsRate() public view {
        uint256 hits;
        for (uint256 i = 0; i < 20_000; i++) {
            (bool forced, uint256 leaf) = market.forcedDraw(
                keccak256(abi.encode("secret", i)), keccak256(abi.encode("seed", i)), i, STEPS, EVERY, 100_000
            );
            if (forced) {
                hits++;
                assertTrue(leaf > 0 && leaf < STEPS && leaf % EVERY == 0, "an interior committed step");
            } else {
                assertEq(leaf, 0);
            }
        }
        assertTrue(hits > 1_700 && hits < 2_300, "forced errors fire at the set rate");
    }

    function test_forcedDraw_neverWithoutAnInteriorStep() public view {
        for (uint256 i = 0; i < 50; i++) {
            (bool forced,) = market.forcedDraw(keccak256(abi.encode(i)), bytes32(i), i, 10, 10, 1_000_000);
            assertFalse(forced);
        }
        (bool f,) = market.forcedDraw(bytes32(0), bytes32(0), 1, 10, 0, 1_000_000);
        assertFalse(f);
    }

    function test_forcedDraw_matchesSharedVectors() public view {
        string memory json = files.readFile(VECTORS);
        for (uint256 i = 0; i < 28; i++) {
            string memory key = string.concat(".draws[", vm.toString(i), "]");
            bytes32 secret = files.parseJsonBytes32(json, string.concat(key, ".secret"));
            assertEq(keccak256(abi.encode(secret)), files.parseJsonBytes32(json, string.concat(key, ".secret_hash")));
            (bool forced, uint256 leaf) = market.forcedDraw(
                secret,
                files.parseJsonBytes32(json, string.concat(key, ".seed")),
                files.parseJsonUint(json, string.concat(key, ".task_id")),
                files.parseJsonUint(json, string.concat(key, ".steps")),
                files.parseJsonUint(json, string.concat(key, ".every")),
                files.parseJsonUint(json, string.concat(key, ".ppm"))
            );
            assertEq(forced, VmJsonBool(address(vm)).parseJsonBool(json, string.concat(key, ".forced")));
            assertEq(leaf, files.parseJsonUint(json, string.concat(key, ".leaf")));
        }
        for (uint256 i = 0; i < 4; i++) {
            string memory key = string.concat(".seals[", vm.toString(i), "]");
            assertEq(
                jackpot.sealHashOf(
                    files.parseJsonUint(json, string.concat(key, ".task_id")),
                    files.parseJsonBytes32(json, string.concat(key, ".state")),
                    0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB,
                    files.parseJsonBytes32(json, string.concat(key, ".salt"))
                ),
                files.parseJsonBytes32(json, string.concat(key, ".seal_hash"))
            );
        }
        for (uint256 i = 0; i < 6; i++) {
            string memory key = string.concat(".shares[", vm.toString(i), "]");
            assertEq(
                jackpot.shareOf(
                    files.parseJsonUint(json, string.concat(key, ".pot")),
                    files.parseJsonUint(json, string.concat(key, ".catches"))
                ),
                files.parseJsonUint(json, string.concat(key, ".share"))
            );
        }
    }

    // ---------------------------------------------------------------- commit and submit

    function test_commitDraw_rules() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        vm.prank(submitter);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotOperator.selector, submitter, operator));
        market.commitDraw(taskId, keccak256("x"));
        vm.prank(operator);
        vm.expectRevert(Errors.ZeroSecretHash.selector);
        market.commitDraw(taskId, bytes32(0));
        vm.prank(operator);
        market.commitDraw(taskId, keccak256("x"));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.DrawAlreadyCommitted.selector, taskId));
        market.commitDraw(taskId, keccak256("y"));
    }

    function test_commitDraw_offWithoutForcedErrors() public {
        _deploy(); // no jackpot
        vm.prank(submitter);
        uint256 taskId = market.postTask{value: REWARD}(_params(deadline));
        vm.prank(operator);
        vm.expectRevert(Errors.ForcedErrorsOff.selector);
        market.commitDraw(taskId, keccak256("x"));
    }

    function test_submit_needsACommittedDrawFromAnEarlierBlock() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32[] memory h = Traces.committedStates(STEPS, EVERY, keccak256("run"));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.DrawNotCommitted.selector, taskId));
        market.submitResult(taskId, Traces.root(h), h[STEPS], Traces.proof(h, STEPS), MODEL);

        vm.prank(operator);
        market.commitDraw(taskId, keccak256(abi.encode(keccak256("s"))));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.DrawNotReady.selector, block.number, block.number));
        market.submitResult(taskId, Traces.root(h), h[STEPS], Traces.proof(h, STEPS), MODEL);

        uint256 committed = block.number;
        vm.roll(committed + 257);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.DrawExpired.selector, committed));
        market.submitResult(taskId, Traces.root(h), h[STEPS], Traces.proof(h, STEPS), MODEL);

        vm.roll(committed + 256);
        _submit(taskId, h);
        assertEq(market.drawOf(taskId).seed, blockhash(committed));
    }

    // ---------------------------------------------------------------- a result that is not forced

    function test_notForced_sealRevealGamesFinalize() public {
        uint256 taskId = _claimed(10, 10); // no interior committed step: never forced
        bytes32 secret = keccak256("secret");
        _commit(taskId, secret);
        bytes32[] memory h = Traces.committedStates(10, 10, keccak256("run"));
        _submit(taskId, h);
        Task memory t = market.getTask(taskId);
        uint256 sealEnds = uint256(t.submittedAt) + t.challengeWindow;
        assertEq(market.challengeEndsAt(taskId), sealEnds + 2 * AUDIT);
        assertEq(market.gamesOpenAt(taskId), sealEnds + AUDIT + 1);

        // no game during the seal phase: a copycat learns nothing from the chain
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.GamesNotOpenYet.selector, sealEnds + AUDIT + 1));
        market.onDisputeOpened(taskId);

        vm.warp(sealEnds);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.RevealTooEarly.selector, sealEnds));
        market.revealDraw(taskId, secret);
        vm.warp(sealEnds + 1);
        vm.prank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.DrawSecretMismatch.selector, keccak256(abi.encode(secret)), keccak256(abi.encode(bytes32(0)))
            )
        );
        market.revealDraw(taskId, bytes32(0));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotAForcedError.selector, taskId));
        market.revealForcedError(taskId, secret, h[5], keccak256("x"), new bytes32[](4), HONEST_MODEL);
        vm.prank(operator);
        market.revealDraw(taskId, secret);
        assertEq(market.gamesOpenAt(taskId), block.timestamp);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.DrawAlreadyRevealed.selector, taskId));
        market.revealDraw(taskId, secret);

        // games open now, and finalising waits for the game phase
        vm.prank(game);
        market.onDisputeOpened(taskId);
        vm.prank(game);
        market.onDisputeWithdrawn(taskId);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengeWindowOpen.selector, sealEnds + 2 * AUDIT));
        market.finalize(taskId);

        uint256 escrowBefore = jackpot.escrowOf(operator);
        _finalizeAfterWindow(taskId);
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(sm.creditOf(operator), REWARD - cut, "the operator is paid the reward less its escrow's share");
        assertEq(jackpot.escrowOf(operator), escrowBefore + cut, "the share goes to its own escrow");
        assertEq(address(jackpot).balance, jackpot.totalEscrow());
    }

    function test_revealTooLate_andFinalizeNeedsTheReveal() public {
        uint256 taskId = _claimed(10, 10);
        _commit(taskId, keccak256("secret"));
        _submit(taskId, Traces.committedStates(10, 10, keccak256("run")));
        Task memory t = market.getTask(taskId);
        uint256 revealEnds = uint256(t.submittedAt) + t.challengeWindow + AUDIT;
        vm.warp(revealEnds + 1);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.RevealTooLate.selector, revealEnds));
        market.revealDraw(taskId, keccak256("secret"));
        vm.warp(market.challengeEndsAt(taskId) + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.DrawNotRevealed.selector, taskId));
        market.finalize(taskId);
    }

    function test_forfeitUnrevealed_slashesAndReopens() public {
        uint256 taskId = _claimed(10, 10);
        _commit(taskId, keccak256("secret"));
        _submit(taskId, Traces.committedStates(10, 10, keccak256("run")));
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengeWindowOpen.selector, market.challengeEndsAt(taskId)));
        market.forfeitUnrevealed(taskId);
        vm.warp(market.challengeEndsAt(taskId) + 1);
        uint256 lockedBefore = sm.lockedOf(operator);
        market.forfeitUnrevealed(taskId);
        uint256 slashed = MIN_STAKE * MISSED_DEADLINE_SLASH_BPS / 10_000;
        assertEq(sm.lockedOf(operator), lockedBefore - MIN_STAKE, "the task's stake is released or slashed");
        assertEq(sm.creditOf(submitter), slashed * SLASH_WINNER_BPS / 10_000, "the submitter wins the slash");
        assertEq(uint8(market.taskStatus(taskId)), uint8(TaskStatus.Open), "the task reopens");
        assertEq(market.drawOf(taskId).committedBlock, 0, "the next claim draws afresh");
    }

    function test_revealedDraw_cannotBeForfeited() public {
        uint256 taskId = _claimed(10, 10);
        _commit(taskId, keccak256("secret"));
        _submit(taskId, Traces.committedStates(10, 10, keccak256("run")));
        _afterSeal(taskId);
        vm.prank(operator);
        market.revealDraw(taskId, keccak256("secret"));
        vm.warp(market.challengeEndsAt(taskId) + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.DrawRevealed.selector, taskId));
        market.forfeitUnrevealed(taskId);
    }

    // ---------------------------------------------------------------- a forced error

    function test_forced_revealReplacesTheRootAndOpensThePot() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _afterSeal(taskId);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ForcedErrorMustBeRevealed.selector, taskId));
        market.revealDraw(taskId, secret);
        bytes32[] memory proof = Traces.proof(forced, leaf);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ForcedLeafUnchanged.selector, forced[leaf]));
        market.revealForcedError(taskId, secret, forced[leaf], forced[leaf], proof, HONEST_MODEL);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.ForcedLeafNotInTrace.selector, leaf, honest[leaf]));
        market.revealForcedError(taskId, secret, honest[leaf], keccak256("other"), proof, HONEST_MODEL);

        uint256 escrow = jackpot.escrowOf(operator);
        _revealForced(taskId, secret, honest, forced, leaf);
        Task memory t = market.getTask(taskId);
        assertEq(t.traceRoot, Traces.root(honest), "the honest root replaces the forced one");
        assertEq(t.modelHash, HONEST_MODEL);
        assertEq(market.challengeEndsAt(taskId), block.timestamp + WINDOW, "a fresh window for the honest root");
        assertEq(market.gamesOpenAt(taskId), block.timestamp, "games against it open at once");
        Jackpot.Pot memory pot = jackpot.potOf(taskId);
        assertEq(pot.amount, POT, "a whole pot from the operator's own escrow");
        assertEq(pot.operator, operator);
        assertEq(jackpot.escrowOf(operator), escrow - POT);
        assertEq(pot.honestLeaf, honest[leaf]);
        assertEq(sm.lockedOf(operator), MIN_STAKE, "the operator is not slashed for a forced error");
    }

    function test_forced_oneCatcherTakesThePot() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _seal(verifier, taskId, honest[leaf], "salt");
        _afterSeal(taskId);
        _seal(verifier2, taskId, honest[leaf], "late"); // a copycat sealing after the phase
        _revealForced(taskId, secret, honest, forced, leaf);
        uint256 potAmount = jackpot.potOf(taskId).amount;

        _revealCatch(verifier, taskId, honest[leaf], "salt");
        Task memory t = market.getTask(taskId);
        uint256 sealEnds = uint256(t.submittedAt) + t.challengeWindow;
        vm.prank(verifier2);
        vm.expectRevert(abi.encodeWithSelector(Errors.SealOutsidePhase.selector, sealEnds + 1, t.submittedAt, sealEnds));
        jackpot.revealCatch(taskId, honest[leaf], "late");
        vm.prank(verifier);
        vm.expectRevert(); // the seal is spent
        jackpot.revealCatch(taskId, honest[leaf], "salt");

        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.CatchWindowOpen.selector, jackpot.potOf(taskId).catchEndsAt));
        jackpot.claimJackpot(taskId);
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotPayable.selector, taskId));
        jackpot.claimJackpot(taskId);

        _finalizeAfterWindow(taskId);
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), potAmount, "one catcher takes the whole pot");
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, verifier));
        jackpot.claimJackpot(taskId);
        uint256 before = verifier.balance;
        vm.prank(verifier);
        jackpot.withdraw();
        assertEq(verifier.balance, before + potAmount);
        assertEq(address(jackpot).balance, jackpot.totalEscrow(), "every wei is in an escrow or paid");
    }

    function test_forced_wrongStateOrNoSealCatchesNothing() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _seal(verifier, taskId, keccak256("a guess"), "salt");
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.CatchWrongState.selector, keccak256("a guess"), honest[leaf]));
        jackpot.revealCatch(taskId, keccak256("a guess"), "salt");
        // copying someone's reveal from another account finds no seal
        _seal(verifier2, taskId, honest[leaf], "salt2");
        vm.prank(sybil);
        vm.expectRevert();
        jackpot.revealCatch(taskId, honest[leaf], "salt2");
    }

    /// @notice Truebit's decaying split: the operator's own second account that seals its forced error
    ///         shrinks the pot; it wins back pot/4 of its own money, the honest catcher keeps pot/4, and
    ///         half is burned (returned to the operator, it would make more own accounts pay).
    function test_forced_sybilCatcherSharesByTheDecayingSplit() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _seal(sybil, taskId, honest[leaf], "s"); // the operator knows h_L from the start
        _seal(verifier, taskId, honest[leaf], "v");
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        uint256 potAmount = jackpot.potOf(taskId).amount;
        uint256 escrow = jackpot.escrowOf(operator);
        _revealCatch(sybil, taskId, honest[leaf], "s");
        _revealCatch(verifier, taskId, honest[leaf], "v");
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        _finalizeAfterWindow(taskId);
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), potAmount / 4);
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut, "the operator's escrow gets nothing back");
        assertEq(jackpot.burned(), potAmount - 2 * (potAmount / 4), "the rest is burned: extra own accounts cost");
        vm.prank(sybil);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(sybil), potAmount / 4);
        assertEq(jackpot.potOf(taskId).amount, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotAlreadyClosed.selector, taskId));
        jackpot.closePot(taskId);
    }

    function test_forced_bogusHonestLeafThatLosesPaysNobody() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        bytes32 bogus = keccak256("bogus");
        _seal(sybil, taskId, bogus, "s"); // a cheater's own account seals the value it will "reveal"
        _afterSeal(taskId);
        honest[leaf] = bogus;
        _revealForced(taskId, secret, honest, forced, leaf);
        _revealCatch(sybil, taskId, bogus, "s");
        uint256 potAmount = jackpot.potOf(taskId).amount;
        uint256 escrow = jackpot.escrowOf(operator);
        // an honest verifier disproves the "honest" root: the result is voided
        vm.prank(game);
        market.onDisputeOpened(taskId);
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId));
        jackpot.closePot(taskId);
        vm.prank(game);
        market.onDisputeResolved(taskId, false, true);
        vm.prank(sybil);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotPayable.selector, taskId));
        jackpot.claimJackpot(taskId);
        jackpot.closePot(taskId);
        assertEq(jackpot.escrowOf(operator), escrow + potAmount, "the whole pot returns to the escrow");
        vm.expectRevert(abi.encodeWithSelector(Errors.PotAlreadyClosed.selector, taskId));
        jackpot.closePot(taskId);
    }

    function test_forced_aVoidedTaskForcedAgainOpensANewRound() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, keccak256("a"));
        _afterSeal(taskId);
        _revealForced(taskId, keccak256("a"), honest, forced, leaf);
        vm.prank(game);
        market.onDisputeOpened(taskId);
        vm.prank(game);
        market.onDisputeResolved(taskId, false, true); // voided, reopened, the pot left open
        assertEq(uint8(market.taskStatus(taskId)), uint8(TaskStatus.Open));
        uint256 heldBefore = jackpot.escrowOf(operator) + jackpot.potOf(taskId).amount;
        vm.prank(operator);
        market.claim(taskId);
        (honest, forced, leaf) = _forcedResult(taskId, keccak256("b"));
        _afterSeal(taskId);
        _revealForced(taskId, keccak256("b"), honest, forced, leaf);
        Jackpot.Pot memory pot = jackpot.potOf(taskId);
        assertEq(pot.round, 2);
        assertEq(jackpot.escrowOf(operator) + pot.amount, heldBefore, "the old pot went back to the escrow first");
    }

    // ---------------------------------------------------------------- escrows

    function test_claim_needsAWholePotInEscrow() public {
        address poor = makeAddr("poor");
        vm.deal(poor, 100 ether);
        vm.prank(poor);
        sm.stake{value: 50 ether}();
        vm.prank(submitter);
        uint256 taskId = market.postTask{value: REWARD}(_params(deadline));
        vm.prank(poor);
        vm.expectRevert(abi.encodeWithSelector(Errors.AuditEscrowTooLow.selector, 0, POT));
        market.claim(taskId);
        vm.prank(poor);
        jackpot.fundEscrow{value: POT}(poor);
        vm.prank(poor);
        market.claim(taskId);
    }

    function test_withdrawEscrow_keepsAPotWhileBusy() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.EscrowTooLow.selector, POT - 1, POT));
        jackpot.withdrawEscrow(8 ether - POT + 1);
        uint256 before = operator.balance;
        vm.prank(operator);
        jackpot.withdrawEscrow(8 ether - POT);
        assertEq(operator.balance, before + 8 ether - POT);
        // once the market holds none of its stake, the operator may take all of it back
        vm.warp(deadline + 1);
        market.expire(taskId);
        vm.prank(operator);
        jackpot.withdrawEscrow(POT);
        assertEq(jackpot.escrowOf(operator), 0);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.EscrowTooLow.selector, 0, 1));
        jackpot.withdrawEscrow(1);
        assertEq(address(jackpot).balance, jackpot.totalEscrow());
    }

    // ---------------------------------------------------------------- reservations, seals, burns

    /// @notice Found by the Jackpot invariant suite: two claims on one pot of escrow. Each claim now
    ///         reserves its own pot, so both forced errors pay a whole pot.
    function test_eachClaimReservesAWholePot() public {
        vm.prank(operator);
        jackpot.withdrawEscrow(8 ether - 2 * POT);
        uint256 a = _claimed(STEPS, EVERY);
        uint256 b = _claimed(STEPS, EVERY);
        assertEq(jackpot.reservedOf(operator), 2 * POT);
        vm.prank(submitter);
        uint256 c = market.postTask{value: REWARD}(_params(deadline));
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.AuditEscrowTooLow.selector, 0, POT));
        market.claim(c);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.EscrowTooLow.selector, 2 * POT - 1, 2 * POT));
        jackpot.withdrawEscrow(1);
        (bytes32[] memory ha, bytes32[] memory fa, uint256 la) = _forcedResult(a, keccak256("a"));
        (bytes32[] memory hb, bytes32[] memory fb, uint256 lb) = _forcedResult(b, keccak256("b"));
        _afterSeal(b);
        _revealForced(a, keccak256("a"), ha, fa, la);
        _revealForced(b, keccak256("b"), hb, fb, lb);
        assertEq(jackpot.potOf(a).amount, POT);
        assertEq(jackpot.potOf(b).amount, POT, "the second forced error has its own whole pot");
        assertEq(jackpot.reservedOf(operator), 0);
    }

    function test_settlingWithoutAForcedErrorReleasesTheReservation() public {
        uint256 taskId = _claimed(10, 10);
        assertEq(jackpot.reservedOf(operator), POT);
        _commit(taskId, keccak256("secret"));
        _submit(taskId, Traces.committedStates(10, 10, keccak256("run")));
        _afterSeal(taskId);
        vm.prank(operator);
        market.revealDraw(taskId, keccak256("secret"));
        _finalizeAfterWindow(taskId);
        assertEq(jackpot.reservedOf(operator), 0, "finalize releases it");

        uint256 evicted = _claimed(10, 10);
        vm.warp(block.timestamp + CLAIM_TIMEOUT + 1);
        market.evictClaim(evicted);
        assertEq(jackpot.reservedOf(operator), 0, "an eviction releases it");

        vm.prank(operator);
        market.claim(evicted);
        _commit(evicted, keccak256("s2"));
        _submit(evicted, Traces.committedStates(10, 10, keccak256("run")));
        vm.warp(market.challengeEndsAt(evicted) + 1);
        market.forfeitUnrevealed(evicted);
        assertEq(jackpot.reservedOf(operator), 0, "a forfeited draw releases it");
    }

    /// @notice Found by the invariant suite: a seal copied from the mempool used to squat the
    ///         catcher's. Seals are the catcher's own now.
    function test_aCopiedSealCannotSquatTheCatchers() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        bytes32 sealHash = keccak256(abi.encode(taskId, honest[leaf], verifier, bytes32("salt")));
        vm.prank(sybil);
        jackpot.seal(sealHash); // front-runs the verifier's seal
        vm.prank(verifier);
        jackpot.seal(sealHash);
        assertTrue(jackpot.sealOf(verifier, sealHash) != 0);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.SealExists.selector, sealHash));
        jackpot.seal(sealHash);
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        _revealCatch(verifier, taskId, honest[leaf], "salt");
        assertEq(jackpot.potOf(taskId).catches, 1);
        vm.prank(sybil);
        vm.expectRevert();
        jackpot.revealCatch(taskId, honest[leaf], "salt");
    }

    function test_anUncaughtPotReturnsWholeAndBurnsNothing() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _afterSeal(taskId);
        uint256 escrow = jackpot.escrowOf(operator);
        _revealForced(taskId, secret, honest, forced, leaf);
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        _finalizeAfterWindow(taskId);
        jackpot.closePot(taskId);
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut);
        assertEq(jackpot.burned(), 0);
        assertEq(address(jackpot).balance, jackpot.totalEscrow());
    }
}
