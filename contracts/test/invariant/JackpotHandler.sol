// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CheatBase} from "../utils/CheatBase.sol";
import {Errors} from "../../src/Errors.sol";
import {Jackpot} from "../../src/Jackpot.sol";
import {SlotRegistryModel} from "../utils/SlotRegistryModel.sol";
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
///         catches revealed (valid, wrong salt, by another actor, by a registry member the committee
///         left out; catches naming another state are recorded as misses; operators catch their own
///         errors too, from their own and their second accounts, but only when drawn), the bonded
///         verifier registry (registrations with right and wrong bonds, exits that move the last
///         slot's member into the freed slot, re-registrations, with no cap on the churn), committees
///         (fixed at each result as of the registry's epoch, drawn by `assign` in a later block, too
///         early, too late or twice, or by the pot itself), claims (POT / K each: catches if the honest
///         root stood, every revealed catch if the result was voided), earlier rounds' catches claimed
///         after their task was forced again (`claimEarlierCatch`), closes (what no catch is owed
///         returns to the escrow; nothing is burned) and withdrawals. The handler keeps its own model of the jackpot: every call's
///         success or revert, and what it moves, is predicted before the call, and a call that
///         disagrees sets `ghostMismatch` (with the reason), so no call reverts here.
contract JackpotHandler is CheatBase {
    uint256 internal constant ACTORS = 6;
    uint256 internal constant OPERATORS = 2; // actors 0 and 1 also operate; 4 and 5 are their second accounts
    uint256 internal constant K = 3; // committee size: fewer than the actors, so some members are left out
    uint256 internal constant BOND = 0.25 ether;
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
        uint32 catches; // revealed catches naming the honest leaf
        uint32 misses; // revealed catches naming another state
        uint32 claims; // by claimJackpot, or by claimEarlierCatch once a later round replaced the pot
        uint256 paid; // credited to catchers
        uint256 returned; // returned to the escrow at the close (the seats it owes nothing)
        uint256 owed; // moved to owedToCatchers when a later round replaced the pot
        uint64 committeeBlock;
        uint64 committeeEpoch;
        uint64 committeeMembers;
        bytes32 committeeSeed;
        bool closed;
        uint8 outcome; // once closed: 1 the honest root stood (catches paid), 2 voided (every revealed catch paid)
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
    /// @dev keccak256(taskId, round, catcher) => 1 caught, 2 claimed, 3 missed (as the jackpot keys it).
    mapping(bytes32 key => uint8) internal caught;
    /// @dev keccak256(taskId, round) => index + 1 of that round's pot in `pots`.
    mapping(bytes32 key => uint256) internal potIndex;

    // ---- ghosts
    /// @notice Wei sent to the jackpot (escrow funding and the market's deposits).
    uint256 public ghostWeiIn;
    /// @notice Wei sent to the jackpot includes the members' bonds.
    /// @notice Wei the jackpot paid out (credit and escrow withdrawals).
    uint256 public ghostWeiOut;
    /// @notice Of that, credits withdrawn (the catchers' shares and the exited members' bonds).
    uint256 public ghostCreditsOut;
    /// @notice Each operator's escrow as the model computes it.
    mapping(address operator => uint256) public ghostEscrow;
    /// @notice Each operator's reservations as the model computes them (POT per result claimed and
    ///         not yet settled or forced).
    mapping(address operator => uint256) public ghostReserved;

    /// @notice A task's latest committee draw as the model keeps it.
    struct DrawGhost {
        uint64 submitBlock;
        uint64 epoch;
        uint64 members;
        bytes32 seed;
    }

    /// @dev The registry as the model keeps it: each slot's member now (an exit moves the last slot's
    ///      member into the freed one), each member's slot + 1, each slot's occupants by epoch.
    address[] internal slots;
    mapping(address account => uint256) internal entryOf;
    mapping(uint256 slot => Jackpot.Occupant[]) internal slotHist;
    uint64 public ghostEpoch;
    uint256 public ghostMaxSlots;
    mapping(uint256 taskId => DrawGhost) internal draws;

    /// @notice Wei owed to earlier rounds' catches, as the model computes it.
    uint256 public ghostOwed;

    /// @notice Wei bonded by live members as the model computes it.
    uint256 public ghostBonded;
    /// @notice Bonds credited back on exits.
    uint256 public ghostBondsReturned;
    /// @notice Set if a catch counted for an account outside its pot's committee.
    bool public ghostCaughtOutsideCommittee;
    /// @notice Set if a pot whose honest root stood paid a miss, or a pot paid before its result settled.
    bool public ghostPaidWrongly;
    /// @notice Set if a call succeeded or reverted against the model, or moved other than predicted.
    bool public ghostMismatch;
    /// @notice Why `ghostMismatch` was first set.
    string public ghostMismatchWhy;

    // ---- coverage counters (so a campaign can show it reached each path)
    uint256 public ghostSeals;
    uint256 public ghostPotsOpened;
    uint256 public ghostSecondRounds;
    uint256 public ghostValidCatches;
    uint256 public ghostMisses;
    uint256 public ghostVoidedClaims;
    uint256 public ghostEarlierClaims;
    uint256 public ghostMoves;
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
    uint256 public ghostRegistrations;
    uint256 public ghostExits;
    uint256 public ghostAssigns;
    uint256 public ghostAssignRefusals;
    uint256 public ghostPotDrawnSeeds;
    uint256 public ghostNoCommittee;
    uint256 public ghostOutsideCommittee;

    constructor(uint256 pot) {
        jackpot = new Jackpot(address(this), pot, BOND, K);
        for (uint256 i = 0; i < ACTORS; i++) {
            actors.push(
                makeAddr(
                    i < 4
                        ? string.concat("catcher", vm.toString(i))
                        : string.concat("catcher", vm.toString(i - 4), "-second-account")
                )
            );
        }
        // two honest verifiers are members from the start; the others join (and leave) as they go
        _register(actors[2], 1);
        _register(actors[3], 1);
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

    /// @notice How pot `i`'s result settled: 0 not yet (Submitted with the pot's root), 1 the honest
    ///         root stood, 2 voided (the task moved on: every revealed catch is paid).
    function settlement(uint256 i) public view returns (uint8) {
        PotGhost storage p = pots[i];
        FakeTask storage f = tasks[p.taskId];
        bool ours = f.traceRoot == p.traceRoot && f.submittedAt == p.submittedAt;
        if (ours && f.status == TaskStatus.Finalized) return 1;
        if (ours && f.status == TaskStatus.Submitted) return 0;
        return 2;
    }

    /// @notice How many catches pot `i` pays once settled as `outcome`.
    function payableCatches(uint256 i, uint8 outcome) public view returns (uint256) {
        PotGhost storage p = pots[i];
        return outcome == 1 ? p.catches : uint256(p.catches) + p.misses;
    }

    /// @notice What each catching committee member is paid: POT / K, however many caught.
    function expectedShare() public view returns (uint256) {
        return jackpot.POT() / K;
    }

    function committeeSize() external pure returns (uint256) {
        return K;
    }

    function verifierBond() external pure returns (uint256) {
        return BOND;
    }

    /// @notice The live members (slots 0..n-1), as the model keeps them.
    function liveMembers() public view returns (uint256) {
        return slots.length;
    }

    function slotMember(uint256 slot) external view returns (address) {
        return slots[slot];
    }

    function slotHistory(uint256 slot) external view returns (Jackpot.Occupant[] memory) {
        return slotHist[slot];
    }

    /// @notice Who held `slot` as of `epoch` in the model (a linear scan of its history).
    function modelOccupantAt(uint256 slot, uint64 epoch) public view returns (address) {
        return SlotRegistryModel.occupantAt(slotHist, slot, epoch);
    }

    /// @notice The model's committee of a draw (docs/forced-errors.md, `SlotRegistryModel.committee`).
    function modelCommittee(uint256 taskId, bytes32 seed, uint64 epoch, uint64 count)
        public
        view
        returns (address[] memory)
    {
        return SlotRegistryModel.committee(slotHist, K, taskId, seed, epoch, count);
    }

    /// @notice Whether `account` is in the committee of pot `i` (as the model draws it).
    function inPotCommittee(uint256 i, address account) public view returns (bool) {
        PotGhost storage p = pots[i];
        address[] memory c = modelCommittee(p.taskId, p.committeeSeed, p.committeeEpoch, p.committeeMembers);
        for (uint256 j = 0; j < c.length; j++) {
            if (c[j] == account) return true;
        }
        return false;
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

    /// @notice Someone other than the market calls deposit, openPot, reserve, release or onSubmitted:
    ///         all revert.
    function impostor(uint256 actorSeed, uint256 which) external {
        address a = _actor(actorSeed);
        address op = actors[which / 5 % OPERATORS];
        bytes memory why = abi.encodeWithSelector(Errors.NotMarket.selector, a);
        vm.deal(a, a.balance + 1 ether);
        vm.prank(a);
        which %= 5;
        if (which == 4) {
            try jackpot.onSubmitted(1) {
                _mismatch("onSubmitted by a non-market succeeded");
            } catch (bytes memory reason) {
                _expect(keccak256(reason) == keccak256(why), "onSubmitted by a non-market: not NotMarket");
            }
        } else if (which == 0) {
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
        // the market fixes the result's committee draw: this block, the registry as it is now
        try jackpot.onSubmitted(taskId) {
            draws[taskId] = DrawGhost(_u64(block.number), ghostEpoch, _u64(slots.length), bytes32(0));
            Jackpot.CommitteeDraw memory d = jackpot.committeeDrawOf(taskId);
            _expect(
                d.submitBlock == block.number && d.epoch == ghostEpoch && d.members == slots.length
                    && d.seed == bytes32(0),
                "onSubmitted: the draw is not the submit block, the registry's epoch and its live members"
            );
        } catch {
            _mismatch("onSubmitted reverted");
        }
    }

    // ---------------------------------------------------------------- the verifier registry

    /// @notice An actor joins the registry (one time in eight with a wrong bond; a member that
    ///         registers again is refused). No cap: exits leave no dead slots, so churn cannot dilute
    ///         the draws.
    function register(uint256 actorSeed, uint256 mode) external {
        _register(_actor(actorSeed), mode);
    }

    function _register(address a, uint256 mode) internal {
        uint256 value = mode % 8 == 0 ? (mode % 16 == 0 ? BOND - 1 : BOND + 1) : BOND;
        bool member = entryOf[a] != 0;
        bool ok = !member && value == BOND;
        bytes memory why = member
            ? abi.encodeWithSelector(Errors.AlreadyMember.selector, a)
            : abi.encodeWithSelector(Errors.WrongVerifierBond.selector, value, BOND);
        vm.deal(a, a.balance + value);
        vm.prank(a);
        try jackpot.register{value: value}() {
            if (!ok) {
                _mismatch("register: an invalid registration was taken");
                return;
            }
            uint64 epoch = ++ghostEpoch;
            slots.push(a);
            entryOf[a] = slots.length;
            slotHist[slots.length - 1].push(Jackpot.Occupant({fromEpoch: epoch, account: a}));
            if (slots.length > ghostMaxSlots) ghostMaxSlots = slots.length;
            ghostBonded += BOND;
            ghostWeiIn += BOND;
            ghostRegistrations++;
            _expect(jackpot.memberIndexOf(a) == slots.length, "register: memberIndexOf is not the next slot");
            _expect(jackpot.memberCount() == slots.length, "register: memberCount");
            _expect(jackpot.registryEpoch() == epoch, "register: registryEpoch");
            _expect(jackpot.occupantAt(slots.length - 1, epoch) == a, "register: occupantAt");
            _expect(jackpot.totalBonded() == ghostBonded, "register: totalBonded");
        } catch (bytes memory reason) {
            _expect(!ok, "register: a valid registration reverted");
            _expect(keccak256(reason) == keccak256(why), "register: reverted with another error");
        }
    }

    /// @notice An actor leaves the registry (one that is no member is refused): its bond is credited.
    ///         One time in four a member, one in four any actor; else nobody (members mostly stay).
    function exit(uint256 actorSeed, uint256 any) external {
        if (any % 4 > 1) return;
        address a = _actor(actorSeed);
        for (uint256 j = 0; any % 4 == 1 && j < ACTORS; j++) {
            if (entryOf[_actor(actorSeed % ACTORS + j)] != 0) {
                a = _actor(actorSeed % ACTORS + j);
                break;
            }
        }
        uint256 entry = entryOf[a];
        uint256 creditBefore = jackpot.credits(a);
        vm.prank(a);
        try jackpot.exit() {
            if (entry == 0) {
                _mismatch("exit: a non-member exited");
                return;
            }
            uint64 epoch = ++ghostEpoch;
            uint256 slot = entry - 1;
            uint256 last = slots.length - 1;
            address moved;
            if (slot != last) {
                moved = slots[last];
                slots[slot] = moved;
                entryOf[moved] = slot + 1;
                slotHist[slot].push(Jackpot.Occupant({fromEpoch: epoch, account: moved}));
                ghostMoves++;
            }
            slots.pop();
            entryOf[a] = 0;
            ghostBonded -= BOND;
            ghostBondsReturned += BOND;
            ghostExits++;
            _expect(jackpot.credits(a) == creditBefore + BOND, "exit: the bond was not credited");
            _expect(jackpot.memberIndexOf(a) == 0, "exit: still a member");
            _expect(jackpot.memberCount() == slots.length, "exit: memberCount");
            _expect(jackpot.registryEpoch() == epoch, "exit: registryEpoch");
            if (moved != address(0)) {
                _expect(jackpot.memberIndexOf(moved) == slot + 1, "exit: the last slot's member did not move");
                _expect(jackpot.occupantAt(slot, epoch) == moved, "exit: occupantAt of the freed slot");
            }
            _expect(jackpot.occupantAt(slot, epoch - 1) == a, "exit: the slot as of the epoch before");
            _expect(jackpot.totalBonded() == ghostBonded, "exit: totalBonded");
        } catch (bytes memory reason) {
            _expect(entry == 0, "exit: a member could not exit");
            _expect(
                keccak256(reason) == keccak256(abi.encodeWithSelector(Errors.NotMember.selector, a)),
                "exit: reverted with another error"
            );
        }
    }

    /// @notice A verifier draws a result's committee: mostly one whose draw is pending (any task one
    ///         time in four: no result, drawn already, too early or expired are refused).
    function assign(uint256 taskSeed, uint256 any) external {
        uint256 taskId = _taskId(taskSeed);
        for (uint256 j = 0; any % 4 != 0 && j < tasksUsed; j++) {
            uint256 t = _taskId(taskSeed % tasksUsed + j);
            if (draws[t].submitBlock != 0 && draws[t].seed == bytes32(0)) {
                taskId = t;
                break;
            }
        }
        DrawGhost storage d = draws[taskId];
        bytes32 hash = d.submitBlock != 0 && d.submitBlock < block.number ? blockhash(d.submitBlock) : bytes32(0);
        bytes memory why;
        if (d.submitBlock == 0) {
            why = abi.encodeWithSelector(Errors.NoCommitteeDraw.selector, taskId);
        } else if (d.seed != bytes32(0)) {
            why = abi.encodeWithSelector(Errors.CommitteeAlreadyDrawn.selector, taskId);
        } else if (block.number <= d.submitBlock) {
            why = abi.encodeWithSelector(Errors.CommitteeNotReady.selector, d.submitBlock, block.number);
        } else if (hash == bytes32(0)) {
            why = abi.encodeWithSelector(Errors.CommitteeExpired.selector, d.submitBlock);
        }
        bool ok = why.length == 0;
        try jackpot.assign(taskId) {
            if (!ok) {
                _mismatch("assign: an invalid draw was taken");
                return;
            }
            d.seed = hash;
            ghostAssigns++;
            _expect(jackpot.committeeDrawOf(taskId).seed == hash, "assign: the seed is not the submit block's hash");
            _expect(
                keccak256(abi.encode(jackpot.committeeOf(taskId)))
                    == keccak256(abi.encode(modelCommittee(taskId, hash, d.epoch, d.members))),
                "assign: the committee is not the model's"
            );
        } catch (bytes memory reason) {
            _expect(!ok, "assign: a valid draw reverted");
            _expect(keccak256(reason) == keccak256(why), "assign: reverted with another error");
            ghostAssignRefusals++;
        }
    }

    /// @notice The operator reveals its forced error after the seal phase: the market replaces the
    ///         root by the honest one and opens the pot (closing a voided result's pot left open).
    function openPot(uint256 taskSeed, uint256 auditWindow) external {
        uint256 taskId = _pickTask(taskSeed, 1);
        if (taskId == 0) return;
        FakeTask storage f = tasks[taskId];
        address op = f.operator;
        (uint256 prevIdx, bool prevOpen, uint256 returned, uint256 owed) = _earlierPot(f);
        uint256 amount = jackpot.POT();
        _expect(ghostReserved[op] >= amount && ghostEscrow[op] >= ghostReserved[op], "openPot: no reservation to use");
        uint64 catchEndsAt = _u64(block.timestamp + bound(auditWindow, 4 hours, 24 hours));
        try jackpot.openPot(taskId, op, f.honestLeaf, f.honestRoot, f.submittedAt, f.sealEndsAt, catchEndsAt) {
            _drawAtOpen(taskId);
            if (prevIdx != 0) _replaceEarlierPot(prevIdx, prevOpen, returned, owed);
            ghostEscrow[op] -= amount;
            ghostReserved[op] -= amount;
            f.traceRoot = f.honestRoot;
            f.potOpened = true;
            _recordPot(taskId, op, amount, catchEndsAt);
            if (prevOpen) {
                address prevOp = pots[prevIdx - 1].operator;
                _expect(jackpot.escrowOf(prevOp) == ghostEscrow[prevOp], "openPot: the pot left open was not returned");
            }
            _expect(jackpot.owedToCatchers() == ghostOwed, "openPot: owedToCatchers is not the model's");
        } catch {
            _mismatch("openPot reverted");
        }
    }

    /// @dev The task's earlier pot, if any (its result was voided): it owes every catch revealed on it
    ///      and not claimed, which the new pot moves to owedToCatchers; left open, it closes first (the
    ///      other seats return to its operator's escrow).
    function _earlierPot(FakeTask storage f)
        internal
        view
        returns (uint256 prevIdx, bool prevOpen, uint256 returned, uint256 owed)
    {
        prevIdx = f.pot;
        if (prevIdx == 0) return (0, false, 0, 0);
        PotGhost storage prev = pots[prevIdx - 1];
        prevOpen = !prev.closed;
        // a view cannot flag: an earlier pot's result that was not voided shows as a replaced pot not
        // closed as voided (invariant_potsPayFixedShares)
        owed = expectedShare() * (uint256(prev.catches) + prev.misses - prev.claims);
        if (prevOpen) returned = prev.opening - owed;
    }

    function _replaceEarlierPot(uint256 prevIdx, bool prevOpen, uint256 returned, uint256 owed) internal {
        PotGhost storage prev = pots[prevIdx - 1];
        _expect(settlement(prevIdx - 1) == 2, "openPot: the earlier pot's result was not voided");
        _expect(!prevOpen || prev.claims == 0, "openPot: a pot left open had claims");
        if (prevOpen) {
            prev.closed = true;
            prev.outcome = 2;
            prev.returned = returned;
            ghostEscrow[prev.operator] += returned;
        }
        prev.owed = owed;
        ghostOwed += owed;
    }

    /// @dev The pot draws the committee seed itself if nobody called `assign` (zero if too old).
    function _drawAtOpen(uint256 taskId) internal {
        DrawGhost storage d = draws[taskId];
        if (d.seed == bytes32(0) && d.submitBlock != 0 && d.submitBlock < block.number) {
            d.seed = blockhash(d.submitBlock);
            ghostPotDrawnSeeds++;
        }
        if (d.seed == bytes32(0)) ghostNoCommittee++;
    }

    /// @dev Records the pot just opened for `taskId` and checks the jackpot's record of it.
    function _recordPot(uint256 taskId, address op, uint256 amount, uint64 catchEndsAt) internal {
        FakeTask storage f = tasks[taskId];
        DrawGhost storage d = draws[taskId];
        {
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
                    misses: 0,
                    claims: 0,
                    paid: 0,
                    returned: 0,
                    owed: 0,
                    committeeBlock: d.submitBlock,
                    committeeEpoch: d.epoch,
                    committeeMembers: d.members,
                    committeeSeed: d.seed,
                    closed: false,
                    outcome: 0
                })
            );
            f.pot = pots.length;
            potIndex[keccak256(abi.encode(taskId, round))] = pots.length;
        }
        Jackpot.Pot memory p = jackpot.potOf(taskId);
        _expect(p.amount == amount, "openPot: pot amount is not POT");
        _expect(p.operator == op, "openPot: operator");
        _expect(p.round == pots[f.pot - 1].round, "openPot: round");
        _expect(
            p.committeeBlock == d.submitBlock && p.committeeEpoch == d.epoch && p.committeeMembers == d.members
                && p.committeeSeed == d.seed,
            "openPot: the pot's committee is not the result's draw"
        );
        _expect(jackpot.escrowOf(op) == ghostEscrow[op], "openPot: escrow did not give the pot's amount");
        _expect(jackpot.reservedOf(op) == ghostReserved[op], "openPot: the reservation was not consumed");
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
    ///         one time in four up to twelve (so catch windows end). Blocks pass with it, one per ten
    ///         minutes of the model (so committees drawn within a day are in time), plus one; one time
    ///         in sixty-four 300 more (so undrawn committees expire).
    function warp(uint256 secondsToPass) external {
        uint256 most = secondsToPass % 4 == 0 ? 12 hours : 2 hours;
        uint256 dt = bound(secondsToPass / 4, 1 minutes, most);
        vm.warp(block.timestamp + dt);
        vm.roll(block.number + 1 + dt / 10 minutes + (secondsToPass % 64 == 1 ? 300 : 0));
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
    ///         Mostly picks a seal of a task whose pot takes catches now. A seal of the honest leaf
    ///         is a catch, one of another state a miss.
    function revealCatch(uint256 index, uint256 mode) external {
        if (sealRecs.length == 0) return;
        SealRec memory r = sealRecs[_pickSeal(index, mode)];
        address caller = r.catcher;
        bytes32 salt = r.salt;
        mode %= 8;
        if (mode == 6) salt = ~salt;
        if (mode == 7) caller = _actor(index % ACTORS + 1);
        (bool ok, bytes32 sealHash, bytes32 key) = _catchIsValid(r.taskId, r.state, caller, salt);
        bool outside = _outsideCommittee(r.taskId, r.state, caller, salt);
        vm.prank(caller);
        try jackpot.revealCatch(r.taskId, r.state, salt) {
            if (outside) ghostCaughtOutsideCommittee = true;
            if (!ok) {
                _mismatch("revealCatch: an invalid catch was taken");
                return;
            }
            PotGhost storage p = pots[tasks[r.taskId].pot - 1];
            bool named = r.state == p.honestLeaf;
            if (named) {
                p.catches += 1;
                caught[key] = 1;
                ghostValidCatches++;
            } else {
                p.misses += 1;
                caught[key] = 3;
                ghostMisses++;
            }
            delete sealGhosts[caller][sealHash];
            if (squatted[sealHash]) ghostSquattedCatches++;
            Jackpot.Pot memory jp = jackpot.potOf(r.taskId);
            _expect(jp.catches == p.catches && jp.misses == p.misses, "revealCatch: catch and miss counts");
            _expect(jackpot.catchOf(r.taskId, caller) == caught[key], "revealCatch: catchOf");
            _expect(jackpot.sealOf(caller, sealHash) == 0, "revealCatch: seal not spent");
        } catch (bytes memory reason) {
            ghostRejectedCatches++;
            _expect(!ok, "revealCatch: a valid catch reverted");
            if (outside) {
                ghostOutsideCommittee++;
                bytes memory why = abi.encodeWithSelector(Errors.NotInCommittee.selector, r.taskId, caller);
                _expect(keccak256(reason) == keccak256(why), "revealCatch: a left-out caller not NotInCommittee");
            }
        }
    }

    /// @notice A catcher claims its share (mostly one that revealed a catch and has not claimed): paid
    ///         POT / K once the catch window is over and the result settled, for a catch if the honest
    ///         root stood, for any revealed catch if the result was voided; the first claim closes the
    ///         pot (the seats it owes nothing return to the escrow).
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
        uint8 outcome = settlement(idx - 1);
        uint8 state = caught[key];
        bool ok = block.timestamp > p.catchEndsAt && outcome != 0 && (state == 1 || (outcome == 2 && state == 3));
        uint256 share = ok ? expectedShare() : 0;
        uint256 creditBefore = jackpot.credits(a);
        vm.prank(a);
        try jackpot.claimJackpot(taskId) {
            if (outcome == 0 || (outcome == 1 && state != 1)) ghostPaidWrongly = true;
            if (!ok) {
                _mismatch("claimJackpot: an invalid claim was paid");
                return;
            }
            caught[key] = 2;
            p.claims += 1;
            p.paid += share;
            ghostClaims++;
            if (outcome == 2) ghostVoidedClaims++;
            if (!p.closed) {
                // the first claim closes the pot: the seats it owes nothing return
                p.closed = true;
                p.outcome = outcome;
                p.returned = p.opening - share * payableCatches(idx - 1, outcome);
                ghostEscrow[p.operator] += p.returned;
                ghostCloses++;
            }
            _expect(jackpot.credits(a) == creditBefore + share, "claimJackpot: credit is not the share");
            _expect(
                jackpot.escrowOf(p.operator) == ghostEscrow[p.operator],
                "claimJackpot: the close returned other than the rest"
            );
        } catch (bytes memory reason) {
            _expect(!ok, "claimJackpot: a valid claim reverted");
            if (block.timestamp > p.catchEndsAt && outcome == 0) {
                bytes memory why = abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId);
                _expect(keccak256(reason) == keccak256(why), "claimJackpot: an unsettled result not PotNotSettled");
            }
        }
    }

    /// @notice A catcher of an earlier round of a task forced again claims its share from
    ///         `owedToCatchers` (mostly one that revealed a catch there and has not claimed; else any
    ///         actor, task and round up to the latest, which are refused).
    function claimEarlierCatch(uint256 actorSeed, uint256 taskSeed, uint256 scan) external {
        address a = _actor(actorSeed);
        uint256 taskId = _taskId(taskSeed);
        uint32 latest = tasks[taskId].pot == 0 ? 0 : pots[tasks[taskId].pot - 1].round;
        // forge-lint: disable-next-line(unsafe-typecast) rounds are few
        uint32 round = uint32(scan % (uint256(latest) + 2));
        if (scan % 4 != 0) {
            for (uint256 i = 0; i < pots.length; i++) {
                PotGhost storage q = pots[(scan / 4 + i) % pots.length];
                if (q.owed == 0) continue;
                bool found;
                for (uint256 j = 0; j < ACTORS; j++) {
                    address c = _actor(actorSeed + j);
                    uint8 st = caught[keccak256(abi.encode(q.taskId, q.round, c))];
                    if (st == 1 || st == 3) {
                        (a, taskId, round, found) = (c, q.taskId, q.round, true);
                        break;
                    }
                }
                if (found) break;
            }
            latest = tasks[taskId].pot == 0 ? 0 : pots[tasks[taskId].pot - 1].round;
        }
        bytes32 key = keccak256(abi.encode(taskId, round, a));
        uint8 state = caught[key];
        bool ok = round != 0 && round < latest && (state == 1 || state == 3);
        uint256 share = expectedShare();
        uint256 creditBefore = jackpot.credits(a);
        vm.prank(a);
        try jackpot.claimEarlierCatch(taskId, round) {
            if (!ok) {
                _mismatch("claimEarlierCatch: an invalid claim was paid");
                return;
            }
            PotGhost storage p = pots[potIndex[keccak256(abi.encode(taskId, round))] - 1];
            caught[key] = 2;
            p.claims += 1;
            p.paid += share;
            ghostOwed -= share;
            ghostEarlierClaims++;
            _expect(jackpot.credits(a) == creditBefore + share, "claimEarlierCatch: credit is not the share");
            _expect(jackpot.owedToCatchers() == ghostOwed, "claimEarlierCatch: owedToCatchers");
        } catch (bytes memory reason) {
            _expect(!ok, "claimEarlierCatch: a valid claim reverted");
            bytes memory why = abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, a);
            _expect(keccak256(reason) == keccak256(why), "claimEarlierCatch: reverted with another error");
        }
    }

    /// @notice Anyone closes a task's pot once its catch window is over and its result settled:
    ///         returns the seats it owes nothing (all but the catches if the honest root stood, all but
    ///         the revealed catches if the result was voided) to its operator's escrow, keeping POT / K
    ///         per owed catch for the claims. Three times in four, the first pot from the seed on that
    ///         is open past its catch window.
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
        uint8 outcome = settlement(idx - 1);
        bool ok = !p.closed && block.timestamp > p.catchEndsAt && outcome != 0;
        uint256 returned;
        if (ok) returned = p.opening - expectedShare() * payableCatches(idx - 1, outcome);
        try jackpot.closePot(taskId) {
            if (!ok) {
                _mismatch("closePot: an invalid close succeeded");
                return;
            }
            p.closed = true;
            p.outcome = outcome;
            p.returned = returned;
            ghostCloses++;
            ghostEscrow[p.operator] += returned;
            _expect(jackpot.escrowOf(p.operator) == ghostEscrow[p.operator], "closePot: returned other than predicted");
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
            && sealedAt <= p.sealEndsAt && caught[key] == 0 && inPotCommittee(idx - 1, caller);
    }

    /// @dev Whether the catch would be valid but for the committee (the caller is left out).
    function _outsideCommittee(uint256 taskId, bytes32 state, address caller, bytes32 salt)
        internal
        view
        returns (bool)
    {
        uint256 idx = tasks[taskId].pot;
        if (idx == 0) return false;
        PotGhost storage p = pots[idx - 1];
        uint64 sealedAt = sealGhosts[caller][keccak256(abi.encode(taskId, state, caller, salt))];
        return !p.closed && block.timestamp <= p.catchEndsAt && sealedAt != 0 && sealedAt >= p.submittedAt
            && sealedAt <= p.sealEndsAt && !inPotCommittee(idx - 1, caller);
    }

    /// @dev Three times in four, the first seal from `index` on that would make a valid reveal now (its
    ///         task's pot takes catches, its catcher is in the committee, it is still posted: a catch if
    ///         it names the honest leaf, else a miss); else `index`'s.
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

    /// @dev The first (actor, task) from the seeds on that revealed a catch (or a miss) on the task's
    ///      latest pot and has not claimed; the seeds' own pair if none.
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
            uint8 st = caught[keccak256(abi.encode(t, pots[idx - 1].round, c))];
            if (st == 1 || st == 3) return (c, t);
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
