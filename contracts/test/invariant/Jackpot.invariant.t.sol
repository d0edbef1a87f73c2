// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {Jackpot} from "../../src/Jackpot.sol";
import {JackpotHandler} from "./JackpotHandler.sol";

/// @notice Invariants of the Jackpot (docs/forced-errors.md) under random escrow funding, deposits and
///         escrow withdrawals, claims' reservations and their releases, seals (squatted ones among
///         them), pots (second rounds on voided tasks among them), catches, claims, closes and
///         withdrawals; the handler is the jackpot's market and keeps the fake tasks its `getTask`
///         reads. The handler catches the reverts it
///         expects (and flags those its model did not predict), so any other revert fails the
///         campaign. Runs are 256 calls deep (16 runs each, the same 4096 calls as the default
///         64 x 64): long enough for results to be posted, sealed, forced, caught, finalised or
///         voided, forced again, claimed and withdrawn.
contract JackpotInvariantTest is Test {
    uint256 internal constant POT = 1 ether;

    JackpotHandler internal handler;
    Jackpot internal jackpot;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new JackpotHandler(POT);
        jackpot = handler.jackpot();
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](25);
        selectors[0] = JackpotHandler.fundEscrow.selector;
        selectors[1] = JackpotHandler.deposit.selector;
        selectors[2] = JackpotHandler.withdrawEscrow.selector;
        selectors[3] = JackpotHandler.voidTask.selector; // voided results: pots that pay nobody, round 2
        selectors[4] = JackpotHandler.postResult.selector;
        selectors[5] = JackpotHandler.postResult.selector; // an operator often has two results live
        selectors[6] = JackpotHandler.sealCatch.selector;
        selectors[7] = JackpotHandler.sealCatch.selector; // several catchers per result
        selectors[8] = JackpotHandler.sealCatch.selector;
        selectors[9] = JackpotHandler.openPot.selector;
        selectors[10] = JackpotHandler.openPot.selector;
        selectors[11] = JackpotHandler.revealCatch.selector;
        selectors[12] = JackpotHandler.revealCatch.selector; // every sealed catch gets revealed
        selectors[13] = JackpotHandler.revealCatch.selector;
        selectors[14] = JackpotHandler.finalizeTask.selector;
        selectors[15] = JackpotHandler.finalizeTask.selector;
        selectors[16] = JackpotHandler.voidTask.selector;
        selectors[17] = JackpotHandler.warp.selector;
        selectors[18] = JackpotHandler.warp.selector; // seal phases and catch windows end
        selectors[19] = JackpotHandler.warp.selector;
        selectors[20] = JackpotHandler.claimJackpot.selector;
        selectors[21] = JackpotHandler.claimJackpot.selector; // every catcher of a pot gets to claim
        selectors[22] = JackpotHandler.closePot.selector;
        selectors[23] = JackpotHandler.withdraw.selector;
        selectors[24] = JackpotHandler.impostor.selector;
        targetSelector(address(handler), selectors);
    }

    /// @notice (1) Every wei the jackpot holds is in an escrow, in a pot, in a credit or burned; the
    ///         escrows sum to `totalEscrow` and each is what the model computes (funded + deposited -
    ///         withdrawn - moved into pots + returned by closes).
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_everyWeiIsAccounted() public view {
        uint256 held = jackpot.totalEscrow();
        for (uint256 taskId = 1; taskId <= handler.taskCount(); taskId++) {
            held += jackpot.potOf(taskId).amount;
        }
        uint256 escrows;
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            address a = handler.actors(i);
            held += jackpot.credits(a);
            escrows += jackpot.escrowOf(a);
            assertEq(jackpot.escrowOf(a), handler.ghostEscrow(a), "escrow == the model's");
        }
        assertEq(escrows, jackpot.totalEscrow(), "escrows sum to totalEscrow");
        held += jackpot.burned();
        assertEq(address(jackpot).balance, held, "balance == escrows + pots + credits + burned");
    }

    /// @notice (2) No wei is created or lost: what came in (escrow funding, deposits) is held or was
    ///         withdrawn (credits, escrows).
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_noWeiCreatedOrLost() public view {
        assertEq(handler.ghostWeiIn(), handler.ghostWeiOut() + address(jackpot).balance, "in == out + balance");
    }

    /// @notice (3) A pot whose honest root did not stand pays nobody: credits (and what was withdrawn)
    ///         come only from claims of pots whose task was finalised with the pot's root.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_unstoodPotsPayNobody() public view {
        assertFalse(handler.ghostPaidUnstood(), "a pot whose root did not stand paid");
        uint256 paid;
        for (uint256 i = 0; i < handler.potCount(); i++) {
            JackpotHandler.PotGhost memory p = handler.potGhost(i);
            if (p.paid != 0 || p.paysOut) assertTrue(handler.stands(i), "a paying pot's root stands");
            paid += p.paid;
        }
        uint256 credits;
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            credits += jackpot.credits(handler.actors(i));
        }
        assertEq(credits + handler.ghostCreditsOut(), paid, "credits + withdrawn credits == paid by standing pots");
    }

    /// @notice (4) Each pot pays each of its k catchers opening / (k * 2^(k-1)) and no more than it
    ///         opened with (k times that once all have claimed); the jackpot's pot record agrees.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_potsPayTheDecayingSplit() public view {
        for (uint256 i = 0; i < handler.potCount(); i++) {
            JackpotHandler.PotGhost memory p = handler.potGhost(i);
            uint256 share = handler.expectedShare(p.opening, p.catches);
            assertLe(p.paid, p.opening, "paid <= opening amount");
            assertLe(p.claims, p.catches, "claims <= catches");
            assertEq(p.paid, p.claims * share, "paid == claims * share");
            if (p.claims == p.catches) assertEq(p.paid, uint256(p.catches) * share, "all claimed: paid == k * share");
            if (handler.latestPot(p.taskId) != i + 1) {
                assertTrue(p.closed && p.paid == 0, "a pot replaced by a later round was closed unpaid");
                continue;
            }
            Jackpot.Pot memory j = jackpot.potOf(p.taskId);
            assertEq(j.round, p.round, "round");
            assertEq(j.catches, p.catches, "catches");
            assertEq(j.claims, p.claims, "claims");
            assertEq(j.closed, p.closed);
            uint256 held = !p.closed ? p.opening : p.paysOut ? (p.catches - p.claims) * share : 0;
            assertEq(j.amount, held, "pot amount == opening, or the unclaimed shares once closed");
        }
    }

    /// @notice (5) Each operator's reservations are POT per result it claimed that has neither settled
    ///         nor opened a pot, never more than its escrow (so every forced error's pot is whole), and
    ///         every pot opened with exactly POT.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_reservationsKeepWholePots() public view {
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            address a = handler.actors(i);
            uint256 reserved = jackpot.reservedOf(a);
            assertLe(reserved, jackpot.escrowOf(a), "reservedOf <= escrowOf");
            assertEq(reserved, handler.ghostReserved(a), "reservedOf == the model's");
            assertEq(reserved, POT * handler.reservingTasks(a), "reservedOf == POT x results claimed without a pot");
            assertTrue(
                jackpot.canPay(a) == (jackpot.escrowOf(a) >= reserved + POT), "canPay == escrow covers one more pot"
            );
        }
        for (uint256 i = 0; i < handler.potCount(); i++) {
            assertEq(handler.potGhost(i).opening, POT, "every pot opened with POT");
        }
    }

    /// @notice (6) What the jackpot burned is the unpaid rest of each closed pot whose honest root stood
    ///         and which k >= 1 verifiers caught: opening - k * share; nothing else burns.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_burnedIsTheCaughtRest() public view {
        uint256 burned;
        for (uint256 i = 0; i < handler.potCount(); i++) {
            JackpotHandler.PotGhost memory p = handler.potGhost(i);
            uint256 rest;
            if (p.closed && p.paysOut && p.catches != 0) {
                assertTrue(handler.stands(i), "a burning pot's root stands");
                rest = p.opening - uint256(p.catches) * handler.expectedShare(p.opening, p.catches);
            }
            assertEq(p.burned, rest, "a pot burned its caught rest, or nothing");
            burned += rest;
        }
        assertEq(jackpot.burned(), burned, "burned == sum of the caught, standing pots' rests");
        assertEq(jackpot.burned(), handler.ghostBurned(), "burned == the model's");
    }

    /// @notice (7) Every call succeeded or reverted as the handler's model of the jackpot predicted,
    ///         and moved what it predicted.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_modelAgrees() public view {
        assertFalse(handler.ghostMismatch(), handler.ghostMismatchWhy());
    }
}
