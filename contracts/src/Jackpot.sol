// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "./Errors.sol";
import {Task, TaskStatus} from "./Task.sol";

interface IJackpotMarket {
    function getTask(uint256 taskId) external view returns (Task memory);
}

/// @title Jackpot
/// @notice Pays verifiers for catching forced errors (docs/forced-errors.md) out of each operator's
///         own escrow: the market feeds an operator's escrow a share of every reward it is paid, the
///         operator (or anyone) may top it up, and each of its forced errors moves `POT` of it into a
///         pot. Only the result's committee may catch it: `COMMITTEE_SIZE` members of the bonded
///         verifier registry, drawn from the hash of the block the result was submitted in, so the
///         operator cannot know them when it commits to its result. Each member that caught the error
///         is paid POT / COMMITTEE_SIZE; what the committee did not catch returns to the escrow, and
///         nothing is burned. An operator's own accounts can only catch if one of its own bonded
///         members is drawn, and then only win back its own money. Each claimed task reserves a whole
///         pot of its operator's escrow until it settles or its forced error opens the pot. Catches
///         are sealed during the result's seal phase (the seal names no task) and revealed after the
///         operator reveals the forced error; a catch counts only if it names the honest state the
///         operator revealed, which only a verifier that replayed the interval knows.
/// @dev Every wei this contract holds is in `totalEscrow`, in a pot's `amount`, in `credits`, in
///      `owedToCatchers` or in `totalBonded` (`test/invariant` checks the sum). Payouts are pull
///      payments (`withdraw`).
contract Jackpot {
    uint256 public constant BPS_DENOMINATOR = 10_000;

    /// @notice The largest committee a deployment may ask for.
    uint256 public constant MAX_COMMITTEE_SIZE = 8;

    /// @notice Candidates drawn per committee seat before the draw gives up on a seat (repeats are
    ///         skipped), which bounds the draw's loop.
    uint256 public constant DRAWS_PER_SEAT = 8;

    /// @notice The market whose forced errors this fund pays for.
    address public immutable MARKET;

    /// @notice Wei a forced error moves from its operator's escrow into its pot; each claim reserves
    ///         this much of the claimant's escrow.
    uint256 public immutable POT;

    /// @notice Wei a verifier bonds to join the registry committees are drawn from (returned on exit).
    uint256 public immutable VERIFIER_BOND;

    /// @notice Members drawn into each result's committee (1..MAX_COMMITTEE_SIZE); each catching
    ///         member is paid POT / COMMITTEE_SIZE.
    uint256 public immutable COMMITTEE_SIZE;

    struct Pot {
        address operator; // whose escrow funds the pot (and gets it back if nobody caught it or it was voided)
        uint256 amount; // wei still held for this pot: reserved shares until claimed, before close everything
        bytes32 honestLeaf;
        bytes32 traceRoot;
        uint64 submittedAt;
        uint64 sealEndsAt;
        uint64 catchEndsAt;
        uint64 committeeBlock; // the block the result was submitted in
        uint64 committeeEpoch; // the registry's epoch then
        uint64 committeeMembers; // its members then
        bytes32 committeeSeed; // blockhash(committeeBlock); zero: no committee (nobody can catch)
        uint32 catches; // revealed catches that name the honest leaf
        uint32 misses; // revealed catches that name another state (paid only if the result is voided)
        uint32 claims;
        uint32 round; // which forced error of the task this is (a voided task may be forced again)
        bool closed;
    }

    /// @notice Each operator's escrow: wei waiting to pay for its forced errors.
    mapping(address operator => uint256) public escrowOf;

    /// @notice The sum of all escrows.
    uint256 public totalEscrow;

    /// @notice Wei of each operator's escrow reserved by its claimed tasks (one pot per task).
    mapping(address operator => uint256) public reservedOf;

    /// @notice Who holds a registry slot from registry epoch `fromEpoch` on.
    struct Occupant {
        uint64 fromEpoch;
        address account;
    }

    /// @notice What a result's committee is drawn from, fixed when the result is submitted: the
    ///         registry as of `epoch`, whose slots 0..members-1 each held one member.
    struct CommitteeDraw {
        uint64 submitBlock;
        uint64 epoch;
        uint64 members;
        bytes32 seed; // blockhash(submitBlock), stored by `assign` while it is available
    }

    /// @notice Wei owed to catches of earlier pots of re-forced tasks (`claimEarlierCatch`).
    uint256 public owedToCatchers;

    /// @notice The sum of all verifier bonds held.
    uint256 public totalBonded;

    /// @notice Each member's registry slot, plus one (zero: not a member).
    mapping(address account => uint256) public memberIndexOf;

    /// @notice Members now: they hold slots 0..memberCount-1 (an exit moves the last slot's member
    ///         into the freed slot, so the registry never holds a dead slot to draw).
    uint64 public memberCount;

    /// @notice Counts registry changes (each join and exit is one epoch); draws read the registry
    ///         as of the epoch of their result's submission.
    uint64 public registryEpoch;

    /// @dev Each slot's occupants, oldest first (binary-searched by epoch).
    mapping(uint256 slot => Occupant[]) private slotHistory;

    mapping(uint256 taskId => CommitteeDraw) private committeeDraws;

    /// @notice Wei each account may withdraw.
    mapping(address account => uint256) public credits;

    /// @dev Keyed by catcher as well: a seal copied from the mempool by another account is its own
    ///      (useless) seal and cannot squat the catcher's.
    mapping(address catcher => mapping(bytes32 sealHash => uint64 sealedAt)) private seals;

    mapping(uint256 taskId => Pot) private pots;

    /// @dev keccak256(taskId, round, catcher) => CAUGHT, MISSED or CLAIMED.
    mapping(bytes32 key => uint8) private catchState;

    uint8 private constant CAUGHT = 1;
    uint8 private constant CLAIMED = 2;
    uint8 private constant MISSED = 3;

    event EscrowFunded(
        address indexed operator, address indexed from, uint256 indexed taskId, uint256 amount, uint256 escrow
    );

    event EscrowWithdrawn(address indexed operator, uint256 amount, uint256 escrow);

    event Sealed(bytes32 indexed sealHash, address indexed catcher);

    event PotOpened(
        uint256 indexed taskId,
        address indexed operator,
        uint32 round,
        uint256 amount,
        bytes32 honestLeaf,
        uint64 sealEndsAt,
        uint64 catchEndsAt
    );

    event MemberJoined(address indexed account, uint256 indexed slot, uint64 epoch, uint256 bond);

    event MemberExited(address indexed account, uint256 indexed slot, uint64 epoch, uint256 bond);

    /// @notice An exit moved the last slot's member into the freed slot.
    event MemberMoved(address indexed account, uint256 fromSlot, uint256 toSlot, uint64 epoch);

    event CommitteeFixed(uint256 indexed taskId, uint64 submitBlock, uint64 epoch, uint64 members);

    event CommitteeDrawn(uint256 indexed taskId, bytes32 seed, address[] committee);

    event CatchRevealed(uint256 indexed taskId, address indexed catcher, bool named, uint32 catches, uint32 misses);

    event JackpotClaimed(uint256 indexed taskId, address indexed catcher, uint256 share);

    event PotClosed(uint256 indexed taskId, address indexed operator, uint32 round, uint256 returned, uint256 escrow);

    event PotReserved(address indexed operator, uint256 reserved);

    event PotReleased(address indexed operator, uint256 reserved);

    event Withdrawn(address indexed account, uint256 amount);

    /// @param market The TaskMarket (it opens pots and deposits reward shares).
    /// @param pot Wei each forced error's pot takes from its operator's escrow (non-zero).
    /// @param verifierBond Wei a verifier bonds to join the registry (non-zero: members cost capital,
    ///        so an operator's own members cost it as much as anyone's).
    /// @param committeeSize Members drawn per result, 1..MAX_COMMITTEE_SIZE.
    constructor(address market, uint256 pot, uint256 verifierBond, uint256 committeeSize) {
        if (market == address(0)) revert Errors.ZeroAddress();
        if (pot == 0) revert Errors.ZeroPot();
        if (verifierBond == 0) revert Errors.ZeroVerifierBond();
        if (committeeSize == 0 || committeeSize > MAX_COMMITTEE_SIZE) {
            revert Errors.CommitteeSizeOutOfRange(committeeSize, MAX_COMMITTEE_SIZE);
        }
        if (pot < committeeSize) revert Errors.ZeroPot();
        MARKET = market;
        POT = pot;
        VERIFIER_BOND = verifierBond;
        COMMITTEE_SIZE = committeeSize;
    }

    modifier onlyMarket() {
        if (msg.sender != MARKET) revert Errors.NotMarket(msg.sender);
        _;
    }

    // ---------------------------------------------------------------- funding

    /// @notice Adds the sent wei to `operator`'s escrow (the operator's agent tops its own up to `POT`).
    /// @param operator The operator whose forced errors the wei will pay for.
    function fundEscrow(address operator) external payable {
        if (operator == address(0)) revert Errors.ZeroAddress();
        if (msg.value == 0) revert Errors.ZeroAmount();
        _credit(operator, 0, msg.value);
    }

    /// @notice The market's share of a reward paid to `operator`, into its escrow.
    /// @param taskId The finalised task.
    /// @param operator Its operator.
    function deposit(uint256 taskId, address operator) external payable onlyMarket {
        _credit(operator, taskId, msg.value);
    }

    /// @notice Withdraws `amount` of the caller's escrow, which must keep what its claimed tasks reserve.
    /// @param amount Wei to withdraw.
    function withdrawEscrow(uint256 amount) external {
        uint256 escrow = escrowOf[msg.sender];
        uint256 reserved = reservedOf[msg.sender];
        if (amount == 0 || amount > escrow) revert Errors.EscrowTooLow(escrow, amount);
        uint256 left = escrow - amount;
        if (left < reserved) revert Errors.EscrowTooLow(left, reserved);
        escrowOf[msg.sender] = left;
        totalEscrow -= amount;
        emit EscrowWithdrawn(msg.sender, amount, left);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert Errors.TransferFailed(msg.sender, amount);
    }

    /// @notice Reserves one pot of `operator`'s escrow for a task it claims.
    /// @param operator The claimant.
    function reserve(address operator) external onlyMarket {
        uint256 reserved = reservedOf[operator];
        uint256 escrow = escrowOf[operator];
        if (escrow < reserved + POT) revert Errors.AuditEscrowTooLow(escrow - reserved, POT);
        reserved += POT;
        reservedOf[operator] = reserved;
        emit PotReserved(operator, reserved);
    }

    /// @notice Releases the pot a task of `operator` reserved: it settled without a forced error.
    /// @param operator The task's operator.
    function release(address operator) external onlyMarket {
        uint256 reserved = reservedOf[operator] - POT;
        reservedOf[operator] = reserved;
        emit PotReleased(operator, reserved);
    }

    // ---------------------------------------------------------------- verifier registry

    /// @notice Joins the verifier registry with a bond of exactly `VERIFIER_BOND`: from the next
    ///         submitted result on, the caller may be drawn into committees.
    function register() external payable {
        if (memberIndexOf[msg.sender] != 0) revert Errors.AlreadyMember(msg.sender);
        if (msg.value != VERIFIER_BOND) revert Errors.WrongVerifierBond(msg.value, VERIFIER_BOND);
        uint64 epoch = ++registryEpoch;
        uint64 slot = memberCount++;
        slotHistory[slot].push(Occupant({fromEpoch: epoch, account: msg.sender}));
        memberIndexOf[msg.sender] = uint256(slot) + 1;
        totalBonded += msg.value;
        emit MemberJoined(msg.sender, slot, epoch, msg.value);
    }

    /// @notice Leaves the registry: the bond is credited (`withdraw`), and the last slot's member
    ///         moves into the caller's slot. Committees of results submitted before the exit keep
    ///         the caller (draws read the registry as of their submission); later ones cannot draw it.
    function exit() external {
        uint256 entry = memberIndexOf[msg.sender];
        if (entry == 0) revert Errors.NotMember(msg.sender);
        uint256 slot = entry - 1;
        uint64 epoch = ++registryEpoch;
        uint64 last = --memberCount;
        memberIndexOf[msg.sender] = 0;
        if (slot != last) {
            Occupant[] storage tail = slotHistory[last];
            address moved = tail[tail.length - 1].account;
            slotHistory[slot].push(Occupant({fromEpoch: epoch, account: moved}));
            memberIndexOf[moved] = slot + 1;
            emit MemberMoved(moved, last, slot, epoch);
        }
        uint256 bond = VERIFIER_BOND;
        totalBonded -= bond;
        credits[msg.sender] += bond;
        emit MemberExited(msg.sender, slot, epoch, bond);
    }

    /// @notice Fixes what the committee of the result just submitted for `taskId` is drawn from: the
    ///         members registered by now, and the hash of this block (known only once it is mined).
    /// @param taskId The task whose result was submitted.
    function onSubmitted(uint256 taskId) external onlyMarket {
        uint64 epoch = registryEpoch;
        uint64 count = memberCount;
        committeeDraws[taskId] =
            CommitteeDraw({submitBlock: uint64(block.number), epoch: epoch, members: count, seed: 0});
        emit CommitteeFixed(taskId, uint64(block.number), epoch, count);
    }

    /// @notice Draws the committee of the latest result of `taskId`: stores the hash of the block it
    ///         was submitted in, which the EVM serves only for 256 blocks (verifiers call this as soon
    ///         as they see the result; a result nobody drew in time has no committee).
    /// @param taskId The task (its result submitted in an earlier block, at most 256 blocks ago).
    function assign(uint256 taskId) external {
        CommitteeDraw storage d = committeeDraws[taskId];
        uint64 submitBlock = d.submitBlock;
        if (submitBlock == 0) revert Errors.NoCommitteeDraw(taskId);
        if (d.seed != bytes32(0)) revert Errors.CommitteeAlreadyDrawn(taskId);
        if (block.number <= submitBlock) revert Errors.CommitteeNotReady(submitBlock, block.number);
        bytes32 seed = blockhash(submitBlock);
        if (seed == bytes32(0)) revert Errors.CommitteeExpired(submitBlock);
        d.seed = seed;
        emit CommitteeDrawn(taskId, seed, _committee(taskId, seed, d.epoch, d.members));
    }

    // ---------------------------------------------------------------- catching

    /// @notice Seals a catch: `sealHash = keccak256(abi.encode(taskId, state, msg.sender, salt))`, where
    ///         `state` is the caller's own commitment h_e at the end e of the first interval whose
    ///         replay differs from the operator's. The seal names no task.
    /// @param sealHash The sealed catch (non-zero, not posted before).
    function seal(bytes32 sealHash) external {
        if (sealHash == bytes32(0)) revert Errors.ZeroSeal();
        if (seals[msg.sender][sealHash] != 0) revert Errors.SealExists(sealHash);
        seals[msg.sender][sealHash] = uint64(block.timestamp);
        emit Sealed(sealHash, msg.sender);
    }

    /// @notice Opens the pot of a forced error the operator of `taskId` just revealed: the pot its claim
    ///         reserved, from the operator's escrow.
    /// @param taskId The task.
    /// @param operator Its operator.
    /// @param honestLeaf The honest h_L: the state a valid catch names.
    /// @param traceRoot The honest trace root that must stand for the pot to pay.
    /// @param submittedAt When the result was submitted (the seal phase starts).
    /// @param sealEndsAt When the seal phase ended.
    /// @param catchEndsAt Until when catches may be revealed.
    function openPot(
        uint256 taskId,
        address operator,
        bytes32 honestLeaf,
        bytes32 traceRoot,
        uint64 submittedAt,
        uint64 sealEndsAt,
        uint64 catchEndsAt
    ) external onlyMarket {
        Pot storage p = pots[taskId];
        // A previous pot can only be a voided result's (a finalised task is never forced again): it
        // owes every catch revealed on it; that moves to `owedToCatchers` (`claimEarlierCatch`).
        if (p.submittedAt != 0) {
            uint256 owed = (POT / COMMITTEE_SIZE) * (uint256(p.catches) + p.misses - p.claims);
            if (!p.closed) _close(taskId, p, p.amount - owed);
            // INVARIANT: a closed voided pot holds exactly its unclaimed shares
            p.amount -= owed;
            owedToCatchers += owed;
        }
        // INVARIANT: the claim reserved this pot, so the escrow holds it.
        uint256 amount = POT;
        reservedOf[operator] -= amount;
        escrowOf[operator] -= amount;
        totalEscrow -= amount;
        uint32 round = p.round + 1;
        CommitteeDraw storage d = committeeDraws[taskId];
        bytes32 seed = d.seed;
        if (seed == bytes32(0) && d.submitBlock != 0 && d.submitBlock < block.number) {
            seed = blockhash(d.submitBlock); // nobody drew it yet: zero if it is too old
            d.seed = seed;
        }
        pots[taskId] = Pot({
            operator: operator,
            amount: amount,
            honestLeaf: honestLeaf,
            traceRoot: traceRoot,
            submittedAt: submittedAt,
            sealEndsAt: sealEndsAt,
            catchEndsAt: catchEndsAt,
            committeeBlock: d.submitBlock,
            committeeEpoch: d.epoch,
            committeeMembers: d.members,
            committeeSeed: seed,
            catches: 0,
            misses: 0,
            claims: 0,
            round: round,
            closed: false
        });
        emit PotOpened(taskId, operator, round, amount, honestLeaf, sealEndsAt, catchEndsAt);
    }

    /// @notice Reveals a sealed catch of the forced error of `taskId` (the caller must be in the
    ///         committee of the result that was forced). A catch that names the revealed honest leaf
    ///         is paid if the honest root stands; any revealed catch is paid if the result is voided
    ///         instead, so an operator cannot escape paying its catchers by having its own result
    ///         voided (it would pay every sealed catch, and lose its stake and reward besides).
    /// @param taskId The task whose forced error was revealed.
    /// @param state The state the seal named.
    /// @param salt The seal's salt.
    function revealCatch(uint256 taskId, bytes32 state, bytes32 salt) external {
        Pot storage p = pots[taskId];
        if (p.submittedAt == 0 || p.closed) revert Errors.NoPot(taskId);
        if (block.timestamp > p.catchEndsAt) revert Errors.CatchWindowClosed(p.catchEndsAt);
        bytes32 sealHash = keccak256(abi.encode(taskId, state, msg.sender, salt));
        uint64 sealedAt = seals[msg.sender][sealHash];
        if (sealedAt == 0) revert Errors.SealNotFound(sealHash);
        if (sealedAt < p.submittedAt || sealedAt > p.sealEndsAt) {
            revert Errors.SealOutsidePhase(sealedAt, p.submittedAt, p.sealEndsAt);
        }
        if (!_inCommittee(taskId, p.committeeSeed, p.committeeEpoch, p.committeeMembers, msg.sender)) {
            revert Errors.NotInCommittee(taskId, msg.sender);
        }
        bytes32 key = keccak256(abi.encode(taskId, p.round, msg.sender));
        if (catchState[key] != 0) revert Errors.AlreadyCaught(taskId, msg.sender);
        delete seals[msg.sender][sealHash];
        bool named = state == p.honestLeaf;
        if (named) {
            catchState[key] = CAUGHT;
            p.catches += 1;
        } else {
            catchState[key] = MISSED;
            p.misses += 1;
        }
        emit CatchRevealed(taskId, msg.sender, named, p.catches, p.misses);
    }

    /// @notice Credits the caller's share of the pot of `taskId`: POT / COMMITTEE_SIZE, however many
    ///         members caught it. Needs the catch window over and the result settled: finalised with
    ///         the honest root (catches that named the honest leaf are paid), or voided (every
    ///         revealed catch is paid).
    /// @param taskId The task.
    function claimJackpot(uint256 taskId) external {
        Pot storage p = pots[taskId];
        if (p.submittedAt == 0) revert Errors.NoPot(taskId);
        if (block.timestamp <= p.catchEndsAt) revert Errors.CatchWindowOpen(p.catchEndsAt);
        bool stood = _settled(taskId, p);
        bytes32 key = keccak256(abi.encode(taskId, p.round, msg.sender));
        uint8 state = catchState[key];
        if (state != CAUGHT && (stood || state != MISSED)) revert Errors.NothingToClaim(taskId, msg.sender);
        catchState[key] = CLAIMED;
        uint256 paid = POT / COMMITTEE_SIZE;
        if (!p.closed) {
            // close first: what no catch is owed returns to the escrow now
            _close(taskId, p, p.amount - paid * _payable(p, stood));
        }
        p.amount -= paid;
        p.claims += 1;
        credits[msg.sender] += paid;
        emit JackpotClaimed(taskId, msg.sender, paid);
    }

    /// @notice Credits the caller's share of an earlier pot of `taskId`, whose result was voided and
    ///         the task forced again before the caller claimed: every catch revealed on it is paid.
    /// @param taskId The task.
    /// @param round The earlier pot's round (below the task's latest).
    function claimEarlierCatch(uint256 taskId, uint32 round) external {
        if (round == 0 || round >= pots[taskId].round) revert Errors.NothingToClaim(taskId, msg.sender);
        bytes32 key = keccak256(abi.encode(taskId, round, msg.sender));
        uint8 state = catchState[key];
        if (state != CAUGHT && state != MISSED) revert Errors.NothingToClaim(taskId, msg.sender);
        catchState[key] = CLAIMED;
        uint256 paid = POT / COMMITTEE_SIZE;
        owedToCatchers -= paid;
        credits[msg.sender] += paid;
        emit JackpotClaimed(taskId, msg.sender, paid);
    }

    /// @notice After the catch window, once the result is settled, returns what the pot of `taskId`
    ///         owes no catch to the operator's escrow: the shares of committee seats that did not
    ///         catch it (if the honest root stood) or did not reveal a catch (if the result was voided).
    /// @param taskId The task.
    function closePot(uint256 taskId) external {
        Pot storage p = pots[taskId];
        if (p.submittedAt == 0) revert Errors.NoPot(taskId);
        if (p.closed) revert Errors.PotAlreadyClosed(taskId);
        if (block.timestamp <= p.catchEndsAt) revert Errors.CatchWindowOpen(p.catchEndsAt);
        bool stood = _settled(taskId, p);
        _close(taskId, p, p.amount - (POT / COMMITTEE_SIZE) * _payable(p, stood));
    }

    /// @notice Sends the caller its credits.
    function withdraw() external {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert Errors.NothingToWithdraw();
        credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert Errors.TransferFailed(msg.sender, amount);
    }

    // ---------------------------------------------------------------- views

    /// @notice Whether `operator`'s escrow holds a whole pot beyond its reservations (what a claim needs).
    function canPay(address operator) external view returns (bool) {
        return escrowOf[operator] >= reservedOf[operator] + POT;
    }

    /// @notice The pot of `taskId`'s latest forced error.
    function potOf(uint256 taskId) external view returns (Pot memory) {
        return pots[taskId];
    }

    /// @notice When `catcher` posted seal `sealHash` (zero if it did not, or revealed it).
    function sealOf(address catcher, bytes32 sealHash) external view returns (uint64) {
        return seals[catcher][sealHash];
    }

    /// @notice `catcher`'s catch of the latest forced error of `taskId`: 0 none, 1 revealed naming the
    ///         honest leaf, 2 claimed, 3 revealed naming another state (paid only if voided).
    function catchOf(uint256 taskId, address catcher) external view returns (uint8) {
        return catchState[keccak256(abi.encode(taskId, pots[taskId].round, catcher))];
    }

    /// @notice What each catching committee member is paid: POT / COMMITTEE_SIZE.
    function share() external view returns (uint256) {
        return POT / COMMITTEE_SIZE;
    }

    /// @notice Who held registry slot `slot` as of registry epoch `epoch` (zero: nobody yet).
    function occupantAt(uint256 slot, uint64 epoch) external view returns (address) {
        return _occupantAt(slot, epoch);
    }

    /// @notice Every occupant registry slot `slot` has had, oldest first.
    function slotHistoryOf(uint256 slot) external view returns (Occupant[] memory) {
        return slotHistory[slot];
    }

    /// @notice What the committee of the latest result of `taskId` is drawn from.
    function committeeDrawOf(uint256 taskId) external view returns (CommitteeDraw memory) {
        return committeeDraws[taskId];
    }

    /// @notice The committee of the latest result of `taskId`: empty until its submit block is mined,
    ///         and for ever if nobody drew it within 256 blocks.
    function committeeOf(uint256 taskId) public view returns (address[] memory) {
        CommitteeDraw storage d = committeeDraws[taskId];
        bytes32 seed = _seedOf(d);
        if (seed == bytes32(0)) return new address[](0);
        return _committee(taskId, seed, d.epoch, d.members);
    }

    /// @notice Whether `account` is in the committee of the latest result of `taskId`.
    function isAssigned(uint256 taskId, address account) external view returns (bool) {
        CommitteeDraw storage d = committeeDraws[taskId];
        return _inCommittee(taskId, _seedOf(d), d.epoch, d.members, account);
    }

    /// @notice The committee of a draw: up to COMMITTEE_SIZE distinct members of the registry as of
    ///         `epoch`, when it had `count` members, picked as the holder (at `epoch`) of slot
    ///         keccak256(abi.encode(seed, taskId, j)) % count for j = 0, 1, ... (at most
    ///         DRAWS_PER_SEAT * COMMITTEE_SIZE candidates), skipping repeats.
    function drawCommittee(uint256 taskId, bytes32 seed, uint64 epoch, uint64 count)
        external
        view
        returns (address[] memory)
    {
        return _committee(taskId, seed, epoch, count);
    }

    /// @notice The seal a catcher posts: keccak256(abi.encode(taskId, state, catcher, salt)).
    function sealHashOf(uint256 taskId, bytes32 state, address catcher, bytes32 salt) external pure returns (bytes32) {
        return keccak256(abi.encode(taskId, state, catcher, salt));
    }

    // ---------------------------------------------------------------- internals

    function _seedOf(CommitteeDraw storage d) private view returns (bytes32) {
        bytes32 seed = d.seed;
        if (seed == bytes32(0) && d.submitBlock != 0 && d.submitBlock < block.number) {
            seed = blockhash(d.submitBlock);
        }
        return seed;
    }

    function _committee(uint256 taskId, bytes32 seed, uint64 epoch, uint64 count)
        private
        view
        returns (address[] memory chosen)
    {
        uint256 size = COMMITTEE_SIZE;
        chosen = new address[](size);
        if (seed == bytes32(0) || count == 0) {
            assembly ("memory-safe") {
                mstore(chosen, 0)
            }
            return chosen;
        }
        uint256 n;
        uint256 tries = size * DRAWS_PER_SEAT;
        for (uint256 j; j < tries && n < size; ++j) {
            address account = _occupantAt(uint256(keccak256(abi.encode(seed, taskId, j))) % count, epoch);
            if (account == address(0)) continue; // never: slots below `count` were held at `epoch`
            bool repeat;
            for (uint256 i; i < n; ++i) {
                if (chosen[i] == account) {
                    repeat = true;
                    break;
                }
            }
            if (!repeat) chosen[n++] = account;
        }
        assembly ("memory-safe") {
            mstore(chosen, n)
        }
    }

    /// @dev The last occupant of `slot` from an epoch at or before `epoch` (binary search).
    function _occupantAt(uint256 slot, uint64 epoch) private view returns (address) {
        Occupant[] storage history = slotHistory[slot];
        uint256 lo;
        uint256 hi = history.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (history[mid].fromEpoch <= epoch) lo = mid + 1;
            else hi = mid;
        }
        return lo == 0 ? address(0) : history[lo - 1].account;
    }

    function _inCommittee(uint256 taskId, bytes32 seed, uint64 epoch, uint64 count, address account)
        private
        view
        returns (bool)
    {
        if (seed == bytes32(0)) return false;
        address[] memory committee = _committee(taskId, seed, epoch, count);
        for (uint256 i; i < committee.length; ++i) {
            if (committee[i] == account) return true;
        }
        return false;
    }

    /// @dev Whether the forced result of pot `p` stood (finalised with the honest root) or not
    ///      (voided: the task moved on); reverts PotNotSettled while it is still being settled.
    function _settled(uint256 taskId, Pot storage p) private view returns (bool stood) {
        Task memory t = IJackpotMarket(MARKET).getTask(taskId);
        bool ours = t.traceRoot == p.traceRoot && t.submittedAt == p.submittedAt;
        if (ours && t.status == TaskStatus.Finalized) return true;
        if (ours && t.status == TaskStatus.Submitted) revert Errors.PotNotSettled(taskId);
        return false;
    }

    /// @dev How many catches a settled pot pays.
    function _payable(Pot storage p, bool stood) private view returns (uint256) {
        return stood ? p.catches : uint256(p.catches) + p.misses;
    }

    function _close(uint256 taskId, Pot storage p, uint256 returned) private {
        p.closed = true;
        p.amount -= returned;
        address operator = p.operator;
        uint256 escrow = escrowOf[operator] + returned;
        escrowOf[operator] = escrow;
        totalEscrow += returned;
        emit PotClosed(taskId, operator, p.round, returned, escrow);
    }

    function _credit(address operator, uint256 taskId, uint256 amount) private {
        uint256 escrow = escrowOf[operator] + amount;
        escrowOf[operator] = escrow;
        totalEscrow += amount;
        emit EscrowFunded(operator, msg.sender, taskId, amount, escrow);
    }
}
