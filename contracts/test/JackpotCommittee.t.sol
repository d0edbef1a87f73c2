// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "./utils/Test.sol";
import {Errors} from "../src/Errors.sol";
import {Jackpot} from "../src/Jackpot.sol";
import {SlotRegistryModel} from "./utils/SlotRegistryModel.sol";
import {Task, TaskStatus} from "../src/Task.sol";
import {Vm} from "./utils/Vm.sol";
import {VmFiles} from "./utils/VmFiles.sol";

/// @notice Forge's JSON cheatcodes for address and bool arrays (at the same address as `Vm`).
interface VmJsonArrays {
    function parseJsonAddressArray(string calldata json, string calldata key) external pure returns (address[] memory);
    function parseJsonBoolArray(string calldata json, string calldata key) external pure returns (bool[] memory);
}

/// @notice The Jackpot's bonded verifier registry and its committees, driven directly: this contract
///         is the jackpot's market (it calls `reserve`, `onSubmitted` and `openPot` and answers
///         `getTask` from a table of fake tasks). The market flow (TaskMarket.submitResult calling
///         `onSubmitted`, the operator's reveal opening the pot) is in ForcedErrors.t.sol. The
///         registry is checked against a reference model kept here: slots (an exit moves the last
///         slot's member into the freed one), each slot's occupant history by registry epoch, and,
///         independently of slots, the set of members at each epoch.
contract JackpotCommitteeTest is Test {
    uint256 internal constant POT = 1 ether + 3; // POT mod K != 0: the remainder returns to the escrow
    uint256 internal constant BOND = 0.5 ether;
    uint256 internal constant K = 4;
    uint64 internal constant SEAL = 2 hours;
    uint64 internal constant CATCH = 6 hours;

    Jackpot internal jackpot;
    address internal operator = makeAddr("operator");
    address[] internal actors;

    struct FakeTask {
        TaskStatus status;
        bytes32 traceRoot;
        uint64 submittedAt;
    }

    mapping(uint256 taskId => FakeTask) internal tasks;
    uint256 internal taskCount;

    // ---- the reference model of the registry
    /// @dev Each slot's member now (swap-and-pop on exit).
    address[] internal refSlots;
    /// @dev Each member's slot, plus one.
    mapping(address account => uint256) internal refIndex;
    /// @dev Each slot's occupants, oldest first.
    mapping(uint256 slot => Jackpot.Occupant[]) internal refHistory;
    uint64 internal refEpoch;
    /// @dev Members after each epoch (index: the epoch).
    uint64[] internal refCounts;
    /// @dev The members now, in join order (a plain set: no slots).
    address[] internal refMembers;
    /// @dev `refMembers` as of each epoch.
    mapping(uint64 epoch => address[]) internal refLive;
    /// @dev The most slots ever held at once.
    uint256 internal refMaxSlots;

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(1000);
        jackpot = new Jackpot(address(this), POT, BOND, K);
        for (uint256 i = 0; i < 8; i++) {
            actors.push(makeAddr(string.concat("actor", vm.toString(i))));
            vm.deal(actors[i], 100 ether);
        }
        vm.deal(operator, 1000 ether);
        refCounts.push(0); // epoch 0: nobody
    }

    /// @notice The jackpot's view of task `taskId`.
    function getTask(uint256 taskId) external view returns (Task memory t) {
        FakeTask storage f = tasks[taskId];
        t.status = f.status;
        t.traceRoot = f.traceRoot;
        t.submittedAt = f.submittedAt;
    }

    // ---------------------------------------------------------------- helpers

    /// @dev `a` joins, in the jackpot and in the model.
    function _register(address a) internal {
        vm.prank(a);
        jackpot.register{value: BOND}();
        _modelJoin(a);
    }

    /// @dev `a` leaves, in the jackpot and in the model.
    function _exit(address a) internal {
        vm.prank(a);
        jackpot.exit();
        _modelExit(a);
    }

    function _contains(address[] memory list, address a) internal pure returns (bool) {
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == a) return true;
        }
        return false;
    }

    /// @dev A new task's result is submitted in this block: reserves a pot of the operator's escrow
    ///      (funding it first) and fixes its committee draw.
    function _submit() internal returns (uint256 taskId) {
        taskId = ++taskCount;
        _resubmit(taskId);
    }

    /// @dev A result of `taskId` (a new one, or again after a void) is submitted in this block.
    function _resubmit(uint256 taskId) internal {
        if (!jackpot.canPay(operator)) {
            vm.prank(operator);
            jackpot.fundEscrow{value: POT}(operator);
        }
        jackpot.reserve(operator);
        tasks[taskId] = FakeTask(
            TaskStatus.Submitted, keccak256(abi.encode("forced", taskId, block.number)), uint64(block.timestamp)
        );
        jackpot.onSubmitted(taskId);
    }

    function _leaf(uint256 taskId) internal pure returns (bytes32) {
        return keccak256(abi.encode("honest leaf", taskId));
    }

    function _sealBy(address a, uint256 taskId) internal {
        _sealState(a, taskId, _leaf(taskId));
    }

    function _sealState(address a, uint256 taskId, bytes32 state) internal {
        vm.prank(a);
        jackpot.seal(keccak256(abi.encode(taskId, state, a, bytes32("salt"))));
    }

    /// @dev After the seal phase the operator reveals: the honest root replaces the forced one, the pot opens.
    function _openPot(uint256 taskId) internal {
        FakeTask storage f = tasks[taskId];
        vm.warp(uint256(f.submittedAt) + SEAL + 1);
        f.traceRoot = keccak256(abi.encode("honest", taskId, f.submittedAt));
        jackpot.openPot(
            taskId,
            operator,
            _leaf(taskId),
            f.traceRoot,
            f.submittedAt,
            f.submittedAt + SEAL,
            f.submittedAt + SEAL + CATCH
        );
    }

    function _reveal(address a, uint256 taskId) internal {
        _revealState(a, taskId, _leaf(taskId));
    }

    function _revealState(address a, uint256 taskId, bytes32 state) internal {
        vm.prank(a);
        jackpot.revealCatch(taskId, state, bytes32("salt"));
    }

    // ---------------------------------------------------------------- the reference model

    function _modelJoin(address a) internal {
        uint64 epoch = ++refEpoch;
        uint256 slot = refSlots.length;
        refSlots.push(a);
        refIndex[a] = slot + 1;
        refHistory[slot].push(Jackpot.Occupant({fromEpoch: epoch, account: a}));
        if (refSlots.length > refMaxSlots) refMaxSlots = refSlots.length;
        refMembers.push(a);
        _modelSnapshot();
    }

    function _modelExit(address a) internal {
        uint64 epoch = ++refEpoch;
        uint256 slot = refIndex[a] - 1;
        uint256 last = refSlots.length - 1;
        if (slot != last) {
            address moved = refSlots[last];
            refSlots[slot] = moved;
            refIndex[moved] = slot + 1;
            refHistory[slot].push(Jackpot.Occupant({fromEpoch: epoch, account: moved}));
        }
        refSlots.pop();
        refIndex[a] = 0;
        uint256 i;
        while (refMembers[i] != a) i++;
        for (; i + 1 < refMembers.length; i++) {
            refMembers[i] = refMembers[i + 1];
        }
        refMembers.pop();
        _modelSnapshot();
    }

    function _modelSnapshot() internal {
        // forge-lint: disable-next-line(unsafe-typecast) test registries are small
        refCounts.push(uint64(refSlots.length));
        refLive[refEpoch] = refMembers;
    }

    /// @dev The model's holder of `slot` as of `epoch` (a linear scan of its history).
    function _refOccupantAt(uint256 slot, uint64 epoch) internal view returns (address) {
        return SlotRegistryModel.occupantAt(refHistory, slot, epoch);
    }

    /// @dev The reference draw (docs/forced-errors.md, `SlotRegistryModel.committee`).
    function _reference(uint256 taskId, bytes32 seed, uint64 epoch, uint64 count)
        internal
        view
        returns (address[] memory)
    {
        if (seed != bytes32(0)) {
            for (uint256 slot = 0; slot < count; slot++) {
                assertTrue(_refOccupantAt(slot, epoch) != address(0), "model: every slot below the count is held");
            }
        }
        return SlotRegistryModel.committee(refHistory, K, taskId, seed, epoch, count);
    }

    /// @dev The committee `c` of a draw as of `epoch` is the reference draw, and holds only members
    ///      of that epoch, each once.
    function _checkDraw(address[] memory c, uint256 taskId, bytes32 seed, uint64 epoch) internal view {
        uint64 count = refCounts[epoch];
        assertEq(keccak256(abi.encode(c)), keccak256(abi.encode(_reference(taskId, seed, epoch, count))), "reference");
        assertLe(c.length, K, "at most K");
        for (uint256 i = 0; i < c.length; i++) {
            assertTrue(_contains(refLive[epoch], c[i]), "a member as of the epoch");
            for (uint256 j = 0; j < i; j++) {
                assertTrue(c[i] != c[j], "distinct");
            }
        }
        if (seed != bytes32(0) && count != 0) assertTrue(c.length != 0, "members and a seed: a committee");
        else assertEq(c.length, 0, "no members or no seed: no committee");
    }

    /// @dev The jackpot's registry is the model's: the live count and epoch, each account's slot,
    ///      each slot's history and its holder at every epoch; and, at every epoch, the slots below the
    ///      count hold exactly the members of that epoch (no dead slot, nobody twice).
    function _checkRegistry() internal view {
        assertEq(jackpot.memberCount(), refSlots.length, "memberCount == live members");
        assertEq(jackpot.registryEpoch(), refEpoch, "registryEpoch");
        assertEq(jackpot.totalBonded(), refSlots.length * BOND, "a bond per live member");
        for (uint256 s = 0; s < refSlots.length; s++) {
            assertEq(jackpot.memberIndexOf(refSlots[s]), s + 1, "memberIndexOf");
        }
        for (uint256 s = 0; s < refMaxSlots; s++) {
            Jackpot.Occupant[] memory h = jackpot.slotHistoryOf(s);
            assertEq(h.length, refHistory[s].length, "slot history length");
            for (uint256 i = 0; i < h.length; i++) {
                assertEq(h[i].account, refHistory[s][i].account, "slot history account");
                assertEq(h[i].fromEpoch, refHistory[s][i].fromEpoch, "slot history epoch");
            }
            for (uint64 e = 0; e <= refEpoch; e++) {
                assertEq(jackpot.occupantAt(s, e), _refOccupantAt(s, e), "occupantAt");
            }
        }
        for (uint64 e = 0; e <= refEpoch; e++) {
            address[] storage live = refLive[e];
            assertEq(refCounts[e], live.length, "the count at each epoch is its members");
            for (uint256 s = 0; s < live.length; s++) {
                address who = jackpot.occupantAt(s, e);
                assertTrue(_contains(live, who), "a slot below the count holds a member of the epoch");
                for (uint256 t = 0; t < s; t++) {
                    assertTrue(jackpot.occupantAt(t, e) != who, "nobody holds two slots");
                }
            }
        }
    }

    /// @dev balance == totalEscrow + pots + credits + owedToCatchers + totalBonded (credits of the
    ///      operator and the actors: the tests that use it credit nobody else).
    function _checkAccounting() internal view {
        uint256 held = jackpot.totalEscrow() + jackpot.totalBonded() + jackpot.owedToCatchers();
        for (uint256 t = 1; t <= taskCount; t++) {
            held += jackpot.potOf(t).amount;
        }
        held += jackpot.credits(operator);
        for (uint256 i = 0; i < actors.length; i++) {
            held += jackpot.credits(actors[i]);
        }
        assertEq(address(jackpot).balance, held, "balance == escrows + pots + credits + owed + bonds");
        uint256 bonded;
        for (uint256 i = 0; i < actors.length; i++) {
            if (jackpot.memberIndexOf(actors[i]) != 0) bonded += BOND;
        }
        assertEq(jackpot.totalBonded(), bonded, "totalBonded == BOND x live members");
    }

    // ---------------------------------------------------------------- the registry

    function test_register_exit_withdraw_reRegister() public {
        address a = actors[0];
        assertEq(jackpot.memberIndexOf(a), 0);
        _register(a);
        assertEq(jackpot.memberIndexOf(a), 1);
        assertEq(jackpot.memberCount(), 1);
        assertEq(jackpot.registryEpoch(), 1);
        assertEq(jackpot.totalBonded(), BOND);
        assertEq(address(jackpot).balance, BOND);
        assertEq(jackpot.occupantAt(0, 0), address(0), "nobody before the first join");
        assertEq(jackpot.occupantAt(0, 1), a);

        vm.roll(block.number + 5);
        _exit(a);
        assertEq(jackpot.memberIndexOf(a), 0);
        assertEq(jackpot.memberCount(), 0, "memberCount is the live count");
        assertEq(jackpot.registryEpoch(), 2, "an exit is an epoch");
        assertEq(jackpot.totalBonded(), 0);
        assertEq(jackpot.credits(a), BOND, "the bond is credited");
        assertEq(jackpot.occupantAt(0, 1), a, "the registry as of epoch 1 still holds it");
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotMember.selector, a));
        jackpot.exit();

        uint256 before = a.balance;
        vm.prank(a);
        jackpot.withdraw();
        assertEq(a.balance, before + BOND);
        assertEq(address(jackpot).balance, 0);
        vm.prank(a);
        vm.expectRevert(Errors.NothingToWithdraw.selector);
        jackpot.withdraw();

        vm.roll(block.number + 1);
        _register(a); // slot 0 again, from epoch 3 on
        assertEq(jackpot.memberCount(), 1);
        assertEq(jackpot.memberIndexOf(a), 1);
        assertEq(jackpot.registryEpoch(), 3);
        Jackpot.Occupant[] memory h = jackpot.slotHistoryOf(0);
        assertEq(h.length, 2);
        assertEq(h[0].account, a);
        assertEq(h[0].fromEpoch, 1);
        assertEq(h[1].account, a);
        assertEq(h[1].fromEpoch, 3);
        assertEq(jackpot.totalBonded(), BOND);
        _checkRegistry();
    }

    /// @notice An exit moves the last slot's member into the freed slot (MemberMoved), so the live
    ///         members always hold slots 0..memberCount-1; the registry as of earlier epochs is kept.
    function test_exit_movesTheLastMemberIntoTheFreedSlot() public {
        (address a, address b, address c) = (actors[0], actors[1], actors[2]);
        vm.expectEmit(true, true, false, true, address(jackpot));
        emit Jackpot.MemberJoined(a, 0, 1, BOND);
        _register(a);
        _register(b);
        _register(c); // epochs 1..3, slots 0..2
        vm.expectEmit(true, false, false, true, address(jackpot));
        emit Jackpot.MemberMoved(c, 2, 0, 4);
        vm.expectEmit(true, true, false, true, address(jackpot));
        emit Jackpot.MemberExited(a, 0, 4, BOND);
        _exit(a);
        assertEq(jackpot.memberCount(), 2);
        assertEq(jackpot.memberIndexOf(c), 1, "c moved into slot 0");
        assertEq(jackpot.memberIndexOf(b), 2);
        assertEq(jackpot.occupantAt(0, 3), a, "slot 0 as of epoch 3");
        assertEq(jackpot.occupantAt(0, 4), c, "slot 0 from epoch 4 on");
        for (uint256 i = 0; i < 64; i++) {
            bytes32 seed = keccak256(abi.encode(i));
            assertFalse(_contains(jackpot.drawCommittee(i, seed, 4, 2), a), "exited: never drawn after");
            _checkDraw(jackpot.drawCommittee(i, seed, 3, 3), i, seed, 3);
            _checkDraw(jackpot.drawCommittee(i, seed, 4, 2), i, seed, 4);
        }
        // the last slot's member exits: nobody moves
        vm.recordLogs();
        _exit(b);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; i++) {
            assertTrue(logs[i].topics[0] != Jackpot.MemberMoved.selector, "nobody moved");
        }
        assertEq(jackpot.memberCount(), 1);
        assertEq(jackpot.slotHistoryOf(1).length, 1, "slot 1 was b's only");
        _exit(c);
        assertEq(jackpot.memberCount(), 0);
        _register(b);
        assertEq(jackpot.memberIndexOf(b), 1, "back in slot 0");
        _checkRegistry();
    }

    function test_register_errors() public {
        address a = actors[0];
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongVerifierBond.selector, 0, BOND));
        jackpot.register();
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongVerifierBond.selector, BOND - 1, BOND));
        jackpot.register{value: BOND - 1}();
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(Errors.WrongVerifierBond.selector, BOND + 1, BOND));
        jackpot.register{value: BOND + 1}();
        _register(a);
        vm.prank(a);
        vm.expectRevert(abi.encodeWithSelector(Errors.AlreadyMember.selector, a));
        jackpot.register{value: BOND}();
        vm.prank(actors[1]);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotMember.selector, actors[1]));
        jackpot.exit();
        assertEq(jackpot.memberCount(), 1);
        assertEq(jackpot.registryEpoch(), 1, "refused calls are no epoch");
        assertEq(jackpot.totalBonded(), BOND);
    }

    function test_marketHooks_areTheMarketsOnly() public {
        vm.prank(actors[0]);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotMarket.selector, actors[0]));
        jackpot.onSubmitted(1);
    }

    /// @notice Random register/exit sequences (the actors, and fresh accounts that join once), with
    ///         results submitted along the way, against the reference model: every slot's history and
    ///         holder at every past epoch, the members at each epoch, drawCommittee at every epoch
    ///         against the reference draw, and each result's committee: the draw as of its
    ///         submission's epoch (members that join later are never in it, members that exit later
    ///         keep their seat, members that exited before are not).
    function testFuzz_registry_matchesTheSlotModel(uint256[32] calldata ops, bytes32 seed) public {
        uint256[] memory submitted = new uint256[](ops.length);
        uint256 results;
        for (uint256 k = 0; k < ops.length; k++) {
            uint256 op = ops[k];
            if (op % 8 == 7) {
                vm.roll(block.number + 1);
                submitted[results++] = _submit();
                Jackpot.CommitteeDraw memory d = jackpot.committeeDrawOf(taskCount);
                assertEq(d.epoch, refEpoch, "the draw is fixed as of the registry's epoch");
                assertEq(d.members, refSlots.length, "and its live count");
                assertEq(d.submitBlock, block.number);
                continue;
            }
            address a;
            if ((op >> 8) % 4 == 0) {
                a = makeAddr(string.concat("fresh", vm.toString(k)));
                vm.deal(a, BOND);
            } else {
                a = actors[(op >> 16) % actors.length];
            }
            if (refIndex[a] == 0) _register(a);
            else _exit(a);
            if ((op >> 24) % 2 == 0) vm.roll(block.number + 1);
        }
        _checkRegistry();
        for (uint64 e = 0; e <= refEpoch; e++) {
            _checkDraw(jackpot.drawCommittee(e, seed, e, refCounts[e]), e, seed, e);
        }
        vm.roll(block.number + 1);
        for (uint256 r = 0; r < results; r++) {
            uint256 taskId = submitted[r];
            Jackpot.CommitteeDraw memory d = jackpot.committeeDrawOf(taskId);
            address[] memory c = jackpot.committeeOf(taskId);
            _checkDraw(c, taskId, blockhash(d.submitBlock), d.epoch);
            for (uint256 i = 0; i < c.length; i++) {
                assertTrue(jackpot.isAssigned(taskId, c[i]));
            }
        }
    }

    // ---------------------------------------------------------------- the draw

    /// @notice A result's committee is drawn from the registry as of its submission: distinct, at most
    ///         K, the reference draw, deterministic, only members live at the submission; members that
    ///         exited before it are never drawn (nor when they rejoin after it), members that exit after
    ///         it keep their seat, members that join after it are never drawn.
    function testFuzz_drawCommittee_properties(
        bytes32 seed,
        uint256 taskId,
        uint8 members,
        uint256 modes,
        uint8 joinersAfter
    ) public {
        (address[] memory m, address[] memory newcomers, uint64 epoch, uint64 count) =
            _propertiesRegistry(members, modes, joinersAfter);
        address[] memory c = jackpot.drawCommittee(taskId, seed, epoch, count);
        _checkDraw(c, taskId, seed, epoch);
        assertEq(
            keccak256(abi.encode(c)),
            keccak256(abi.encode(jackpot.drawCommittee(taskId, seed, epoch, count))),
            "deterministic"
        );
        for (uint256 i = 0; i < c.length; i++) {
            assertFalse(_contains(newcomers, c[i]), "joined after the submission: never drawn");
            for (uint256 j = 0; j < m.length; j++) {
                if (c[i] == m[j]) assertTrue((modes >> (2 * j)) % 4 != 1, "exited before the submission: never drawn");
            }
        }
    }

    /// @dev The registry of testFuzz_drawCommittee_properties: returns its members, the newcomers
    ///      that joined after the submission, and the submission's epoch and count.
    function _propertiesRegistry(uint8 members, uint256 modes, uint8 joinersAfter)
        internal
        returns (address[] memory m, address[] memory newcomers, uint64 epoch, uint64 count)
    {
        uint256 n = bound(members, 1, 24);
        m = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            m[i] = makeAddr(string.concat("member", vm.toString(i)));
            vm.deal(m[i], 2 * BOND);
            _register(m[i]);
        }
        // before the submission: mode 1 exits, mode 3 exits and rejoins (a member again)
        for (uint256 i = 0; i < n; i++) {
            uint256 mode = (modes >> (2 * i)) % 4;
            if (mode == 1 || mode == 3) _exit(m[i]);
            if (mode == 3) _register(m[i]);
        }
        vm.roll(block.number + 1);
        uint256 sub = _submit();
        epoch = jackpot.committeeDrawOf(sub).epoch;
        count = jackpot.committeeDrawOf(sub).members;
        assertEq(epoch, refEpoch);
        assertEq(count, refMembers.length, "the live members at submission");
        // after it: mode 2 exits (keeps its seat), mode 1 rejoins (still never drawn), newcomers join
        for (uint256 i = 0; i < n; i++) {
            uint256 mode = (modes >> (2 * i)) % 4;
            if (mode == 2) _exit(m[i]);
            if (mode == 1) _register(m[i]);
        }
        newcomers = new address[](bound(joinersAfter, 0, 6));
        for (uint256 i = 0; i < newcomers.length; i++) {
            newcomers[i] = makeAddr(string.concat("newcomer", vm.toString(i)));
            vm.deal(newcomers[i], BOND);
            _register(newcomers[i]);
        }
    }

    /// @notice With at most K live members, the committee holds all of them (with 8 draws per seat
    ///         a member is missed with probability below 4 (3/4)^32 ~ 4e-4): over 500 seeds at most 3
    ///         committees miss one.
    function test_drawCommittee_fewMembersAreAllDrawn() public {
        uint64[] memory epochOf = new uint64[](K + 1);
        for (uint256 i = 0; i < K; i++) {
            _register(actors[i]);
            epochOf[i + 1] = jackpot.registryEpoch();
        }
        uint256 misses;
        for (uint256 s = 0; s < 500; s++) {
            uint64 count = uint64(1 + s % K);
            address[] memory c = jackpot.drawCommittee(s, keccak256(abi.encode("seed", s)), epochOf[count], count);
            if (c.length != count) misses++;
            for (uint256 i = 0; i < c.length; i++) {
                assertTrue(uint256(jackpot.memberIndexOf(c[i])) <= count, "within the count");
            }
        }
        assertLe(misses, 3, "all eligible members are drawn whp");
    }

    /// @notice With many members every committee is full (K) and each member is drawn about K / n of
    ///         the time: 16 members, 800 draws, each member drawn 200 +- 60 times.
    function test_drawCommittee_fullAndFair() public {
        address[] memory m = new address[](16);
        for (uint256 i = 0; i < 16; i++) {
            m[i] = makeAddr(string.concat("m", vm.toString(i)));
            vm.deal(m[i], BOND);
            _register(m[i]);
        }
        uint64 epoch = jackpot.registryEpoch();
        uint256[16] memory hits;
        for (uint256 s = 0; s < 800; s++) {
            address[] memory c = jackpot.drawCommittee(7, keccak256(abi.encode(s)), epoch, 16);
            assertEq(c.length, K, "a full committee");
            for (uint256 i = 0; i < c.length; i++) {
                hits[jackpot.memberIndexOf(c[i]) - 1]++;
            }
        }
        for (uint256 i = 0; i < 16; i++) {
            assertTrue(hits[i] > 140 && hits[i] < 260, "each member drawn about K/n of the time");
        }
    }

    VmFiles private constant files = VmFiles(address(vm));
    VmJsonArrays private constant arrays = VmJsonArrays(address(vm));

    /// @notice The shared vectors (vectors/committee_draw.json, also checked by the Python registry
    ///         and draw): each case's registry history replayed action by action (one epoch each)
    ///         leaves the listed epoch, live count and final slots; as of the case's draw epoch the
    ///         slots below its count hold the listed members, and drawCommittee returns the listed
    ///         committee on a jackpot with that committee size.
    function test_drawCommittee_matchesSharedVectors() public {
        string memory json = files.readFile("../vectors/committee_draw.json");
        uint256 cases = files.parseJsonUint(json, ".case_count");
        assertTrue(cases > 0, "vectors present");
        assertEq(files.parseJsonUint(json, ".draws_per_seat"), jackpot.DRAWS_PER_SEAT());
        assertEq(files.parseJsonUint(json, ".max_committee_size"), jackpot.MAX_COMMITTEE_SIZE());
        for (uint256 i = 0; i < cases; i++) {
            string memory key = string.concat(".cases[", vm.toString(i), "]");
            Jackpot j = _replayCase(json, key);
            _checkFinalRegistry(json, key, j, i);
            _checkCommittee(json, key, j, i);
        }
    }

    function _replayCase(string memory json, string memory key) internal returns (Jackpot j) {
        j = new Jackpot(address(this), 1 ether, BOND, files.parseJsonUint(json, string.concat(key, ".committee_size")));
        uint256[] memory blocks = files.parseJsonUintArray(json, string.concat(key, ".history_blocks"));
        address[] memory who = arrays.parseJsonAddressArray(json, string.concat(key, ".history_accounts"));
        bool[] memory joins = arrays.parseJsonBoolArray(json, string.concat(key, ".history_joins"));
        for (uint256 h = 0; h < blocks.length; h++) {
            vm.roll(blocks[h]);
            vm.deal(who[h], BOND);
            vm.prank(who[h]);
            if (joins[h]) j.register{value: BOND}();
            else j.exit();
            assertEq(j.registryEpoch(), h + 1, "each action is one epoch");
        }
    }

    function _checkFinalRegistry(string memory json, string memory key, Jackpot j, uint256 i) internal view {
        string memory which = string.concat(", case ", vm.toString(i));
        uint64 epoch = uint64(files.parseJsonUint(json, string.concat(key, ".registry_epoch")));
        uint256 count = files.parseJsonUint(json, string.concat(key, ".member_count"));
        assertEq(j.registryEpoch(), epoch, string.concat("registry epoch", which));
        assertEq(j.memberCount(), count, string.concat("member count", which));
        if (count == 0) return;
        address[] memory slots = arrays.parseJsonAddressArray(json, string.concat(key, ".final_slots"));
        assertEq(slots.length, count, string.concat("final slots", which));
        for (uint256 s = 0; s < count; s++) {
            assertEq(j.occupantAt(s, epoch), slots[s], string.concat("final slot", which));
            assertEq(j.memberIndexOf(slots[s]), s + 1, string.concat("memberIndexOf", which));
        }
    }

    function _checkCommittee(string memory json, string memory key, Jackpot j, uint256 i) internal view {
        string memory which = string.concat(", case ", vm.toString(i));
        uint64 epoch = uint64(files.parseJsonUint(json, string.concat(key, ".epoch")));
        uint64 count = uint64(files.parseJsonUint(json, string.concat(key, ".count")));
        if (count != 0) {
            address[] memory slots = arrays.parseJsonAddressArray(json, string.concat(key, ".slots"));
            assertEq(slots.length, count, string.concat("slots as of the epoch", which));
            for (uint256 s = 0; s < count; s++) {
                assertEq(j.occupantAt(s, epoch), slots[s], string.concat("slot as of the epoch", which));
            }
        }
        address[] memory c = j.drawCommittee(
            files.parseJsonUint(json, string.concat(key, ".task_id")),
            files.parseJsonBytes32(json, string.concat(key, ".seed")),
            epoch,
            count
        );
        address[] memory members = arrays.parseJsonAddressArray(json, string.concat(key, ".committee"));
        assertEq(c.length, members.length, string.concat("committee size", which));
        for (uint256 k = 0; k < c.length; k++) {
            assertEq(c[k], members[k], string.concat("committee member", which));
        }
    }

    /// @notice The task id enters the draw: two tasks submitted in the same block (same seed) get
    ///         different committees.
    function test_drawCommittee_dependsOnTheTask() public {
        for (uint256 i = 0; i < 8; i++) {
            _register(actors[i]);
        }
        uint64 epoch = jackpot.registryEpoch();
        uint256 differ;
        for (uint256 t = 1; t <= 10; t++) {
            address[] memory a = jackpot.drawCommittee(t, keccak256("seed"), epoch, 8);
            address[] memory b = jackpot.drawCommittee(t + 100, keccak256("seed"), epoch, 8);
            if (keccak256(abi.encode(a)) != keccak256(abi.encode(b))) differ++;
        }
        assertTrue(differ >= 8);
    }

    /// @dev `live` actors join, an operator churns the registry `cycles` times (register, exit: gas
    ///      only, the bond comes back at once) from one account or from fresh ones, then a result is
    ///      submitted and its committee drawn; returns the committee.
    function _churnThenDraw(uint256 live, uint256 cycles, bool fresh) internal returns (address[] memory c) {
        for (uint256 i = 0; i < live; i++) {
            _register(actors[i]);
        }
        address churner = actors[7];
        vm.deal(churner, 1000 ether);
        for (uint256 i = 0; i < cycles; i++) {
            if (fresh) {
                churner = makeAddr(string.concat("churner", vm.toString(i)));
                vm.deal(churner, BOND);
            }
            _register(churner);
            _exit(churner);
        }
        assertEq(jackpot.memberCount(), live, "no dead slots: the count is the live members");
        vm.roll(block.number + 1);
        uint256 taskId = _submit();
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        c = jackpot.committeeOf(taskId);
        for (uint256 i = 0; i < c.length; i++) {
            assertTrue(jackpot.memberIndexOf(c[i]) != 0, "only live members");
        }
    }

    /// @notice Registry churn does not shrink committees (it did when exited entries stayed in an
    ///         append-only registry and each candidate landing on one was skipped: 200 cycles left two
    ///         live members undrawn): an exit frees no slot to draw, so the committee holds every live
    ///         member when there are at most K, and K of them otherwise.
    function test_registryChurn_sameAccount_doesNotShrinkCommittees() public {
        address[] memory c = _churnThenDraw(2, 200, false);
        assertEq(c.length, 2, "fewer live members than K: all of them are drawn");
        assertTrue(_contains(c, actors[0]) && _contains(c, actors[1]));
    }

    function test_registryChurn_freshAccounts_doesNotShrinkCommittees() public {
        address[] memory c = _churnThenDraw(2, 200, true);
        assertEq(c.length, 2, "fewer live members than K: all of them are drawn");
        assertTrue(_contains(c, actors[0]) && _contains(c, actors[1]));
    }

    function test_registryChurn_fullCommitteeStaysFull() public {
        address[] memory c = _churnThenDraw(6, 300, false);
        assertEq(c.length, K, "more live members than K: a full committee");
    }

    /// @notice Churn that moves live members between slots: a hundred accounts join around two live
    ///         members and leave again (each exit moves the last slot's member into the freed slot).
    ///         A result submitted while all were members keeps its committee drawn from all of them;
    ///         one submitted after holds exactly the two live members.
    function test_registryChurn_movingMembersKeepsCommitteesWhole() public {
        address[] memory crowd = new address[](100);
        for (uint256 i = 0; i < 100; i++) {
            crowd[i] = makeAddr(string.concat("crowd", vm.toString(i)));
            vm.deal(crowd[i], BOND);
            _register(crowd[i]);
            if (i == 49) {
                _register(actors[0]);
                _register(actors[1]);
            }
        }
        vm.roll(block.number + 1);
        uint256 before = _submit();
        uint64 epochBefore = refEpoch;
        for (uint256 i = 0; i < 100; i++) {
            _exit(crowd[(i * 37) % 100]); // a scattered order
        }
        assertEq(jackpot.memberCount(), 2);
        vm.roll(block.number + 1);
        uint256 after_ = _submit();
        vm.roll(block.number + 1);
        jackpot.assign(before);
        jackpot.assign(after_);
        address[] memory c = jackpot.committeeOf(before);
        assertEq(c.length, K, "drawn from the 102 members at its submission");
        _checkDraw(c, before, blockhash(jackpot.committeeDrawOf(before).submitBlock), epochBefore);
        c = jackpot.committeeOf(after_);
        assertEq(c.length, 2, "the two live members, wherever their slots moved");
        assertTrue(_contains(c, actors[0]) && _contains(c, actors[1]));
    }

    // ---------------------------------------------------------------- pots

    /// @notice K members all catch: each is paid POT / K, and only POT mod K returns to the escrow.
    function test_fullCommitteeCatches_eachPaidAShare() public {
        for (uint256 i = 0; i < 8; i++) {
            _register(actors[i]);
        }
        vm.roll(block.number + 1);
        uint256 taskId = _submit();
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        address[] memory c = jackpot.committeeOf(taskId);
        assertEq(c.length, K);
        for (uint256 i = 0; i < 8; i++) {
            _sealBy(actors[i], taskId);
        }
        _openPot(taskId);
        uint256 escrow = jackpot.escrowOf(operator);
        for (uint256 i = 0; i < 8; i++) {
            if (_contains(c, actors[i])) {
                _reveal(actors[i], taskId);
            } else {
                vm.prank(actors[i]);
                vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, taskId, actors[i]));
                jackpot.revealCatch(taskId, _leaf(taskId), bytes32("salt"));
            }
        }
        assertEq(jackpot.potOf(taskId).catches, K);
        tasks[taskId].status = TaskStatus.Finalized;
        vm.warp(block.timestamp + CATCH + 1);
        for (uint256 i = 0; i < K; i++) {
            vm.prank(c[i]);
            jackpot.claimJackpot(taskId);
            assertEq(jackpot.credits(c[i]), POT / K);
            if (i == 0) assertEq(jackpot.escrowOf(operator), escrow + POT % K, "only the remainder returns");
        }
        assertEq(jackpot.potOf(taskId).amount, 0);
        _checkAccounting();
    }

    /// @notice Members that exit after the result's submission keep their seat: the whole committee
    ///         leaves (each exit moving another member's slot) and still catches and is paid.
    function test_membersExitingAfterTheSubmission_keepTheirSeats() public {
        for (uint256 i = 0; i < 8; i++) {
            _register(actors[i]);
        }
        vm.roll(block.number + 1);
        uint256 taskId = _submit();
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        address[] memory c = jackpot.committeeOf(taskId);
        assertEq(c.length, K);
        for (uint256 i = 0; i < K; i++) {
            _sealBy(c[i], taskId);
            _exit(c[i]);
        }
        assertEq(jackpot.memberCount(), 8 - K);
        assertEq(keccak256(abi.encode(jackpot.committeeOf(taskId))), keccak256(abi.encode(c)), "the same committee");
        _openPot(taskId);
        for (uint256 i = 0; i < K; i++) {
            assertTrue(jackpot.isAssigned(taskId, c[i]));
            _reveal(c[i], taskId);
        }
        tasks[taskId].status = TaskStatus.Finalized;
        vm.warp(block.timestamp + CATCH + 1);
        for (uint256 i = 0; i < K; i++) {
            vm.prank(c[i]);
            jackpot.claimJackpot(taskId);
            assertEq(jackpot.credits(c[i]), BOND + POT / K, "its bond and its share");
        }
        _checkAccounting();
        _checkRegistry();
    }

    /// @notice The operator's second account knows h_L but is no member: its valid seal is useless.
    function test_nonMemberWithAValidSealCannotCatch() public {
        _register(actors[0]);
        vm.roll(block.number + 1);
        uint256 taskId = _submit();
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        address second = makeAddr("operator's second account");
        _sealBy(second, taskId);
        _openPot(taskId);
        vm.prank(second);
        vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, taskId, second));
        jackpot.revealCatch(taskId, _leaf(taskId), bytes32("salt"));
        assertTrue(jackpot.sealOf(second, keccak256(abi.encode(taskId, _leaf(taskId), second, bytes32("salt")))) != 0);
    }

    /// @dev Two members drawn for a new result; actor 0 seals the honest leaf, actor 1 another state;
    ///      the pot opens and both reveal (a catch and a miss).
    function _caughtAndMissed() internal returns (uint256 taskId) {
        _register(actors[0]);
        _register(actors[1]);
        vm.roll(block.number + 1);
        taskId = _submit();
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        _sealBy(actors[0], taskId);
        _sealState(actors[1], taskId, keccak256("another state"));
        _sealBy(actors[1], taskId); // and a hedge
        _openPot(taskId);
        vm.expectEmit(true, true, false, true, address(jackpot));
        emit Jackpot.CatchRevealed(taskId, actors[0], true, 1, 0);
        _reveal(actors[0], taskId);
        vm.expectEmit(true, true, false, true, address(jackpot));
        emit Jackpot.CatchRevealed(taskId, actors[1], false, 1, 1);
        _revealState(actors[1], taskId, keccak256("another state"));
        assertEq(jackpot.catchOf(taskId, actors[0]), 1, "caught");
        assertEq(jackpot.catchOf(taskId, actors[1]), 3, "missed: recorded, not refused");
        vm.prank(actors[1]);
        vm.expectRevert(abi.encodeWithSelector(Errors.AlreadyCaught.selector, taskId, actors[1]));
        jackpot.revealCatch(taskId, _leaf(taskId), bytes32("salt")); // one reveal per member and round
    }

    /// @notice Claims and closes wait while the result with the revealed root is still Submitted.
    function test_claimAndClose_waitForTheResultToSettle() public {
        uint256 taskId = _caughtAndMissed();
        vm.warp(block.timestamp + CATCH + 1);
        vm.prank(actors[0]);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId));
        jackpot.claimJackpot(taskId);
        vm.expectRevert(abi.encodeWithSelector(Errors.PotNotSettled.selector, taskId));
        jackpot.closePot(taskId);
    }

    /// @notice The honest root stands: only the catch that named the honest leaf is paid; the miss's
    ///         seat returns to the escrow.
    function test_stoodResult_paysTheCatchNotTheMiss() public {
        uint256 taskId = _caughtAndMissed();
        uint256 escrow = jackpot.escrowOf(operator);
        tasks[taskId].status = TaskStatus.Finalized;
        vm.warp(block.timestamp + CATCH + 1);
        vm.prank(actors[1]);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, actors[1]));
        jackpot.claimJackpot(taskId);
        vm.prank(actors[0]);
        jackpot.claimJackpot(taskId);
        assertEq(jackpot.credits(actors[0]), POT / K);
        assertEq(jackpot.escrowOf(operator), escrow + POT - POT / K, "all but the catch's share");
        assertEq(jackpot.potOf(taskId).amount, 0);
        _checkAccounting();
    }

    /// @notice A voided result pays every revealed catch, the miss too (an operator cannot escape its
    ///         catchers by having its own result voided); only the seats with no revealed catch return.
    function test_voidedResult_paysEveryRevealedCatch() public {
        uint256 taskId = _caughtAndMissed();
        uint256 escrow = jackpot.escrowOf(operator);
        tasks[taskId].status = TaskStatus.Voided;
        vm.warp(block.timestamp + CATCH + 1);
        jackpot.closePot(taskId); // a close first keeps both shares
        assertEq(jackpot.escrowOf(operator), escrow + POT - 2 * (POT / K), "the unrevealed seats return");
        assertEq(jackpot.potOf(taskId).amount, 2 * (POT / K));
        for (uint256 i = 0; i < 2; i++) {
            vm.prank(actors[i]);
            jackpot.claimJackpot(taskId);
            assertEq(jackpot.credits(actors[i]), POT / K, "caught or missed: paid");
            assertEq(jackpot.catchOf(taskId, actors[i]), 2, "claimed");
        }
        assertEq(jackpot.potOf(taskId).amount, 0);
        vm.prank(actors[0]);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, actors[0]));
        jackpot.claimJackpot(taskId);
        _checkAccounting();
    }

    /// @notice A voided task forced again after its pot was closed and one catch claimed: the new
    ///         pot moves what the old one still owes (the unclaimed catch) to `owedToCatchers`, and
    ///         that catcher claims it by round.
    function test_reForcedAfterAClaim_theUnclaimedCatchIsOwed() public {
        uint256 taskId = _caughtAndMissed();
        tasks[taskId].status = TaskStatus.Voided;
        vm.warp(block.timestamp + CATCH + 1);
        vm.prank(actors[0]);
        jackpot.claimJackpot(taskId); // closes: the unrevealed seats return
        uint256 share = POT / K;
        assertEq(jackpot.potOf(taskId).amount, share, "the miss's share, unclaimed");

        vm.roll(block.number + 1);
        _resubmit(taskId); // forced again
        vm.roll(block.number + 1);
        jackpot.assign(taskId);
        uint256 escrow = jackpot.escrowOf(operator);
        _openPot(taskId);
        assertEq(jackpot.potOf(taskId).round, 2);
        assertEq(jackpot.potOf(taskId).amount, POT);
        assertEq(jackpot.owedToCatchers(), share, "round 1 owes the miss's share");
        assertEq(jackpot.escrowOf(operator), escrow - POT, "nothing more returns: round 1 was closed");
        assertEq(jackpot.catchOf(taskId, actors[1]), 0, "catchOf reads round 2");
        _checkAccounting();

        for (uint32 round = 0; round <= 3; round += 2) {
            vm.prank(actors[1]);
            vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, actors[1]));
            jackpot.claimEarlierCatch(taskId, round); // 0: no round; 2: the latest
        }
        vm.prank(actors[1]);
        jackpot.claimEarlierCatch(taskId, 1);
        assertEq(jackpot.credits(actors[1]), share);
        assertEq(jackpot.owedToCatchers(), 0);
        vm.prank(actors[0]);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, actors[0]));
        jackpot.claimEarlierCatch(taskId, 1); // claimed already
        vm.prank(actors[1]);
        vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, taskId, actors[1]));
        jackpot.claimEarlierCatch(taskId, 1);
        _checkAccounting();
    }

    // ---------------------------------------------------------------- accounting

    /// @notice Every wei is accounted for across random registrations, exits, withdrawals, escrow
    ///         moves and pots (assigned or not, sealed by random actors with the honest leaf or another
    ///         state, revealed by committee members (catches and misses), finalised or voided, claimed
    ///         or closed): balance == totalEscrow + pots + credits + owedToCatchers + totalBonded; a
    ///         claim pays POT / K, to catches if the honest root stood and to every revealed catch if
    ///         the result was voided; the escrow gets the rest back.
    function testFuzz_accounting(uint256[20] calldata ops) public {
        uint256 open; // a pot opened and not settled yet (task id), 0 if none
        for (uint256 k = 0; k < ops.length; k++) {
            uint256 op = ops[k];
            address a = actors[(op >> 8) % actors.length];
            uint256 what = op % 8;
            if (what == 0 || what == 1) {
                if (jackpot.memberIndexOf(a) == 0) _register(a);
                else _exit(a);
            } else if (what == 2) {
                if (jackpot.credits(a) != 0) {
                    vm.prank(a);
                    jackpot.withdraw();
                }
            } else if (what == 3) {
                vm.prank(a);
                jackpot.fundEscrow{value: 1 + (op >> 16) % 2 ether}(operator);
            } else if (what == 4) {
                uint256 free = jackpot.escrowOf(operator) - jackpot.reservedOf(operator);
                if (free != 0) {
                    vm.prank(operator);
                    jackpot.withdrawEscrow(1 + (op >> 16) % free);
                }
            } else if (what == 5 && open == 0) {
                vm.roll(block.number + 1);
                open = _submit();
                vm.roll(block.number + 1);
                if ((op >> 16) % 4 != 0) jackpot.assign(open); // else the pot draws it
                for (uint256 i = 0; i < actors.length; i++) {
                    if ((op >> (24 + i)) & 1 == 0) continue;
                    // one bit more per actor: the honest leaf, or another state (a miss)
                    _sealState(actors[i], open, _stateOf(op, i, open));
                }
                _openPot(open);
                for (uint256 i = 0; i < actors.length; i++) {
                    if ((op >> (24 + i)) & 1 == 0) continue;
                    bool member = jackpot.isAssigned(open, actors[i]);
                    vm.prank(actors[i]);
                    if (!member) {
                        vm.expectRevert(abi.encodeWithSelector(Errors.NotInCommittee.selector, open, actors[i]));
                    }
                    jackpot.revealCatch(open, _stateOf(op, i, open), bytes32("salt"));
                    if (member) {
                        assertEq(jackpot.catchOf(open, actors[i]), (op >> (40 + i)) & 1 == 0 ? 1 : 3, "catch or miss");
                    }
                }
                Jackpot.Pot memory pot = jackpot.potOf(open);
                assertLe(uint256(pot.catches) + pot.misses, K, "at most K revealed catches");
            } else if (what >= 6 && open != 0) {
                _settle(open, op);
                open = 0;
            }
            _checkAccounting();
        }
        _checkRegistry();
    }

    /// @dev The pot of `open` settles (the honest root stands, or one time in three the result is
    ///      voided), is closed before or after the claims, and every revealed catch claims.
    function _settle(uint256 open, uint256 op) internal {
        vm.warp(block.timestamp + CATCH + 1);
        bool stands = (op >> 16) % 3 != 0;
        tasks[open].status = stands ? TaskStatus.Finalized : TaskStatus.Voided;
        Jackpot.Pot memory pot = jackpot.potOf(open);
        uint256 payable_ = stands ? pot.catches : uint256(pot.catches) + pot.misses;
        uint256 escrow = jackpot.escrowOf(operator);
        if ((op >> 20) % 2 == 0) jackpot.closePot(open);
        uint256 claimed;
        for (uint256 i = 0; i < actors.length; i++) {
            uint8 state = jackpot.catchOf(open, actors[i]);
            if (state == 0) continue;
            uint256 before = jackpot.credits(actors[i]);
            bool pays = state == 1 || !stands;
            vm.prank(actors[i]);
            if (!pays) vm.expectRevert(abi.encodeWithSelector(Errors.NothingToClaim.selector, open, actors[i]));
            jackpot.claimJackpot(open);
            if (pays) {
                assertEq(jackpot.credits(actors[i]), before + POT / K, "a claim pays POT / K");
                claimed++;
            }
        }
        if (!jackpot.potOf(open).closed) jackpot.closePot(open);
        assertEq(claimed, payable_);
        assertEq(jackpot.escrowOf(operator), escrow + POT - payable_ * (POT / K), "the escrow gets back the rest");
        assertEq(jackpot.potOf(open).amount, 0);
    }

    /// @dev What actor `i` seals for task `taskId` in op `op`: the honest leaf, or (bit 40 + i) another state.
    function _stateOf(uint256 op, uint256 i, uint256 taskId) internal pure returns (bytes32) {
        return (op >> (40 + i)) & 1 == 0 ? _leaf(taskId) : keccak256(abi.encode("another state", taskId, i));
    }
}
