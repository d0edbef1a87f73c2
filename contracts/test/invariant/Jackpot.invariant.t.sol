// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "../utils/Test.sol";
import {Jackpot} from "../../src/Jackpot.sol";
import {JackpotHandler} from "./JackpotHandler.sol";

/// @notice Invariants of the Jackpot (docs/forced-errors.md) under random escrow funding, deposits and
///         escrow withdrawals, claims' reservations and their releases, registrations and exits of
///         bonded verifiers, committee draws (by `assign` or by the pot; too early, twice or expired),
///         seals (squatted ones among them), pots (second rounds on voided tasks among them), catches
///         and misses (by committee members only; operators' own accounts among the actors), claims
///         (of the latest round, and of earlier rounds owed after a re-force), closes and withdrawals; the handler is the jackpot's market and keeps the fake tasks its `getTask`
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
        vm.roll(1000);
        handler = new JackpotHandler(POT);
        jackpot = handler.jackpot();
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](32);
        selectors[0] = JackpotHandler.fundEscrow.selector;
        selectors[1] = JackpotHandler.deposit.selector;
        selectors[2] = JackpotHandler.withdrawEscrow.selector;
        selectors[3] = JackpotHandler.voidTask.selector; // voided results: pots that pay every revealed catch, round 2
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
        selectors[25] = JackpotHandler.register.selector; // members join (and rejoin), uncapped
        selectors[26] = JackpotHandler.register.selector;
        selectors[27] = JackpotHandler.exit.selector;
        selectors[28] = JackpotHandler.assign.selector; // most results' committees get drawn
        selectors[29] = JackpotHandler.assign.selector;
        selectors[30] = JackpotHandler.claimEarlierCatch.selector; // catches of rounds a re-force replaced
        selectors[31] = JackpotHandler.voidTask.selector; // voided results: every revealed catch paid
        targetSelector(address(handler), selectors);
    }

    /// @notice (1) Every wei the jackpot holds is in an escrow, in a pot, in a credit, owed to an
    ///         earlier round's catches or in a bond; the escrows sum to `totalEscrow` and each is what
    ///         the model computes (funded + deposited - withdrawn - moved into pots + returned by closes).
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
        assertEq(jackpot.owedToCatchers(), handler.ghostOwed(), "owedToCatchers == the model's");
        held += jackpot.owedToCatchers() + jackpot.totalBonded();
        assertEq(address(jackpot).balance, held, "balance == escrows + pots + credits + owed + totalBonded");
    }

    /// @notice (2) No wei is created or lost: what came in (escrow funding, deposits, bonds) is held or
    ///         was withdrawn (credits, escrows).
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_noWeiCreatedOrLost() public view {
        assertEq(handler.ghostWeiIn(), handler.ghostWeiOut() + address(jackpot).balance, "in == out + balance");
    }

    /// @notice (3) Claims pay what the settlement owes: nothing before the result settles, catches only
    ///         if the honest root stood, every revealed catch if it was voided; credits (and what was
    ///         withdrawn) come only from those claims and from the bonds of members that exited.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_claimsPayWhatTheSettlementOwes() public view {
        assertFalse(handler.ghostPaidWrongly(), "a miss was paid on a standing root, or a claim before settling");
        uint256 paid;
        for (uint256 i = 0; i < handler.potCount(); i++) {
            JackpotHandler.PotGhost memory p = handler.potGhost(i);
            if (p.closed && p.outcome == 1) assertTrue(handler.stands(i), "a pot closed as stood: its root stands");
            if (p.closed && p.outcome == 2) assertEq(handler.settlement(i), 2, "a pot closed as voided: voided");
            if (p.paid != 0) assertTrue(p.closed, "a pot that paid was closed");
            if (p.closed) assertLe(p.claims, handler.payableCatches(i, p.outcome), "claims <= payable catches");
            paid += p.paid;
        }
        uint256 credits;
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            credits += jackpot.credits(handler.actors(i));
        }
        assertEq(
            credits + handler.ghostCreditsOut(),
            paid + handler.ghostBondsReturned(),
            "credits + withdrawn credits == paid by pots + bonds returned"
        );
    }

    /// @notice (4) Each pot pays each of its payable catches POT / K (at most K revealed, all of them by
    ///         the pot's committee), never more than it opened with; a pot replaced by a later round
    ///         was voided and owes its unclaimed revealed catches from `owedToCatchers`; the jackpot's
    ///         record of each latest pot agrees.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_potsPayFixedShares() public view {
        uint256 share = handler.expectedShare();
        assertEq(share, POT / handler.committeeSize(), "share == POT / K");
        assertEq(jackpot.share(), share);
        assertFalse(handler.ghostCaughtOutsideCommittee(), "a catch counted outside its committee");
        uint256 owed;
        for (uint256 i = 0; i < handler.potCount(); i++) {
            JackpotHandler.PotGhost memory p = handler.potGhost(i);
            uint256 revealed = uint256(p.catches) + p.misses;
            assertLe(revealed, handler.committeeSize(), "catches + misses <= K");
            assertLe(p.paid, p.opening, "paid <= opening amount");
            assertLe(p.claims, revealed, "claims <= revealed catches");
            assertEq(p.paid, p.claims * share, "paid == claims * POT / K");
            if (p.committeeSeed == bytes32(0)) assertEq(revealed, 0, "no committee: no catches");
            if (handler.latestPot(p.taskId) != i + 1) {
                assertTrue(p.closed && p.outcome == 2, "a pot replaced by a later round was closed as voided");
                owed += (revealed - p.claims) * share;
                continue;
            }
            assertEq(p.owed, 0, "the latest round owes nothing to owedToCatchers");
            Jackpot.Pot memory j = jackpot.potOf(p.taskId);
            assertEq(j.round, p.round, "round");
            assertEq(j.catches, p.catches, "catches");
            assertEq(j.misses, p.misses, "misses");
            assertEq(j.claims, p.claims, "claims");
            assertEq(j.closed, p.closed);
            assertEq(j.committeeSeed, p.committeeSeed, "committee seed");
            assertEq(j.committeeBlock, p.committeeBlock, "committee block");
            assertEq(j.committeeEpoch, p.committeeEpoch, "committee epoch");
            assertEq(j.committeeMembers, p.committeeMembers, "committee members");
            uint256 held = !p.closed ? p.opening : (handler.payableCatches(i, p.outcome) - p.claims) * share;
            assertEq(j.amount, held, "pot amount == opening, or the unclaimed owed shares once closed");
        }
        assertEq(jackpot.owedToCatchers(), owed, "owedToCatchers == the unclaimed revealed catches of replaced pots");
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

    /// @notice (6) Nothing is burned: each closed pot returned to its operator's escrow what it owes no
    ///         catch: opening - catches * POT / K if its honest root stood, opening - (catches + misses)
    ///         * POT / K if its result was voided (or a later round replaced it); an open pot returned
    ///         nothing yet; what it did not return is paid or still held (in the pot, or owed).
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_closesReturnTheRest() public view {
        uint256 share = handler.expectedShare();
        for (uint256 i = 0; i < handler.potCount(); i++) {
            JackpotHandler.PotGhost memory p = handler.potGhost(i);
            uint256 payable_ = p.closed ? handler.payableCatches(i, p.outcome) : 0;
            uint256 rest = p.closed ? p.opening - payable_ * share : 0;
            assertEq(p.returned, rest, "a pot returned the seats it owes nothing, or nothing while open");
            uint256 held = !p.closed ? p.opening : (payable_ - p.claims) * share;
            assertEq(p.returned + p.paid + held, p.opening, "returned + paid + held == opening: nothing burned");
        }
    }

    /// @notice (8) The registry: totalBonded is one bond per live member; the live members hold slots
    ///         0..memberCount-1, each the model's (an exit moves the last slot's member into the freed
    ///         one); each slot's history and its holder now and at an earlier epoch are the model's.
    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 256
    function invariant_registryIsBonded() public view {
        assertEq(jackpot.totalBonded(), handler.ghostBonded(), "totalBonded == the model's");
        assertEq(jackpot.totalBonded(), handler.liveMembers() * handler.verifierBond(), "a bond per live member");
        assertEq(jackpot.memberCount(), handler.liveMembers(), "memberCount == live members");
        assertEq(jackpot.registryEpoch(), handler.ghostEpoch(), "registryEpoch");
        for (uint256 s = 0; s < handler.liveMembers(); s++) {
            assertEq(jackpot.memberIndexOf(handler.slotMember(s)), s + 1, "a live member's slot");
        }
        uint64 now_ = handler.ghostEpoch();
        uint64 earlier = now_ / 2;
        for (uint256 s = 0; s < handler.ghostMaxSlots(); s++) {
            Jackpot.Occupant[] memory h = jackpot.slotHistoryOf(s);
            Jackpot.Occupant[] memory m = handler.slotHistory(s);
            assertEq(h.length, m.length, "slot history length");
            for (uint256 i = 0; i < h.length; i++) {
                assertEq(h[i].account, m[i].account, "slot history account");
                assertEq(h[i].fromEpoch, m[i].fromEpoch, "slot history epoch");
            }
            assertEq(jackpot.occupantAt(s, now_), handler.modelOccupantAt(s, now_), "occupantAt now");
            assertEq(jackpot.occupantAt(s, earlier), handler.modelOccupantAt(s, earlier), "occupantAt earlier");
        }
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
