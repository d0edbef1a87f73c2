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

/// @notice Forge's `setBlockhash` cheatcode (forge 1.x), at the same address as `Vm`.
interface VmBlockhash {
    function setBlockhash(uint256 blockNumber, bytes32 blockHash) external;
}

/// @notice Forced errors and the jackpot (docs/forced-errors.md): the draw is fixed after the
///         operator commits and fires at its set rate; results under forced errors go through a seal,
///         a reveal and a game phase; a forced error's honest root replaces the forced one; only the
///         result's committee (bonded registry members drawn from the submit block's hash) may catch
///         it, each catching member is paid POT / K if the honest root stands, and the rest returns
///         to the operator's escrow (nothing is burned).
contract ForcedErrorsTest is MarketFixture {
    VmFiles private constant files = VmFiles(address(vm));
    string private constant VECTORS = "../vectors/forced_draw.json";

    uint64 internal constant AUDIT = 6 hours;
    uint16 internal constant JACKPOT_BPS = 500;
    uint256 internal constant POT = 2 ether;
    uint256 internal constant BOND = 1 ether;
    uint256 internal constant K = 4; // committee size: each catching member is paid POT / K
    uint32 internal constant STEPS = 100;
    uint32 internal constant EVERY = 10;
    bytes32 internal constant MODEL = keccak256("model");
    bytes32 internal constant HONEST_MODEL = keccak256("honest model");

    Jackpot internal jackpot;
    address internal submitter = makeAddr("submitter");
    address internal operator = makeAddr("operator");
    address internal verifier = makeAddr("verifier");
    address internal verifier2 = makeAddr("verifier2");
    address internal sybil = makeAddr("sybil"); // the operator's own second account: it knows h_L
    uint64 internal deadline;

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(100);
        _deploy();
        jackpot = new Jackpot(address(market), POT, BOND, K);
        market.setJackpot(address(jackpot), 1_000_000, AUDIT, JACKPOT_BPS);
        deadline = uint64(block.timestamp + 10 days);
        vm.deal(submitter, 1000 ether);
        vm.deal(operator, 1000 ether);
        vm.deal(address(this), 1000 ether);
        vm.prank(operator);
        sm.stake{value: 500 ether}();
        vm.prank(operator);
        jackpot.fundEscrow{value: 8 ether}(operator);
        // two honest verifiers join the registry before any result: with fewer members than K, every
        // committee holds both
        _register(verifier);
        _register(verifier2);
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

    function _register(address account) internal {
        vm.deal(account, account.balance + BOND);
        vm.prank(account);
        jackpot.register{value: BOND}();
    }

    /// @dev A verifier draws the committee of the result just submitted, in the next block.
    function _assign(uint256 taskId) internal {
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
    }

    /// @dev A forced result whose committee was drawn (`assign`) in the block after its submission.
    function _forcedResult(uint256 taskId, bytes32 secret)
        internal
        returns (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf)
    {
        (honest, forced, leaf) = _forcedResultUnassigned(taskId, secret);
        _assign(taskId);
    }

    /// @dev A forced result: honest committed states, the draw's leaf L replaced (committee not drawn).
    function _forcedResultUnassigned(uint256 taskId, bytes32 secret)
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
        Jackpot other = new Jackpot(address(this), POT, BOND, K);
        vm.expectRevert(abi.encodeWithSelector(Errors.JackpotMarketMismatch.selector, address(this), address(market)));
        market.setJackpot(address(other), 1, AUDIT, 0);
        Jackpot mine = new Jackpot(address(market), POT, BOND, K);
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

    function test_jackpotConstructor_checksItsShareBondAndCommittee() public {
        vm.expectRevert(Errors.ZeroPot.selector);
        new Jackpot(address(market), 0, BOND, K);
        vm.expectRevert(Errors.ZeroAddress.selector);
        new Jackpot(address(0), 1, BOND, 1);
        vm.expectRevert(Errors.ZeroVerifierBond.selector);
        new Jackpot(address(market), POT, 0, K);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeSizeOutOfRange.selector, 0, 8));
        new Jackpot(address(market), POT, BOND, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeSizeOutOfRange.selector, 9, 8));
        new Jackpot(address(market), POT, BOND, 9);
        vm.expectRevert(Errors.ZeroPot.selector); // POT / K would pay nothing
        new Jackpot(address(market), 7, BOND, 8);
        Jackpot j = new Jackpot(address(market), 8, BOND, 8);
        assertEq(j.MAX_COMMITTEE_SIZE(), 8);
        assertEq(j.share(), 1);
        assertEq(j.VERIFIER_BOND(), BOND);
        assertEq(j.COMMITTEE_SIZE(), 8);
        assertEq(jackpot.share(), POT / K);
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
        // the vectors' `shares` (the decaying split) no longer describe the contract: a catching
        // committee member is paid POT / K however many caught (test_committee_* below)
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

        // no game during the seal phase (not even the committee's): a copycat learns nothing from the chain
        vm.roll(block.number + 1);
        assertTrue(jackpot.isAssigned(taskId, verifier), "two members, K = 4: both in the committee");
        vm.prank(game);
        vm.expectRevert(abi.encodeWithSelector(Errors.GamesNotOpenYet.selector, sealEnds + AUDIT + 1));
        market.onDisputeOpened(taskId, verifier);

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

        // games open now (the committee's first), and finalising waits for the game phase
        assertEq(market.committeeFirstUntil(taskId), block.timestamp + AUDIT / 2);
        vm.prank(game);
        market.onDisputeOpened(taskId, verifier);
        vm.prank(game);
        market.onDisputeWithdrawn(taskId);
        vm.expectRevert(abi.encodeWithSelector(Errors.ChallengeWindowOpen.selector, sealEnds + 2 * AUDIT));
        market.finalize(taskId);

        uint256 escrowBefore = jackpot.escrowOf(operator);
        _finalizeAfterWindow(taskId);
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(sm.creditOf(operator), REWARD - cut, "the operator is paid the reward less its escrow's share");
        assertEq(jackpot.escrowOf(operator), escrowBefore + cut, "the share goes to its own escrow");
        assertEq(address(jackpot).balance, jackpot.totalEscrow() + jackpot.totalBonded());
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

    function test_forced_oneCatcherIsPaidItsShareAndTheRestReturns() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _seal(verifier, taskId, honest[leaf], "salt");
        _afterSeal(taskId);
        _seal(verifier2, taskId, honest[leaf], "late"); // a copycat sealing after the phase
        _revealForced(taskId, secret, honest, forced, leaf);
        uint256 potAmount = jackpot.potOf(taskId).amount;
        assertEq(potAmount, POT);
        uint256 escrow = jackpot.escrowOf(operator);

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
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId)); // still Submitted
        jackpot.claimJackpot(taskId);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId));
        jackpot.closePot(taskId);

        _finalizeAfterWindow(taskId);
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), POT / K, "one catcher is paid POT / K, not the whole pot");
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut + POT - POT / K, "the rest returns to the escrow");
        assertTrue(jackpot.potOf(taskId).closed, "the first claim closes the pot");
        assertEq(jackpot.potOf(taskId).amount, 0);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, verifier));
        jackpot.claimJackpot(taskId);
        vm.prank(verifier2); // in the committee, but caught nothing
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, verifier2));
        jackpot.claimJackpot(taskId);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotAlreadyClosed.selector, taskId));
        jackpot.closePot(taskId);
        uint256 before = verifier.balance;
        vm.prank(verifier);
        jackpot.withdraw();
        assertEq(verifier.balance, before + POT / K);
        assertEq(
            address(jackpot).balance,
            jackpot.totalEscrow() + jackpot.totalBonded(),
            "every wei is in an escrow, a bond or paid"
        );
    }

    /// @notice A reveal naming another state than the honest leaf is recorded as a miss (not refused):
    ///         it is paid nothing if the honest root stands; without a seal nothing is revealed at all.
    function test_forced_wrongStateIsAMiss_noSealCatchesNothing() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _seal(verifier, taskId, keccak256("a guess"), "salt");
        _seal(verifier, taskId, honest[leaf], "hedge"); // a second seal, to hedge
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        _revealCatch(verifier, taskId, keccak256("a guess"), "salt");
        assertEq(jackpot.catchOf(taskId, verifier), 3, "missed");
        assertEq(jackpot.potOf(taskId).catches, 0);
        assertEq(jackpot.potOf(taskId).misses, 1);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.AlreadyCaught.selector, taskId, verifier));
        jackpot.revealCatch(taskId, honest[leaf], "hedge"); // one reveal per member and round
        // copying someone's reveal from another account finds no seal
        _seal(verifier2, taskId, honest[leaf], "salt2");
        vm.prank(sybil);
        vm.expectPartialRevert(Errors.SealNotFound.selector);
        jackpot.revealCatch(taskId, honest[leaf], "salt2");
        vm.prank(verifier); // a committee member copying it finds no seal either
        vm.expectPartialRevert(Errors.SealNotFound.selector);
        jackpot.revealCatch(taskId, honest[leaf], "salt2");
        // the honest root stands: the miss is paid nothing, and its seat returns to the escrow
        uint256 escrow = jackpot.escrowOf(operator);
        _finalizeAfterWindow(taskId);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, verifier));
        jackpot.claimJackpot(taskId);
        jackpot.closePot(taskId);
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut + POT, "the whole pot returns");
    }

    /// @notice The operator's own second account knows h_L from the start and seals it in time, but it
    ///         is no registry member: it cannot catch (and so cannot shrink anyone's share). The honest
    ///         member is paid POT / K; the rest returns to the escrow.
    function test_forced_theOperatorsNonMemberAccountCannotCatch() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _seal(sybil, taskId, honest[leaf], "s"); // a valid seal, in the seal phase
        _seal(verifier, taskId, honest[leaf], "v");
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        uint256 escrow = jackpot.escrowOf(operator);
        assertFalse(jackpot.isAssigned(taskId, sybil));
        vm.prank(sybil);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, taskId, sybil));
        jackpot.revealCatch(taskId, honest[leaf], "s");
        _revealCatch(verifier, taskId, honest[leaf], "v");
        assertEq(jackpot.potOf(taskId).catches, 1);
        _finalizeAfterWindow(taskId);
        vm.prank(sybil);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, sybil));
        jackpot.claimJackpot(taskId);
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), POT / K);
        assertEq(jackpot.credits(sybil), 0);
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut + POT - POT / K, "the rest returns to the escrow");
    }

    /// @notice Two committee members catch: each is paid POT / K (not a split of the pot), and
    ///         POT - 2 POT / K returns to the escrow at the close. One of them is the operator's own
    ///         bonded member: it wins back only POT / K of the operator's own money and takes nothing
    ///         from the honest member.
    function test_forced_twoMembersCatch_eachPaidAShare_restReturned() public {
        _register(sybil); // the operator bonds a member of its own (before its result)
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        assertTrue(jackpot.isAssigned(taskId, sybil), "3 members < K: all are drawn");
        assertTrue(jackpot.isAssigned(taskId, verifier));
        _seal(sybil, taskId, honest[leaf], "s");
        _seal(verifier, taskId, honest[leaf], "v");
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        uint256 escrow = jackpot.escrowOf(operator);
        _revealCatch(sybil, taskId, honest[leaf], "s");
        _revealCatch(verifier, taskId, honest[leaf], "v");
        assertEq(jackpot.potOf(taskId).catches, 2);
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        _finalizeAfterWindow(taskId);
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), POT / K, "the honest member's share does not shrink");
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut + POT - 2 * (POT / K), "the rest returns to the escrow");
        assertEq(jackpot.potOf(taskId).amount, POT / K, "the other catcher's share stays reserved");
        vm.prank(sybil);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(sybil), POT / K);
        assertEq(jackpot.potOf(taskId).amount, 0);
        assertEq(jackpot.potOf(taskId).claims, 2);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotAlreadyClosed.selector, taskId));
        jackpot.closePot(taskId);
        assertEq(
            address(jackpot).balance,
            jackpot.totalEscrow() + jackpot.credits(verifier) + jackpot.credits(sybil) + jackpot.totalBonded()
        );
    }

    /// @notice A bogus "honest" leaf that loses its game: the result is voided, and a voided result
    ///         pays every revealed catch. The cheater's own member (which sealed the bogus value, a
    ///         catch) wins back POT / K of the cheater's own escrow; the honest member (which sealed the
    ///         true h_L, a miss against the bogus leaf) is paid POT / K too; the other seats return.
    function test_forced_bogusHonestLeafThatLoses_paysEveryRevealedCatch() public {
        _register(sybil); // the cheater bonds a member of its own, so its catch counts
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        bytes32 bogus = keccak256("bogus");
        bytes32 trueLeaf = honest[leaf];
        assertTrue(jackpot.isAssigned(taskId, sybil), "the cheater's own member was drawn");
        assertTrue(jackpot.isAssigned(taskId, verifier));
        _seal(sybil, taskId, bogus, "s"); // a cheater's own account seals the value it will "reveal"
        _seal(verifier, taskId, trueLeaf, "v"); // the honest member seals the true h_L
        _afterSeal(taskId);
        honest[leaf] = bogus;
        _revealForced(taskId, secret, honest, forced, leaf);
        _revealCatch(sybil, taskId, bogus, "s");
        _revealCatch(verifier, taskId, trueLeaf, "v");
        assertEq(jackpot.catchOf(taskId, sybil), 1, "names the revealed leaf");
        assertEq(jackpot.catchOf(taskId, verifier), 3, "the true h_L misses the bogus leaf");
        uint256 potAmount = jackpot.potOf(taskId).amount;
        uint256 escrow = jackpot.escrowOf(operator);
        // an honest verifier (a committee member: it goes first) disproves the "honest" root
        vm.prank(game);
        market.onDisputeOpened(taskId, verifier);
        vm.warp(uint256(jackpot.potOf(taskId).catchEndsAt) + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId));
        jackpot.closePot(taskId);
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId));
        jackpot.claimJackpot(taskId);
        vm.prank(game);
        market.onDisputeResolved(taskId, false, true);
        jackpot.closePot(taskId);
        assertEq(potAmount, POT);
        assertEq(jackpot.escrowOf(operator), escrow + POT - 2 * (POT / K), "the seats with no revealed catch return");
        assertEq(jackpot.potOf(taskId).amount, 2 * (POT / K));
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        vm.prank(sybil);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), POT / K, "the honest member is paid");
        assertEq(jackpot.credits(sybil), POT / K, "the cheater's member wins back only its own money");
        assertEq(jackpot.potOf(taskId).amount, 0);
        vm.prank(sybil);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, sybil));
        jackpot.claimJackpot(taskId);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotAlreadyClosed.selector, taskId));
        jackpot.closePot(taskId);
    }

    function test_forced_aVoidedTaskForcedAgainOpensANewRound() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, keccak256("a"));
        _afterSeal(taskId);
        _revealForced(taskId, keccak256("a"), honest, forced, leaf);
        vm.prank(game);
        market.onDisputeOpened(taskId, verifier); // a committee member opens it
        vm.prank(game);
        market.onDisputeResolved(taskId, false, true); // voided, reopened, the pot left open
        assertEq(uint8(market.taskStatus(taskId)), uint8(TaskStatus.Open));
        uint256 heldBefore = jackpot.escrowOf(operator) + jackpot.potOf(taskId).amount;
        vm.prank(operator);
        market.claim(taskId);
        uint64 firstBlock = jackpot.potOf(taskId).committeeBlock;
        (honest, forced, leaf) = _forcedResult(taskId, keccak256("b"));
        uint64 secondBlock = jackpot.committeeDrawOf(taskId).submitBlock;
        assertTrue(secondBlock > firstBlock, "the new result fixes a new committee draw");
        _afterSeal(taskId);
        _revealForced(taskId, keccak256("b"), honest, forced, leaf);
        Jackpot.Pot memory pot = jackpot.potOf(taskId);
        assertEq(pot.round, 2);
        assertEq(pot.committeeBlock, secondBlock, "round 2 has the second result's committee");
        assertEq(pot.committeeSeed, blockhash(secondBlock));
        assertEq(jackpot.escrowOf(operator) + pot.amount, heldBefore, "the old pot went back to the escrow first");
        assertEq(jackpot.owedToCatchers(), 0, "it had no revealed catch to owe");
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
        assertEq(address(jackpot).balance, jackpot.totalEscrow() + jackpot.totalBonded());
    }

    // ---------------------------------------------------------------- reservations, seals, closes

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
        _register(sybil); // even a member (one that joined after the result) cannot reveal it
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
        assertEq(jackpot.potOf(taskId).amount, 0);
        assertEq(address(jackpot).balance, jackpot.totalEscrow() + jackpot.totalBonded());
    }

    // ---------------------------------------------------------------- committees

    /// @dev Registers `n` more members named `prefix`0.. and returns them.
    function _registerMany(string memory prefix, uint256 n) internal returns (address[] memory accounts) {
        accounts = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            accounts[i] = makeAddr(string.concat(prefix, vm.toString(i)));
            _register(accounts[i]);
        }
    }

    function _contains(address[] memory list, address a) internal pure returns (bool) {
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == a) return true;
        }
        return false;
    }

    function test_committee_fixedBySubmitResult_drawnByAssign() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        _commit(taskId, keccak256("secret"));
        assertEq(jackpot.committeeDrawOf(taskId).submitBlock, 0, "nothing fixed before the result");
        _submit(taskId, Traces.committedStates(STEPS, EVERY, keccak256("run")));
        Jackpot.CommitteeDraw memory d = jackpot.committeeDrawOf(taskId);
        assertEq(d.submitBlock, block.number, "the submit block");
        assertEq(d.epoch, jackpot.registryEpoch(), "the registry's epoch at submission");
        assertEq(d.epoch, 2, "two joins");
        assertEq(d.members, 2, "the live members at submission");
        assertEq(d.seed, bytes32(0));
        assertEq(jackpot.committeeOf(taskId).length, 0, "no committee while the submit block is the latest");
        assertFalse(jackpot.isAssigned(taskId, verifier));
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        d = jackpot.committeeDrawOf(taskId);
        assertEq(d.seed, blockhash(d.submitBlock), "the seed is the submit block's hash");
        address[] memory c = jackpot.committeeOf(taskId);
        assertEq(c.length, 2, "fewer members than K: all of them");
        assertTrue(_contains(c, verifier) && _contains(c, verifier2));
        assertTrue(jackpot.isAssigned(taskId, verifier) && jackpot.isAssigned(taskId, verifier2));
        assertFalse(jackpot.isAssigned(taskId, operator));
    }

    function test_committee_onSubmittedIsTheMarketsOnly() public {
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotMarket.selector, operator));
        jackpot.onSubmitted(1);
    }

    function test_assign_errors() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        vm.expectRevert(abi.encodeWithSelector(Errors.NoCommitteeDraw.selector, taskId));
        jackpot.assign(taskId);
        _commit(taskId, keccak256("secret"));
        _submit(taskId, Traces.committedStates(STEPS, EVERY, keccak256("run")));
        uint256 submitBlock = block.number;
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeNotReady.selector, submitBlock, submitBlock));
        jackpot.assign(taskId); // the submit block's hash is not known in that block
        vm.roll(submitBlock + 257);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeExpired.selector, submitBlock));
        jackpot.assign(taskId); // the EVM serves only the last 256 hashes
        assertEq(jackpot.committeeOf(taskId).length, 0, "too late: no committee");
        vm.roll(submitBlock + 256);
        jackpot.assign(taskId); // the last block it can be drawn in
        assertEq(jackpot.committeeDrawOf(taskId).seed, blockhash(submitBlock));
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeAlreadyDrawn.selector, taskId));
        jackpot.assign(taskId);
        vm.roll(submitBlock + 1000);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeAlreadyDrawn.selector, taskId));
        jackpot.assign(taskId);
        assertEq(jackpot.committeeOf(taskId).length, 2, "a stored seed keeps the committee for ever");
    }

    /// @notice The committee is the draw from the submit block's hash: another hash, another
    ///         committee; once `assign` stored it, the hash no longer matters.
    function test_committee_dependsOnTheSubmitBlocksHash() public {
        _registerMany("m", 14); // 16 members, K = 4
        uint256 taskId = _claimed(STEPS, EVERY);
        _commit(taskId, keccak256("secret"));
        _submit(taskId, Traces.committedStates(STEPS, EVERY, keccak256("run")));
        uint64 submitBlock = uint64(block.number);
        uint64 epoch = jackpot.committeeDrawOf(taskId).epoch;
        vm.roll(submitBlock + 1);
        VmBlockhash(address(vm)).setBlockhash(submitBlock, keccak256("hash one"));
        address[] memory one = jackpot.committeeOf(taskId);
        assertEq(
            keccak256(abi.encode(one)),
            keccak256(abi.encode(jackpot.drawCommittee(taskId, keccak256("hash one"), epoch, 16)))
        );
        VmBlockhash(address(vm)).setBlockhash(submitBlock, keccak256("hash two"));
        address[] memory two = jackpot.committeeOf(taskId);
        assertEq(one.length, K);
        assertEq(two.length, K);
        assertTrue(keccak256(abi.encode(one)) != keccak256(abi.encode(two)), "another hash, another committee");
        jackpot.assign(taskId);
        assertEq(jackpot.committeeDrawOf(taskId).seed, keccak256("hash two"));
        VmBlockhash(address(vm)).setBlockhash(submitBlock, keccak256("hash one"));
        assertEq(keccak256(abi.encode(jackpot.committeeOf(taskId))), keccak256(abi.encode(two)), "stored: fixed");
    }

    /// @notice With more members than K, a member the draw left out cannot catch even with a valid,
    ///         timely seal of the right state; a drawn one can.
    function test_committee_aMemberNotDrawnCannotCatch() public {
        address[] memory extra = _registerMany("m", 10); // 12 members, K = 4
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        address[] memory c = jackpot.committeeOf(taskId);
        assertEq(c.length, K, "K distinct members out of 12");
        address left;
        for (uint256 i = 0; i < extra.length && left == address(0); i++) {
            if (!_contains(c, extra[i])) left = extra[i];
        }
        assertTrue(left != address(0));
        assertFalse(jackpot.isAssigned(taskId, left));
        _seal(left, taskId, honest[leaf], "l");
        _seal(c[0], taskId, honest[leaf], "c");
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        vm.prank(left);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, taskId, left));
        jackpot.revealCatch(taskId, honest[leaf], "l");
        _revealCatch(c[0], taskId, honest[leaf], "c");
        assertEq(jackpot.potOf(taskId).catches, 1);
    }

    /// @notice Members that join after the result's block (or in it, after the result) are not
    ///         drawn; one that joined in the same block before the result is.
    function test_committee_membersJoiningAfterTheSubmitAreNeverDrawn() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        _commit(taskId, secret);
        address early = makeAddr("early");
        _register(early); // same block, before the result
        (bool isForced, uint256 leaf) =
            market.forcedDraw(secret, blockhash(market.drawOf(taskId).committedBlock), taskId, STEPS, EVERY, 1_000_000);
        assertTrue(isForced);
        bytes32[] memory honest = Traces.committedStates(STEPS, EVERY, keccak256("run"));
        bytes32[] memory forced = Traces.committedStates(STEPS, EVERY, keccak256("run"));
        forced[leaf] = keccak256("forced h_L");
        _submit(taskId, forced);
        address late = makeAddr("late");
        _register(late); // same block, after the result
        vm.roll(block.number + 1);
        address later = makeAddr("later");
        _register(later);
        jackpot.assign(taskId);
        Jackpot.CommitteeDraw memory draw = jackpot.committeeDrawOf(taskId);
        assertEq(draw.members, 3);
        assertEq(draw.epoch, 3, "three joins before the result");
        assertEq(jackpot.registryEpoch(), 5);
        address[] memory c = jackpot.committeeOf(taskId);
        assertEq(c.length, 3, "the three members at submission, all of them");
        assertTrue(_contains(c, early));
        assertFalse(_contains(c, late) || _contains(c, later), "joined after the result: never drawn");
        // not for any seed either: their slots are past the count, and held only after the epoch
        for (uint256 i = 0; i < 64; i++) {
            address[] memory d = jackpot.drawCommittee(taskId, keccak256(abi.encode(i)), draw.epoch, 3);
            assertFalse(_contains(d, late) || _contains(d, later));
        }
        assertEq(jackpot.occupantAt(3, draw.epoch), address(0), "late's slot was nobody's then");
        _seal(late, taskId, honest[leaf], "l");
        _seal(early, taskId, honest[leaf], "e");
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, taskId, late));
        jackpot.revealCatch(taskId, honest[leaf], "l");
        _revealCatch(early, taskId, honest[leaf], "e");
    }

    /// @notice A member that exited before the result is not drawn (nor when it re-registers after
    ///         it: a slot held only from a later epoch); one that exits after it keeps its seat (though
    ///         the exit moves another member into its slot), catches and is paid.
    function test_committee_exitedBeforeTheSubmitNeverDrawn_exitAfterKeepsTheSeat() public {
        vm.prank(verifier2);
        jackpot.exit();
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        _register(verifier2); // back before the result's block...
        vm.roll(block.number + 1);
        vm.prank(verifier2);
        jackpot.exit(); // ...and out again before it
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, secret);
        _register(verifier2); // re-registered after the result: slot 1
        address[] memory c = jackpot.committeeOf(taskId);
        assertEq(c.length, 1, "only the live member");
        assertEq(c[0], verifier);
        Jackpot.CommitteeDraw memory d = jackpot.committeeDrawOf(taskId);
        assertEq(d.members, 1, "one live member at submission: exits leave no dead slots");
        assertEq(d.epoch, 5, "two joins, two exits, a rejoin");
        for (uint256 i = 0; i < 64; i++) {
            address[] memory x = jackpot.drawCommittee(taskId, keccak256(abi.encode(i)), d.epoch, d.members);
            assertFalse(_contains(x, verifier2), "exited before the result: never drawn");
        }
        _seal(verifier2, taskId, honest[leaf], "v2");
        _seal(verifier, taskId, honest[leaf], "v");
        vm.prank(verifier);
        jackpot.exit(); // after the result's block: keeps its seat, and verifier2 moves into slot 0
        assertEq(jackpot.memberIndexOf(verifier2), 1, "moved into the freed slot");
        assertEq(jackpot.occupantAt(0, d.epoch), verifier, "slot 0 as of the result's epoch");
        assertTrue(jackpot.isAssigned(taskId, verifier));
        assertFalse(jackpot.isAssigned(taskId, verifier2));
        _afterSeal(taskId);
        _revealForced(taskId, secret, honest, forced, leaf);
        vm.prank(verifier2);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, taskId, verifier2));
        jackpot.revealCatch(taskId, honest[leaf], "v2");
        _revealCatch(verifier, taskId, honest[leaf], "v");
        _finalizeAfterWindow(taskId);
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), BOND + POT / K, "its bond and its share");
    }

    /// @notice Nobody called `assign`: the pot draws the seed itself while the hash is available.
    function test_committee_openPotDrawsTheSeedIfNobodyAssigned() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResultUnassigned(taskId, secret);
        uint64 submitBlock = uint64(block.number);
        _seal(verifier, taskId, honest[leaf], "v");
        vm.roll(block.number + 10);
        _afterSeal(taskId);
        assertEq(jackpot.committeeDrawOf(taskId).seed, bytes32(0));
        _revealForced(taskId, secret, honest, forced, leaf);
        Jackpot.Pot memory pot = jackpot.potOf(taskId);
        assertEq(pot.committeeSeed, blockhash(submitBlock), "the pot drew the seed");
        assertEq(pot.committeeBlock, submitBlock);
        assertEq(pot.committeeEpoch, 2);
        assertEq(pot.committeeMembers, 2);
        assertEq(jackpot.committeeDrawOf(taskId).seed, blockhash(submitBlock), "and stored it");
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeAlreadyDrawn.selector, taskId));
        jackpot.assign(taskId);
        _revealCatch(verifier, taskId, honest[leaf], "v");
        _finalizeAfterWindow(taskId);
        vm.prank(verifier);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(verifier), POT / K);
    }

    /// @notice Nobody drew the committee within 256 blocks: the result has none, nobody can catch its
    ///         forced error, and the whole pot returns to the escrow.
    function test_committee_undrawnInTimeMeansNoCommittee_potReturnsWhole() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        bytes32 secret = keccak256("secret");
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResultUnassigned(taskId, secret);
        _seal(verifier, taskId, honest[leaf], "v");
        vm.roll(block.number + 257);
        _afterSeal(taskId);
        uint256 escrow = jackpot.escrowOf(operator);
        _revealForced(taskId, secret, honest, forced, leaf);
        assertEq(jackpot.potOf(taskId).committeeSeed, bytes32(0), "no committee");
        vm.prank(verifier);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, taskId, verifier));
        jackpot.revealCatch(taskId, honest[leaf], "v");
        _finalizeAfterWindow(taskId);
        jackpot.closePot(taskId);
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut, "the whole pot returned");
    }

    /// @notice A close before the claims returns what the committee did not catch and keeps the caught
    ///         shares for their claims (each POT / K).
    function test_committee_closeBeforeClaimsKeepsTheCaughtShares() public {
        uint256 taskId = _claimed(STEPS, EVERY);
        (bytes32[] memory honest, bytes32[] memory forced, uint256 leaf) = _forcedResult(taskId, keccak256("s"));
        address[] memory more = new address[](2);
        more[0] = verifier;
        more[1] = verifier2;
        assertEq(jackpot.committeeOf(taskId).length, 2);
        for (uint256 i = 0; i < 2; i++) {
            _seal(more[i], taskId, honest[leaf], "x");
        }
        _afterSeal(taskId);
        _revealForced(taskId, keccak256("s"), honest, forced, leaf);
        uint256 escrow = jackpot.escrowOf(operator);
        for (uint256 i = 0; i < 2; i++) {
            _revealCatch(more[i], taskId, honest[leaf], "x");
        }
        _finalizeAfterWindow(taskId);
        jackpot.closePot(taskId); // a close before the claims reserves the caught shares
        uint256 cut = REWARD * JACKPOT_BPS / 10_000;
        assertEq(jackpot.escrowOf(operator), escrow + cut + POT - 2 * (POT / K));
        assertEq(jackpot.potOf(taskId).amount, 2 * (POT / K));
        for (uint256 i = 0; i < 2; i++) {
            vm.prank(more[i]);
            jackpot.claimJackpot(taskId);
            assertEq(jackpot.credits(more[i]), POT / K);
        }
        assertEq(jackpot.potOf(taskId).amount, 0);
    }
}
