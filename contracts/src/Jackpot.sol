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
///         pot that the verifiers that caught the error share by a decaying split (k catchers get
///         pot / (k * 2^(k-1)) each); the rest is burned (a pot nobody caught returns to the escrow).
///         An operator's own accounts can therefore only ever win back its own money, and each extra
///         one beyond the first costs it more than it takes from an honest catcher. Each claimed task
///         reserves a whole pot of its operator's escrow until it settles or its forced error opens
///         the pot. Catches are sealed during the result's seal phase (the
///         seal names no task) and revealed after the operator reveals the forced error; a catch
///         counts only if it names the honest state the operator revealed, which only a verifier that
///         replayed the interval knows.
/// @dev Every wei this contract holds is in `totalEscrow`, in an open pot's `amount`, in `credits`
///      or in `burned` (`test/invariant` checks the sum). Payouts are pull payments (`withdraw`).
contract Jackpot {
    uint256 public constant BPS_DENOMINATOR = 10_000;

    /// @notice Above this many catchers a catcher's share is zero (2^63 divides any pot to nothing).
    uint256 public constant MAX_PAID_CATCHERS = 64;

    /// @notice The market whose forced errors this fund pays for.
    address public immutable MARKET;

    /// @notice Wei a forced error moves from its operator's escrow into its pot; each claim reserves
    ///         this much of the claimant's escrow.
    uint256 public immutable POT;

    struct Pot {
        address operator; // whose escrow funds the pot (and gets it back if nobody caught it or it was voided)
        uint256 amount; // wei still held for this pot: reserved shares until claimed, before close everything
        bytes32 honestLeaf;
        bytes32 traceRoot;
        uint64 submittedAt;
        uint64 sealEndsAt;
        uint64 catchEndsAt;
        uint32 catches;
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

    /// @notice Wei burned: what caught pots did not pay (held here forever, owned by nobody).
    uint256 public burned;

    /// @notice Wei each account may withdraw.
    mapping(address account => uint256) public credits;

    /// @dev Keyed by catcher as well: a seal copied from the mempool by another account is its own
    ///      (useless) seal and cannot squat the catcher's.
    mapping(address catcher => mapping(bytes32 sealHash => uint64 sealedAt)) private seals;

    mapping(uint256 taskId => Pot) private pots;

    /// @dev keccak256(taskId, round, catcher) => 1 caught, 2 caught and claimed.
    mapping(bytes32 key => uint8) private catchState;

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

    event CatchRevealed(uint256 indexed taskId, address indexed catcher, uint32 catches);

    event JackpotClaimed(uint256 indexed taskId, address indexed catcher, uint256 share);

    event PotClosed(
        uint256 indexed taskId, address indexed operator, uint32 round, uint256 returned, uint256 burned, uint256 escrow
    );

    event PotReserved(address indexed operator, uint256 reserved);

    event PotReleased(address indexed operator, uint256 reserved);

    event Withdrawn(address indexed account, uint256 amount);

    /// @param market The TaskMarket (it opens pots and deposits reward shares).
    /// @param pot Wei each forced error's pot takes from its operator's escrow (non-zero).
    constructor(address market, uint256 pot) {
        if (market == address(0)) revert Errors.ZeroAddress();
        if (pot == 0) revert Errors.ZeroPot();
        MARKET = market;
        POT = pot;
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
        // A pot left open can only be a voided result's (a finalised task is never forced again).
        if (p.submittedAt != 0 && !p.closed) _close(taskId, p, p.amount, 0);
        // INVARIANT: the claim reserved this pot, so the escrow holds it.
        uint256 amount = POT;
        reservedOf[operator] -= amount;
        escrowOf[operator] -= amount;
        totalEscrow -= amount;
        uint32 round = p.round + 1;
        pots[taskId] = Pot({
            operator: operator,
            amount: amount,
            honestLeaf: honestLeaf,
            traceRoot: traceRoot,
            submittedAt: submittedAt,
            sealEndsAt: sealEndsAt,
            catchEndsAt: catchEndsAt,
            catches: 0,
            claims: 0,
            round: round,
            closed: false
        });
        emit PotOpened(taskId, operator, round, amount, honestLeaf, sealEndsAt, catchEndsAt);
    }

    /// @notice Reveals a sealed catch of the forced error of `taskId`.
    /// @param taskId The task whose forced error was revealed.
    /// @param state The state the seal named (must equal the revealed honest leaf).
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
        if (state != p.honestLeaf) revert Errors.CatchWrongState(state, p.honestLeaf);
        bytes32 key = keccak256(abi.encode(taskId, p.round, msg.sender));
        if (catchState[key] != 0) revert Errors.AlreadyCaught(taskId, msg.sender);
        catchState[key] = 1;
        delete seals[msg.sender][sealHash];
        uint32 catches = p.catches + 1;
        p.catches = catches;
        emit CatchRevealed(taskId, msg.sender, catches);
    }

    /// @notice Credits the caller's share of the pot of `taskId`: pot / (k * 2^(k-1)) for k catchers.
    ///         Needs the catch window over and the task finalised with the honest root.
    /// @param taskId The task.
    function claimJackpot(uint256 taskId) external {
        Pot storage p = pots[taskId];
        if (p.submittedAt == 0) revert Errors.NoPot(taskId);
        if (block.timestamp <= p.catchEndsAt) revert Errors.CatchWindowOpen(p.catchEndsAt);
        if (!_stood(taskId, p)) revert Errors.PotNotPayable(taskId);
        bytes32 key = keccak256(abi.encode(taskId, p.round, msg.sender));
        if (catchState[key] != 1) revert Errors.NothingToClaim(taskId, msg.sender);
        catchState[key] = 2;
        uint256 share = _share(p);
        if (!p.closed) {
            // close first, so the reserve below is exact
            _close(taskId, p, 0, p.amount - share * p.catches);
        }
        p.amount -= share;
        p.claims += 1;
        credits[msg.sender] += share;
        emit JackpotClaimed(taskId, msg.sender, share);
    }

    /// @notice After the catch window, settles what the pot of `taskId` will not pay: the rest of the
    ///         decaying split is burned if the honest root stood and someone caught it; the whole pot
    ///         returns to the operator's escrow if nobody caught it or the result was voided.
    /// @param taskId The task.
    function closePot(uint256 taskId) external {
        Pot storage p = pots[taskId];
        if (p.submittedAt == 0) revert Errors.NoPot(taskId);
        if (p.closed) revert Errors.PotAlreadyClosed(taskId);
        if (block.timestamp <= p.catchEndsAt) revert Errors.CatchWindowOpen(p.catchEndsAt);
        if (_stood(taskId, p)) {
            uint256 rest = p.amount - _share(p) * p.catches;
            if (p.catches == 0) _close(taskId, p, rest, 0);
            else _close(taskId, p, 0, rest);
        } else {
            Task memory t = IJackpotMarket(MARKET).getTask(taskId);
            // still Submitted with this root: the honest root may yet stand
            if (t.status == TaskStatus.Submitted && t.traceRoot == p.traceRoot && t.submittedAt == p.submittedAt) {
                revert Errors.PotNotSettled(taskId);
            }
            _close(taskId, p, p.amount, 0);
        }
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

    /// @notice Whether `catcher` caught (1) or caught and claimed (2) the latest forced error of `taskId`.
    function catchOf(uint256 taskId, address catcher) external view returns (uint8) {
        return catchState[keccak256(abi.encode(taskId, pots[taskId].round, catcher))];
    }

    /// @notice Each of `catches` catchers' share of a pot of `amount` wei: amount / (k * 2^(k-1)).
    function shareOf(uint256 amount, uint256 catches) public pure returns (uint256) {
        if (catches == 0 || catches > MAX_PAID_CATCHERS) return 0;
        return amount / (catches << (catches - 1));
    }

    /// @notice The seal a catcher posts: keccak256(abi.encode(taskId, state, catcher, salt)).
    function sealHashOf(uint256 taskId, bytes32 state, address catcher, bytes32 salt) external pure returns (bytes32) {
        return keccak256(abi.encode(taskId, state, catcher, salt));
    }

    // ---------------------------------------------------------------- internals

    /// @dev The share of each catcher, from the amount the pot held when it was opened (before any
    ///      claim): reconstructed as amount + claims * share is not needed because the share is taken
    ///      from the opening amount, kept constant until the close.
    function _share(Pot storage p) private view returns (uint256) {
        if (!p.closed) return shareOf(p.amount, p.catches);
        // after the close, amount == (catches - claims) * share
        uint256 left = p.catches - p.claims;
        return left == 0 ? 0 : p.amount / left;
    }

    function _stood(uint256 taskId, Pot storage p) private view returns (bool) {
        Task memory t = IJackpotMarket(MARKET).getTask(taskId);
        return t.status == TaskStatus.Finalized && t.traceRoot == p.traceRoot && t.submittedAt == p.submittedAt;
    }

    function _close(uint256 taskId, Pot storage p, uint256 returned, uint256 burn) private {
        p.closed = true;
        p.amount -= returned + burn;
        address operator = p.operator;
        uint256 escrow = escrowOf[operator] + returned;
        escrowOf[operator] = escrow;
        totalEscrow += returned;
        burned += burn;
        emit PotClosed(taskId, operator, p.round, returned, burn, escrow);
    }

    function _credit(address operator, uint256 taskId, uint256 amount) private {
        uint256 escrow = escrowOf[operator] + amount;
        escrowOf[operator] = escrow;
        totalEscrow += amount;
        emit EscrowFunded(operator, msg.sender, taskId, amount, escrow);
    }
}
