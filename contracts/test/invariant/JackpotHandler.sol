// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CheatBase} from "../utils/CheatBase.sol";
import {Errors} from "../../src/Errors.sol";
import {Jackpot} from "../../src/Jackpot.sol";
import {Task, TaskStatus} from "../../src/Task.sol";

/// @notice Plays the market of a `Jackpot` (it deploys the jackpot with itself as MARKET and answers
///         its `getTask` from a small table of fake tasks) and drives a few actors through every
///         jackpot entry point: escrows funded (by anyone) and the market's deposits, escrow
///         withdrawals (at and around what the reservations keep), results posted by two operators
///         (each a claim: the market reserves a pot of the operator's escrow, which the operator
///         mostly tops up first; each result has a forced root, an honest root and an honest leaf),
///         reservations released when a result settles without a pot (finalised, voided, reopened,
///         refunded), seals (right state, wrong state, late, duplicate, and the same hash sealed
///         first by another actor: a squat that must not touch the catcher's seal), pots opened after
///         the seal phase (consuming the claim's reservation; a second round on a voided task),
///         catches revealed (valid, wrong salt, by another actor; operators catch their own errors
///         too), claims, closes (the unpaid rest of a caught, standing pot burned) and withdrawals. The handler keeps its own model of the jackpot: every call's
///         success or revert, and what it moves, is predicted before the call, and a call that
///         disagrees sets `ghostMismatch` (with the reason), so no call reverts here.
contract JackpotHandler is CheatBase {
    uint256 internal constant ACTORS = 4;
    uint256 internal constant OPERATORS = 2; // actors 0 and 1 also operate
    uint256 internal constant MAX_TASKS = 12;
    uint256 internal constant MAX_SEALS = 96;

    Jackpot public immutable jackpot;

    address[] public actors;

    /// @notice A fake task as `getTask` shows it, plus the result the handler posted.
    struct FakeTask {
        TaskStatus status;
        address operator;
        bytes32 traceRoot;
        uint64 submittedAt;
        uint64 sealEndsAt;
        bytes32 honestLeaf;
        bytes32 honestRoot;
        bool potOpened; // a pot was opened for the current result
        uint256 pot; // index + 1 in `pots` of the task's latest pot (0: none)
        uint256 results; // results posted so far (makes each new result's roots unique)
    }

    /// @notice The handler's record of one pot (one round of one task).
    struct PotGhost {
        uint256 taskId;
        address operator;
        uint32 round;
        uint256 opening; // amount moved from the operator's escrow into the pot
        bytes32 honestLeaf;
        bytes32 traceRoot;
        uint64 submittedAt;
        uint64 sealEndsAt;
        uint64 catchEndsAt;
        uint32 catches; // valid catches revealed
        uint32 claims;
        uint256 paid; // credited to catchers
        uint256 burned; // the unpaid rest burned at the close (a caught pot whose root stood)
        bool closed;
        bool paysOut; // closed with the honest root standing (shares reserved), not returned whole
    }

    /// @notice A seal an actor posted (or tried to), for the reveals to pick from.
    struct SealRec {
        uint256 taskId;
        bytes32 state;
        bytes32 salt;
        address catcher;
    }

    mapping(uint256 taskId => FakeTask) internal tasks;
    /// @dev Tasks 1..tasksUsed exist; a new one is taken when no task can take a result.
    uint256 internal tasksUsed = 1;
    PotGhost[] internal pots;
    SealRec[] internal sealRecs;
    /// @dev When each account posted each seal (0: not, or revealed), as the jackpot keys it.
    mapping(address catcher => mapping(bytes32 sealHash => uint64 sealedAt)) internal sealGhosts;
    /// @dev keccak256(taskId, state, catcher) => whether the catcher sealed that state of that task.
    mapping(bytes32 key => bool) internal sealedState;
    /// @dev Seal hashes another actor posted before (or instead of) the catcher they name.
    mapping(bytes32 sealHash => bool) internal squatted;
    /// @dev keccak256(taskId, round, catcher) => 1 caught, 2 claimed (as the jackpot keys it).
    mapping(bytes32 key => uint8) internal caught;

    // ---- ghosts
    /// @notice Wei sent to the jackpot (escrow funding and the market's deposits).
    uint256 public ghostWeiIn;
    /// @notice Wei the jackpot paid out (credit and escrow withdrawals).
    uint256 public ghostWeiOut;
    /// @notice Of that, credits withdrawn (the catchers' shares).
    uint256 public ghostCreditsOut;
    /// @notice Each operator's escrow as the model computes it.
    mapping(address operator => uint256) public ghostEscrow;
    /// @notice Each operator's reservations as the model computes them (POT per result claimed and
    ///         not yet settled or forced).
    mapping(address operator => uint256) public ghostReserved;
    /// @notice Wei burned as the model computes it.
    uint256 public ghostBurned;
    /// @notice Set if a pot whose honest root did not stand credited anyone.
    bool public ghostPaidUnstood;
    /// @notice Set if a call succeeded or reverted against the model, or moved other than predicted.
    bool public ghostMismatch;
    /// @notice Why `ghostMismatch` was first set.
    string public ghostMismatchWhy;

    // ---- coverage counters (so a campaign can show it reached each path)
    uint256 public ghostSeals;
    uint256 public ghostPotsOpened;
    uint256 public ghostSecondRounds;
    uint256 public ghostValidCatches;
    uint256 public ghostRejectedCatches;
    uint256 public ghostClaims;
    uint256 public ghostCloses;
    uint256 public ghostWithdrawals;
    uint256 public ghostEscrowWithdrawals;
    uint256 public ghostReservations;
    uint256 public ghostReserveRefusals;
    uint256 public ghostReleases;
    uint256 public ghostSquats;
    uint256 public ghostSquattedCatches;
    uint256 public ghostBurns;

    constructor(uint256 pot) {
        jackpot = new Jackpot(address(this), pot);
        for (uint256 i = 0; i < ACTORS; i++) {
            actors.push(makeAddr(string.concat("catcher", vm.toString(i))));
        }
    }

    // ---------------------------------------------------------------- the market's view

    /// @notice The fake task `taskId` (only status, traceRoot and submittedAt are set).
    function getTask(uint256 taskId) external view returns (Task memory t) {
        FakeTask storage f = tasks[taskId];
        t.status = f.status;
        t.traceRoot = f.traceRoot;
        t.submittedAt = f.submittedAt;
    }

    // ---------------------------------------------------------------- views for the invariants

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function taskCount() external view returns (uint256) {
        return tasksUsed;
    }

    function potCount() external view returns (uint256) {
        return pots.length;
    }

    function potGhost(uint256 i) external view returns (PotGhost memory) {
        return pots[i];
    }

    /// @notice The index + 1 of `taskId`'s latest pot in `pots` (0: none).
    function latestPot(uint256 taskId) external view returns (uint256) {
        return tasks[taskId].pot;
    }

    /// @notice How many results of `operator` hold a reservation: claimed (Submitted, or Voided and
    ///         still settling) and not forced (no pot opened for them).
    function reservingTasks(address operator) public view returns (uint256 n) {
        for (uint256 t = 1; t <= tasksUsed; t++) {
            FakeTask storage f = tasks[t];
            if (
                f.operator == operator && !f.potOpened
                    && (f.status == TaskStatus.Submitted || f.status == TaskStatus.Voided)
            ) n++;
        }
    }

    /// @notice Whether pot `i`'s honest root stands now (task Finalized with its root and submission).
    function stands(uint256 i) public view returns (bool) {
        PotGhost storage p = pots[i];
        FakeTask storage f = tasks[p.taskId];
        return f.status == TaskStatus.Finalized && f.traceRoot == p.traceRoot && f.submittedAt == p.submittedAt;
    }

    /// @notice Each of k catchers' share of a pot that opened with `opening`: opening / (k * 2^(k-1)).
    function expectedShare(uint256 opening, uint256 k) public pure returns (uint256) {
        if (k == 0 || k > 64) return 0;
        return opening / (k * 2 ** (k - 1));
    }

    // ---------------------------------------------------------------- funding

    /// @notice Anyone adds to an operator's escrow (zero reverts).
    function fundEscrow(uint256 actorSeed, uint256 operatorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        address op = _actor(operatorSeed);
        amount = bound(amount, 0, 3 ether);
        _fund(a, op, amount);
    }

    /// @notice The market's share of a reward paid to an operator.
    function deposit(uint256 taskSeed, uint256 operatorSeed, uint256 amount) external {
        address op = _actor(operatorSeed);
        amount = bound(amount, 0, 2 ether);
        vm.deal(address(this), address(this).balance + amount);
        try jackpot.deposit{value: amount}(_taskId(taskSeed), op) {
            ghostWeiIn += amount;
            ghostEscrow[op] += amount;
            _expect(jackpot.escrowOf(op) == ghostEscrow[op], "deposit: escrow grew by other than the value");
        } catch {
            _mismatch("deposit reverted");
        }
    }

    /// @notice An operator (or anyone) withdraws some of its escrow, which must keep what its claimed
    ///         results reserve. One time in four the amount is exactly what the reservations leave
    ///         free, or one wei more.
    function withdrawEscrow(uint256 actorSeed, uint256 amount, uint256 mode) external {
        address a = _actor(actorSeed);
        uint256 escrow = ghostEscrow[a];
        uint256 reserved = ghostReserved[a];
        if (mode % 4 == 0 && escrow >= reserved) amount = escrow - reserved + (mode / 4) % 2;
        else amount = bound(amount, 0, escrow + 1 ether);
        bool ok = amount != 0 && amount <= escrow && escrow - amount >= reserved;
        bytes memory why = amount == 0 || amount > escrow
            ? abi.encodeWithSelector(Errors.EscrowTooLow.selector, escrow, amount)
            : abi.encodeWithSelector(Errors.EscrowTooLow.selector, escrow - amount, reserved);
        uint256 before = a.balance;
        vm.prank(a);
        try jackpot.withdrawEscrow(amount) {
            if (!ok) {
                _mismatch("withdrawEscrow: an invalid withdrawal was paid");
                return;
            }
            ghostWeiOut += a.balance - before;
            ghostEscrow[a] -= amount;
            ghostEscrowWithdrawals++;
            _expect(a.balance - before == amount, "withdrawEscrow: paid other than the amount");
            _expect(jackpot.escrowOf(a) == ghostEscrow[a], "withdrawEscrow: escrow");
        } catch (bytes memory reason) {
            _expect(!ok, "withdrawEscrow: a valid withdrawal reverted");
            _expect(keccak256(reason) == keccak256(why), "withdrawEscrow: reverted with another error");
        }
    }

    /// @notice Someone other than the market calls deposit, openPot, reserve or release: all revert.
    function impostor(uint256 actorSeed, uint256 which) external {
        address a = _actor(actorSeed);
        address op = actors[which / 4 % OPERATORS];
        bytes memory why = abi.encodeWithSelector(Errors.NotMarket.selector, a);
        vm.deal(a, a.balance + 1 ether);
        vm.prank(a);
        which %= 4;
        if (which == 0) {
            try jackpot.deposit{value: 1 ether}(1, a) {
                _mismatch("deposit by a non-market succeeded");
            } catch (bytes memory reason) {
                _expect(keccak256(reason) == keccak256(why), "deposit by a non-market: not NotMarket");
            }
        } else if (which == 1) {
            try jackpot.openPot(1, a, keccak256("leaf"), keccak256("root"), 1, 2, 3) {
                _mismatch("openPot by a non-market succeeded");
            } catch (bytes memory reason) {
                _expect(keccak256(reason) == keccak256(why), "openPot by a non-market: not NotMarket");
            }
        } else if (which == 2) {
            try jackpot.reserve(op) {
                _mismatch("reserve by a non-market succeeded");
            } catch (bytes memory reason) {
                _expect(keccak256(reason) == keccak256(why), "reserve by a non-market: not NotMarket");
            }
        } else {
            try jackpot.release(op) {
                _mismatch("release by a non-market succeeded");
            } catch (bytes memory reason) {
                _expect(keccak256(reason) == keccak256(why), "release by a non-market: not NotMarket");
            }
        }
    }

    // ---------------------------------------------------------------- results (the fake market)

    /// @notice An operator claims and submits a result for a task that has none live (first, or after
    ///         a void, which settles first: its reservation is released if no pot used it). The claim
    ///         reserves a pot of the operator's escrow beyond what it reserves already; three times in
    ///         four the operator tops its escrow up to that first, else the claim may be refused
    ///         (`AuditEscrowTooLow`, nothing posted). One time in four after a forced result, the new
    ///         result is the previous honest root resubmitted (an honest operator's replay): a pot of
    ///         the earlier result must still not pay when it is finalised, since it was submitted at
    ///         another time.
    function postResult(uint256 taskSeed, uint256 operatorSeed, uint256 leafSeed, uint256 sealWindow, uint256 fund)
        external
    {
        uint256 taskId = _pickTask(taskSeed, 0);
        if (taskId == 0) {
            if (tasksUsed == MAX_TASKS) return;
            taskId = ++tasksUsed;
        }
        FakeTask storage f = tasks[taskId];
        if (f.status == TaskStatus.Voided) {
            _release(f);
            _reopen(f);
        }
        address op = actors[operatorSeed % OPERATORS];
        uint256 pot = jackpot.POT();
        uint256 need = ghostReserved[op] + pot;
        _expect(jackpot.canPay(op) == (ghostEscrow[op] >= need), "canPay: other than escrow >= reserved + POT");
        if (fund % 4 != 0 && ghostEscrow[op] < need) _fund(op, op, need - ghostEscrow[op]);
        uint256 escrow = ghostEscrow[op];
        bool ok = escrow >= need;
        try jackpot.reserve(op) {
            if (!ok) {
                _mismatch("reserve: a claim the escrow cannot cover was taken");
                return;
            }
            ghostReserved[op] += pot;
            ghostReservations++;
            _expect(jackpot.reservedOf(op) == ghostReserved[op], "reserve: reservedOf grew by other than POT");
            _expect(jackpot.escrowOf(op) == escrow, "reserve: escrow moved");
        } catch (bytes memory reason) {
            _expect(!ok, "reserve: a covered claim was refused");
            if (ok) return;
            ghostReserveRefusals++;
            bytes memory why =
                abi.encodeWithSelector(Errors.AuditEscrowTooLow.selector, escrow - ghostReserved[op], pot);
            _expect(keccak256(reason) == keccak256(why), "reserve: refused with another error");
            return;
        }
        f.operator = op;
        f.results += 1;
        f.status = TaskStatus.Submitted;
        if (leafSeed % 4 == 0 && f.honestRoot != bytes32(0)) {
            f.traceRoot = f.honestRoot; // honest leaf and root as before
        } else {
            f.traceRoot = keccak256(abi.encode("forced root", taskId, f.results));
            f.honestRoot = keccak256(abi.encode("honest root", taskId, f.results));
            f.honestLeaf = keccak256(abi.encode("honest leaf", taskId, f.results));
        }
        f.submittedAt = _u64(block.timestamp);
        f.sealEndsAt = _u64(block.timestamp + bound(sealWindow, 2 hours, 12 hours));
        f.potOpened = false;
    }

    /// @notice The operator reveals its forced error after the seal phase: the market replaces the
    ///         root by the honest one and opens the pot (closing a voided result's pot left open).
    function openPot(uint256 taskSeed, uint256 auditWindow) external {
        uint256 taskId = _pickTask(taskSeed, 1);
        if (taskId == 0) return;
        FakeTask storage f = tasks[taskId];
        address op = f.operator;
        uint256 escrowBefore = ghostEscrow[op];
        bool prevOpen = f.pot != 0 && !pots[f.pot - 1].closed;
        address prevOp;
        uint256 returned;
        if (prevOpen) {
            PotGhost storage prev = pots[f.pot - 1];
            _expect(prev.claims == 0, "openPot: a pot left open had claims");
            prevOp = prev.operator;
            returned = prev.opening;
        }
        uint256 amount = jackpot.POT();
        _expect(ghostReserved[op] >= amount && escrowBefore >= ghostReserved[op], "openPot: no reservation to use");
        uint64 catchEndsAt = _u64(block.timestamp + bound(auditWindow, 4 hours, 24 hours));
        try jackpot.openPot(taskId, op, f.honestLeaf, f.honestRoot, f.submittedAt, f.sealEndsAt, catchEndsAt) {
            if (prevOpen) {
                pots[f.pot - 1].closed = true;
                ghostEscrow[prevOp] += returned;
            }
            ghostEscrow[op] -= amount;
            ghostReserved[op] -= amount;
            f.traceRoot = f.honestRoot;
            f.potOpened = true;
            uint32 round = f.pot == 0 ? 1 : pots[f.pot - 1].round + 1;
            if (round > 1) ghostSecondRounds++;
            ghostPotsOpened++;
            pots.push(
                PotGhost({
                    taskId: taskId,
                    operator: op,
                    round: round,
                    opening: amount,
                    honestLeaf: f.honestLeaf,
                    traceRoot: f.honestRoot,
                    submittedAt: f.submittedAt,
                    sealEndsAt: f.sealEndsAt,
                    catchEndsAt: catchEndsAt,
                    catches: 0,
                    claims: 0,
                    paid: 0,
                    burned: 0,
                    closed: false,
                    paysOut: false
                })
            );
            f.pot = pots.length;
            Jackpot.Pot memory p = jackpot.potOf(taskId);
            _expect(p.amount == amount, "openPot: pot amount is not POT");
            _expect(p.operator == op, "openPot: operator");
            _expect(p.round == round, "openPot: round");
            _expect(jackpot.escrowOf(op) == ghostEscrow[op], "openPot: escrow did not give the pot's amount");
            _expect(jackpot.reservedOf(op) == ghostReserved[op], "openPot: the reservation was not consumed");
            if (prevOpen) {
                _expect(jackpot.escrowOf(prevOp) == ghostEscrow[prevOp], "openPot: the pot left open was not returned");
            }
        } catch {
            _mismatch("openPot reverted");
        }
    }

    /// @notice The result is finalised: its current root (the honest one if a pot was opened) stands.
    ///         Mostly a result whose pot is open (one in four, any result: a result not forced).
    function finalizeTask(uint256 taskSeed, uint256 any) external {
        FakeTask storage f = tasks[_pickLive(taskSeed, any % 4 != 0)];
        if (f.status != TaskStatus.Submitted) return;
        f.status = TaskStatus.Finalized;
        _release(f);
    }

    /// @notice The result loses a dispute: Voided (root kept, still settling), reopened (root cleared)
    ///         or refunded; a Voided task later reopens or is refunded. A result that settles without a
    ///         pot releases its claim's reservation.
    function voidTask(uint256 taskSeed, uint256 kind) external {
        FakeTask storage f = tasks[_pickLive(taskSeed, kind % 4 > 1)];
        kind /= 4;
        if (f.status == TaskStatus.Submitted) {
            kind %= 3;
            if (kind == 0) {
                f.status = TaskStatus.Voided;
                return;
            }
            _release(f);
            if (kind == 1) _reopen(f);
            else f.status = TaskStatus.Refunded;
        } else if (f.status == TaskStatus.Voided) {
            _release(f);
            if (kind % 2 == 0) _reopen(f);
            else f.status = TaskStatus.Refunded;
        }
    }

    /// @notice Time passes: mostly under two hours (so several actors seal within one seal phase),
    ///         one time in four up to twelve (so catch windows end).
    function warp(uint256 secondsToPass) external {
        uint256 most = secondsToPass % 4 == 0 ? 12 hours : 2 hours;
        vm.warp(block.timestamp + bound(secondsToPass / 4, 1 minutes, most));
    }

    // ---------------------------------------------------------------- catchers

    /// @notice An actor seals a catch of a task's current result: the honest leaf (two times in
    ///         three) or a wrong state, with one of three salts (so duplicates happen). One time in
    ///         three a crowd: up to all actors that have not sealed that state yet seal it (several
    ///         catchers per pot). One time in four another actor first posts the same hash (copied
    ///         from the mempool): its own seal, which must leave the catcher's untouched (and cannot be
    ///         revealed by the squatter).
    function sealCatch(uint256 actorSeed, uint256 taskSeed, uint256 kind, uint256 saltSeed) external {
        uint256 taskId = _taskId(taskSeed);
        if (kind % 3 != 0) {
            // mostly a result in its seal phase
            for (uint256 j = 0; j < tasksUsed; j++) {
                uint256 t = _taskId(taskSeed % tasksUsed + j);
                FakeTask storage f = tasks[t];
                if (f.status == TaskStatus.Submitted && !f.potOpened && block.timestamp <= f.sealEndsAt) {
                    taskId = t;
                    break;
                }
            }
        }
        bytes32 state = kind % 3 != 0 ? tasks[taskId].honestLeaf : keccak256(abi.encode("wrong", kind % 5));
        if (state == bytes32(0)) state = keccak256("no result yet");
        uint256 ai = actorSeed % ACTORS;
        if (kind % 3 != 2) {
            _sealOne(ai, taskId, state, saltSeed);
            return;
        }
        for (uint256 n = 1 + (kind / 3) % ACTORS; n > 0; n--) {
            // the first actor from `ai` on that has not sealed this state
            uint256 j;
            while (j < ACTORS && sealedState[keccak256(abi.encode(taskId, state, _actor(ai + j)))]) j++;
            if (j == ACTORS) return;
            ai = (ai + j) % ACTORS;
            _sealOne(ai, taskId, state, saltSeed);
            saltSeed /= 48;
        }
    }

    /// @dev Actor `ai` seals `state` for `taskId` (salt and squat from `saltSeed`).
    function _sealOne(uint256 ai, uint256 taskId, bytes32 state, uint256 saltSeed) internal {
        address a = _actor(ai);
        bytes32 salt = bytes32(saltSeed % 3);
        bytes32 sealHash = keccak256(abi.encode(taskId, state, a, salt));
        if ((saltSeed / 3) % 4 == 0) _squat(_actor(ai + 1 + (saltSeed / 12) % (ACTORS - 1)), a, sealHash);
        bool ok = sealGhosts[a][sealHash] == 0;
        vm.prank(a);
        try jackpot.seal(sealHash) {
            if (!ok) {
                _mismatch("seal: a duplicate seal was taken");
                return;
            }
            sealGhosts[a][sealHash] = _u64(block.timestamp);
            sealedState[keccak256(abi.encode(taskId, state, a))] = true;
            ghostSeals++;
            if (sealRecs.length < MAX_SEALS) sealRecs.push(SealRec(taskId, state, salt, a));
            _expect(jackpot.sealOf(a, sealHash) == block.timestamp, "seal: sealedAt");
        } catch (bytes memory reason) {
            _expect(!ok, "seal reverted");
            bytes memory why = abi.encodeWithSelector(Errors.SealExists.selector, sealHash);
            _expect(keccak256(reason) == keccak256(why), "seal: reverted with another error");
        }
    }

    /// @dev `squatter` posts `sealHash`, a seal naming `catcher`: it is the squatter's own seal (taken
    ///      unless the squatter posted it already) and leaves the catcher's seal of it as it was.
    function _squat(address squatter, address catcher, bytes32 sealHash) internal {
        uint64 catcherBefore = jackpot.sealOf(catcher, sealHash);
        _expect(catcherBefore == sealGhosts[catcher][sealHash], "sealOf: the catcher's seal is not the model's");
        bool ok = sealGhosts[squatter][sealHash] == 0;
        vm.prank(squatter);
        try jackpot.seal(sealHash) {
            if (!ok) {
                _mismatch("seal: a squatter's duplicate seal was taken");
                return;
            }
            sealGhosts[squatter][sealHash] = _u64(block.timestamp);
            squatted[sealHash] = true;
            ghostSquats++;
            _expect(jackpot.sealOf(squatter, sealHash) == block.timestamp, "seal: the squatter's sealedAt");
        } catch {
            _expect(!ok, "seal: a squatter's first seal of a hash reverted");
        }
        _expect(jackpot.sealOf(catcher, sealHash) == catcherBefore, "seal: a squat changed the catcher's seal");
    }

    /// @notice Someone reveals a recorded seal: as sealed, with a wrong salt, or by another actor.
    ///         Mostly picks a seal of a task whose pot takes catches now.
    function revealCatch(uint256 index, uint256 mode) external {
        if (sealRecs.length == 0) return;
        SealRec memory r = sealRecs[_pickSeal(index, mode)];
        address caller = r.catcher;
        bytes32 salt = r.salt;
        mode %= 8;
        if (mode == 6) salt = ~salt;
        if (mode == 7) caller = _actor(index % ACTORS + 1);
        (bool ok, bytes32 sealHash, bytes32 key) = _catchIsValid(r.taskId, r.state, caller, salt);
        vm.prank(caller);
        try jackpot.revealCatch(r.taskId, r.state, salt) {
            if (!ok) {
                _mismatch("revealCatch: an invalid catch was taken");
                return;
            }
            PotGhost storage p = pots[tasks[r.taskId].pot - 1];
            p.catches += 1;
            caught[key] = 1;
            delete sealGhosts[caller][sealHash];
            ghostValidCatches++;
            if (squatted[sealHash]) ghostSquattedCatches++;
            _expect(jackpot.potOf(r.taskId).catches == p.catches, "revealCatch: catch count");
            _expect(jackpot.sealOf(caller, sealHash) == 0, "revealCatch: seal not spent");
        } catch {
            ghostRejectedCatches++;
            _expect(!ok, "revealCatch: a valid catch reverted");
        }
    }

    /// @notice A catcher claims its share (mostly one that caught and has not claimed).
    function claimJackpot(uint256 actorSeed, uint256 taskSeed, uint256 scan) external {
        address a = _actor(actorSeed);
        uint256 taskId = _taskId(taskSeed);
        if (scan % 4 != 0) (a, taskId) = _pickCatcher(actorSeed, taskSeed, a, taskId);
        uint256 idx = tasks[taskId].pot;
        if (idx == 0) {
            vm.prank(a);
            try jackpot.claimJackpot(taskId) {
                _mismatch("claimJackpot: paid without a pot");
            } catch {}
            return;
        }
        PotGhost storage p = pots[idx - 1];
        bytes32 key = keccak256(abi.encode(taskId, p.round, a));
        bool stood = stands(idx - 1);
        bool ok = block.timestamp > p.catchEndsAt && stood && caught[key] == 1;
        uint256 share = ok ? expectedShare(p.opening, p.catches) : 0;
        uint256 creditBefore = jackpot.credits(a);
        vm.prank(a);
        try jackpot.claimJackpot(taskId) {
            if (!stood) ghostPaidUnstood = true;
            if (!ok) {
                _mismatch("claimJackpot: an invalid claim was paid");
                return;
            }
            caught[key] = 2;
            p.claims += 1;
            p.paid += share;
            ghostClaims++;
            if (!p.closed) {
                // a claim means a catch on a standing root: the unpaid rest is burned
                p.closed = true;
                p.paysOut = true;
                p.burned = p.opening - share * p.catches;
                ghostBurned += p.burned;
                if (p.burned != 0) ghostBurns++;
            }
            _expect(jackpot.credits(a) == creditBefore + share, "claimJackpot: credit is not the share");
            _expect(jackpot.escrowOf(p.operator) == ghostEscrow[p.operator], "claimJackpot: the close moved escrow");
            _expect(jackpot.burned() == ghostBurned, "claimJackpot: the close burned other than the rest");
        } catch {
            _expect(!ok, "claimJackpot: a valid claim reverted");
        }
    }

    /// @notice Anyone closes a task's pot: burns the unpaid rest of a caught pot whose root stood,
    ///         returns an uncaught or unstood pot whole to its operator's escrow.
    ///         Three times in four, the first pot from the seed on that is open past its catch window.
    function closePot(uint256 taskSeed, uint256 scan) external {
        uint256 taskId = _taskId(taskSeed);
        for (uint256 j = 0; scan % 4 != 0 && j < tasksUsed; j++) {
            uint256 t = _taskId(taskSeed % tasksUsed + j);
            uint256 i = tasks[t].pot;
            if (i != 0 && !pots[i - 1].closed && block.timestamp > pots[i - 1].catchEndsAt) {
                taskId = t;
                break;
            }
        }
        uint256 idx = tasks[taskId].pot;
        if (idx == 0) {
            try jackpot.closePot(taskId) {
                _mismatch("closePot: closed without a pot");
            } catch {}
            return;
        }
        PotGhost storage p = pots[idx - 1];
        FakeTask storage f = tasks[taskId];
        bool ok = !p.closed && block.timestamp > p.catchEndsAt
            && !(f.status == TaskStatus.Submitted && f.traceRoot == p.traceRoot && f.submittedAt == p.submittedAt);
        bool stood = stands(idx - 1);
        uint256 returned;
        uint256 burn;
        if (ok && stood && p.catches != 0) burn = p.opening - expectedShare(p.opening, p.catches) * p.catches;
        else if (ok) returned = p.opening;
        try jackpot.closePot(taskId) {
            if (!ok) {
                _mismatch("closePot: an invalid close succeeded");
                return;
            }
            p.closed = true;
            p.paysOut = stood;
            p.burned = burn;
            ghostCloses++;
            if (burn != 0) ghostBurns++;
            ghostEscrow[p.operator] += returned;
            ghostBurned += burn;
            _expect(jackpot.escrowOf(p.operator) == ghostEscrow[p.operator], "closePot: returned other than predicted");
            _expect(jackpot.burned() == ghostBurned, "closePot: burned other than predicted");
        } catch {
            _expect(!ok, "closePot: a valid close reverted");
        }
    }

    function withdraw(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        uint256 credit = jackpot.credits(a);
        uint256 before = a.balance;
        vm.prank(a);
        try jackpot.withdraw() {
            uint256 received = a.balance - before;
            ghostWeiOut += received;
            ghostCreditsOut += received;
            ghostWithdrawals++;
            _expect(credit != 0 && received == credit, "withdraw: paid other than the credit");
            _expect(jackpot.credits(a) == 0, "withdraw: credit left");
        } catch {
            _expect(credit == 0, "withdraw: a credit could not be withdrawn");
        }
    }

    // ---------------------------------------------------------------- internals

    function _catchIsValid(uint256 taskId, bytes32 state, address caller, bytes32 salt)
        internal
        view
        returns (bool ok, bytes32 sealHash, bytes32 key)
    {
        sealHash = keccak256(abi.encode(taskId, state, caller, salt));
        uint256 idx = tasks[taskId].pot;
        if (idx == 0) return (false, sealHash, key);
        PotGhost storage p = pots[idx - 1];
        key = keccak256(abi.encode(taskId, p.round, caller));
        uint64 sealedAt = sealGhosts[caller][sealHash];
        ok = !p.closed && block.timestamp <= p.catchEndsAt && sealedAt != 0 && sealedAt >= p.submittedAt
            && sealedAt <= p.sealEndsAt && state == p.honestLeaf && caught[key] == 0;
    }

    /// @dev Three times in four, the first seal from `index` on that would make a valid catch now (its
    ///         task's pot takes catches, it names the honest leaf and is still posted); else `index`'s.
    function _pickSeal(uint256 index, uint256 mode) internal view returns (uint256) {
        uint256 n = sealRecs.length;
        uint256 start = index % n;
        if (mode % 4 == 0) return start;
        for (uint256 j = 0; j < n; j++) {
            uint256 i = (start + j) % n;
            SealRec storage r = sealRecs[i];
            (bool ok,,) = _catchIsValid(r.taskId, r.state, r.catcher, r.salt);
            if (ok) return i;
        }
        return start;
    }

    /// @dev The first (actor, task) from the seeds on that caught the task's latest pot and has not
    ///      claimed; the seeds' own pair if none.
    function _pickCatcher(uint256 actorSeed, uint256 taskSeed, address a, uint256 taskId)
        internal
        view
        returns (address, uint256)
    {
        for (uint256 j = 0; j < ACTORS * tasksUsed; j++) {
            address c = _actor(actorSeed % ACTORS + j);
            uint256 t = _taskId(taskSeed % tasksUsed + j / ACTORS);
            uint256 idx = tasks[t].pot;
            if (idx == 0) continue;
            if (caught[keccak256(abi.encode(t, pots[idx - 1].round, c))] == 1) return (c, t);
        }
        return (a, taskId);
    }

    /// @dev The first task from the seed on that can take a result (`what` 0: None, Open or Voided)
    ///      or whose forced error can be revealed (1: Submitted, seal phase over, no pot yet); 0 if none.
    function _pickTask(uint256 taskSeed, uint256 what) internal view returns (uint256) {
        for (uint256 j = 0; j < tasksUsed; j++) {
            uint256 t = _taskId(taskSeed % tasksUsed + j);
            FakeTask storage f = tasks[t];
            if (what == 0) {
                if (f.status == TaskStatus.None || f.status == TaskStatus.Open || f.status == TaskStatus.Voided) {
                    return t;
                }
            } else if (f.status == TaskStatus.Submitted && !f.potOpened && block.timestamp > f.sealEndsAt) {
                return t;
            }
        }
        return 0;
    }

    /// @dev With `potOpen`, the first task from the seed on that is Submitted with its pot open (0, a
    ///      task that never exists, if none); else the seed's task.
    function _pickLive(uint256 taskSeed, bool potOpen) internal view returns (uint256) {
        if (!potOpen) return _taskId(taskSeed);
        for (uint256 j = 0; j < tasksUsed; j++) {
            uint256 t = _taskId(taskSeed % tasksUsed + j);
            if (tasks[t].status == TaskStatus.Submitted && tasks[t].potOpened) return t;
        }
        return 0;
    }

    function _fund(address from, address op, uint256 amount) internal {
        vm.deal(from, from.balance + amount);
        vm.prank(from);
        try jackpot.fundEscrow{value: amount}(op) {
            if (amount == 0) {
                _mismatch("fundEscrow: zero was taken");
                return;
            }
            ghostWeiIn += amount;
            ghostEscrow[op] += amount;
            _expect(jackpot.escrowOf(op) == ghostEscrow[op], "fundEscrow: escrow grew by other than the value");
        } catch {
            _expect(amount == 0, "fundEscrow reverted");
        }
    }

    /// @dev The market settles `f`'s result (finalised, or voided and settled): it releases the claim's
    ///      reservation unless the result's forced error opened a pot with it.
    function _release(FakeTask storage f) internal {
        if (f.potOpened) return;
        address op = f.operator;
        try jackpot.release(op) {
            ghostReserved[op] -= jackpot.POT();
            ghostReleases++;
            _expect(jackpot.reservedOf(op) == ghostReserved[op], "release: reservedOf fell by other than POT");
        } catch {
            _mismatch("release reverted");
        }
    }

    function _reopen(FakeTask storage f) internal {
        f.status = TaskStatus.Open;
        f.traceRoot = bytes32(0);
        f.submittedAt = 0;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function _taskId(uint256 seed) internal view returns (uint256) {
        return 1 + seed % tasksUsed;
    }

    function _u64(uint256 x) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) test timestamps are far below 2^64
        return uint64(x);
    }

    function _expect(bool condition, string memory why) internal {
        if (!condition) _mismatch(why);
    }

    function _mismatch(string memory why) internal {
        if (!ghostMismatch) {
            ghostMismatch = true;
            ghostMismatchWhy = why;
        }
    }
}
