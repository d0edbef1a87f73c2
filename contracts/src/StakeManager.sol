// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Errors} from "./Errors.sol";
import {Owned} from "./Owned.sol";

/// @title StakeManager
/// @notice Holds the stake of operators and challengers, and the protocol's one pull-payment ledger
///         ("credits": rewards, refunds and slash shares, withdrawn by their owners in one call).
///
///         An account's ETH sits in three places:
///         - bonded: staked and slashable. Part of it may be locked by a slasher (the task market for
///           a claimed task, the dispute game for a bond); `free = bonded - locked`.
///         - unbonding: ONE aggregated entry per account. Every `requestUnbond` adds to it and resets
///           its ready time to `now + UNBONDING_DELAY`, so the newest request delays the whole entry.
///           Unbonding stake stays slashable until it is withdrawn.
///         - credit: owed to the account, withdrawn with `withdrawCredit`.
///
///         Slashers are the market and the dispute game. Each keeps its own locks on an account: a
///         slasher can lock, unlock and slash-from-locked only the stake it locked itself, so a slash
///         for one commitment never eats the lock that backs another slasher's commitment.
///
///         Burned ETH. A slash only books its burned part (`totalBurned`); the ETH stays here until
///         anyone calls `flushBurned`, which sends everything booked and not yet sent to BURN_ADDRESS
///         (`totalBurnFlushed` counts it). Burned ETH belongs to no account: no function but
///         `flushBurned` moves it, and it goes nowhere but BURN_ADDRESS. Sending it inside every slash
///         cost a value transfer (9k gas, and 25k more to create BURN_ADDRESS on a fresh chain).
///         INVARIANT: address(this).balance == totalBonded + totalUnbonding + totalCredits
///         + (totalBurned - totalBurnFlushed)
///         (plus any ETH force-sent by selfdestruct, which no ledger owns; there is no receive function).
contract StakeManager is Owned {
    /// @notice Basis-point denominator (100%).
    uint256 public constant BPS_DENOMINATOR = 10_000;

    /// @notice Where the burned part of a slash is sent.
    address public constant BURN_ADDRESS = address(0xdEaD);

    /// @notice Seconds between an unbond request and the earliest withdrawal of the entry.
    uint256 public immutable UNBONDING_DELAY;

    /// @notice Share of a slash (basis points) credited to the winner; the rest is burned.
    uint256 public immutable SLASH_WINNER_BPS;

    /// @dev Index of a slasher's locks in `Account.lockedBy`.
    uint256 private constant MARKET_LOCKS = 0;
    uint256 private constant DISPUTE_GAME_LOCKS = 1;

    struct Account {
        uint256 bonded;
        uint256[2] lockedBy;
        uint256 unbonding;
        uint256 unbondReadyAt;
        uint256 credit;
    }

    /// @notice The task market, allowed to lock, unlock, slash and credit.
    address public market;

    /// @notice The dispute game, allowed to lock, unlock, slash and credit (zero until set).
    address public disputeGame;

    /// @notice Sum of all accounts' bonded stake (locked included).
    uint256 public totalBonded;

    /// @notice Sum of all accounts' unbonding entries.
    uint256 public totalUnbonding;

    /// @notice Sum of all accounts' credits.
    uint256 public totalCredits;

    /// @notice ETH burned by slashes since deployment (booked at the slash; sent to BURN_ADDRESS by
    ///         `flushBurned`).
    uint256 public totalBurned;

    /// @notice The part of `totalBurned` already sent to BURN_ADDRESS (`flushBurned`).
    uint256 public totalBurnFlushed;

    mapping(address account => Account) private accounts;

    /// @notice The market and (possibly zero) dispute game were set.
    /// @param market The task market.
    /// @param disputeGame The dispute game, or zero if it comes later.
    event SlashersSet(address indexed market, address indexed disputeGame);

    /// @notice The dispute game was set after the market.
    /// @param disputeGame The dispute game.
    event DisputeGameSet(address indexed disputeGame);

    /// @notice `account` added stake.
    /// @param account The staker.
    /// @param amount Wei added.
    /// @param bonded The account's bonded stake afterwards.
    event Staked(address indexed account, uint256 amount, uint256 bonded);

    /// @notice `account` moved free stake into its unbonding entry.
    /// @param account The staker.
    /// @param amount Wei moved.
    /// @param unbonding The entry's total afterwards.
    /// @param readyAt When the whole entry can be withdrawn (reset by this request).
    event UnbondRequested(address indexed account, uint256 amount, uint256 unbonding, uint256 readyAt);

    /// @notice `account` moved its whole unbonding entry back to bonded stake.
    /// @param account The staker.
    /// @param amount Wei moved back.
    /// @param bonded The account's bonded stake afterwards.
    event UnbondCancelled(address indexed account, uint256 amount, uint256 bonded);

    /// @notice `account` withdrew its unbonding entry.
    /// @param account The staker (and receiver).
    /// @param amount Wei sent.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice `slasher` locked free stake of `account`.
    /// @param account The staker.
    /// @param slasher The market or the dispute game.
    /// @param amount Wei locked.
    event StakeLocked(address indexed account, address indexed slasher, uint256 amount);

    /// @notice `slasher` released stake of `account` it had locked.
    /// @param account The staker.
    /// @param slasher The market or the dispute game.
    /// @param amount Wei unlocked.
    event StakeUnlocked(address indexed account, address indexed slasher, uint256 amount);

    /// @notice `slasher` paid `amount` of the stake it had locked on `account` to `to`'s credit, whole
    ///         (nothing burned): a challenger's availability bond reimbursing the gas of a delivery.
    /// @param account The staker paying.
    /// @param slasher The dispute game.
    /// @param to Credited `amount`.
    /// @param amount Wei moved from the account's bonded (locked) stake to `to`'s credit.
    event LockedStakePaid(address indexed account, address indexed slasher, address indexed to, uint256 amount);

    /// @notice `slasher` slashed `account`.
    /// @param account The slashed staker.
    /// @param slasher The market or the dispute game.
    /// @param winner Credited `toWinner` (zero: everything burned).
    /// @param fromLocked Wei taken from the slasher's own locks on the account.
    /// @param fromFree Wei taken from the account's free bonded stake.
    /// @param fromUnbonding Wei taken from the account's unbonding entry.
    /// @param toWinner Wei credited to `winner`.
    /// @param burned Wei burned (booked in totalBurned; `flushBurned` sends it to BURN_ADDRESS).
    event Slashed(
        address indexed account,
        address indexed slasher,
        address indexed winner,
        uint256 fromLocked,
        uint256 fromFree,
        uint256 fromUnbonding,
        uint256 toWinner,
        uint256 burned
    );

    /// @notice Burned ETH held here was sent to BURN_ADDRESS.
    /// @param caller Who called `flushBurned`.
    /// @param amount Wei sent (everything burned and not sent before).
    /// @param totalBurnFlushed Wei sent to BURN_ADDRESS since deployment, afterwards (== totalBurned).
    event BurnFlushed(address indexed caller, uint256 amount, uint256 totalBurnFlushed);

    /// @notice `account`'s credit grew (a reward, a refund, or a slash share).
    /// @param account The owner of the credit.
    /// @param from The slasher that credited it.
    /// @param amount Wei added.
    event Credited(address indexed account, address indexed from, uint256 amount);

    /// @notice `account` withdrew its whole credit.
    /// @param account The owner (and receiver).
    /// @param amount Wei sent.
    event CreditWithdrawn(address indexed account, uint256 amount);

    /// @param unbondingDelay Seconds an unbonding entry waits; must exceed the longest challenge window
    ///        plus the longest dispute (the market checks this against its own limits).
    /// @param slashWinnerBps Share of a slash credited to the winner, at most 10000.
    constructor(uint256 unbondingDelay, uint256 slashWinnerBps) {
        if (unbondingDelay == 0) revert Errors.ZeroUnbondingDelay();
        if (slashWinnerBps > BPS_DENOMINATOR) revert Errors.BpsTooHigh(slashWinnerBps, BPS_DENOMINATOR);
        UNBONDING_DELAY = unbondingDelay;
        SLASH_WINNER_BPS = slashWinnerBps;
    }

    modifier onlySlasher() {
        if (msg.sender != market && msg.sender != disputeGame) revert Errors.NotSlasher(msg.sender);
        _;
    }

    // ---------------------------------------------------------------- wiring (owner, once)

    /// @notice Sets the contracts allowed to move stake; callable once.
    /// @param market_ The task market (non-zero).
    /// @param disputeGame_ The dispute game, or zero to set it later with `setDisputeGame`.
    function setSlashers(address market_, address disputeGame_) external onlyOwner {
        if (market != address(0)) revert Errors.SlashersAlreadySet(market, disputeGame);
        if (market_ == address(0)) revert Errors.ZeroAddress();
        if (market_ == disputeGame_) revert Errors.DuplicateSlasher(market_);
        market = market_;
        disputeGame = disputeGame_;
        emit SlashersSet(market_, disputeGame_);
    }

    /// @notice Sets the dispute game if `setSlashers` left it zero; callable once.
    /// @param disputeGame_ The dispute game (non-zero, not the market).
    function setDisputeGame(address disputeGame_) external onlyOwner {
        if (market == address(0)) revert Errors.SlashersNotSet();
        if (disputeGame != address(0)) revert Errors.DisputeGameAlreadySet(disputeGame);
        if (disputeGame_ == address(0)) revert Errors.ZeroAddress();
        if (disputeGame_ == market) revert Errors.DuplicateSlasher(disputeGame_);
        disputeGame = disputeGame_;
        emit DisputeGameSet(disputeGame_);
    }

    // ---------------------------------------------------------------- stakers

    /// @notice Adds msg.value to the caller's bonded stake.
    function stake() external payable {
        if (msg.value == 0) revert Errors.ZeroAmount();
        Account storage a = accounts[msg.sender];
        a.bonded += msg.value;
        totalBonded += msg.value;
        emit Staked(msg.sender, msg.value, a.bonded);
    }

    /// @notice Moves `amount` of the caller's free stake into its unbonding entry and restarts the
    ///         entry's delay: the whole entry (earlier requests included) is ready UNBONDING_DELAY
    ///         seconds from now.
    /// @param amount Wei to unbond, at most the free stake.
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert Errors.ZeroAmount();
        Account storage a = accounts[msg.sender];
        uint256 free = _free(a);
        // INVARIANT: locked stake never starts unbonding.
        if (amount > free) revert Errors.StakeTooLow(free, amount);
        uint256 readyAt = block.timestamp + UNBONDING_DELAY;
        a.bonded -= amount;
        a.unbonding += amount;
        a.unbondReadyAt = readyAt;
        totalBonded -= amount;
        totalUnbonding += amount;
        emit UnbondRequested(msg.sender, amount, a.unbonding, readyAt);
    }

    /// @notice Moves the caller's whole unbonding entry back to bonded stake.
    function cancelUnbond() external {
        Account storage a = accounts[msg.sender];
        uint256 amount = a.unbonding;
        if (amount == 0) revert Errors.NothingUnbonding();
        a.unbonding = 0;
        a.unbondReadyAt = 0;
        a.bonded += amount;
        totalUnbonding -= amount;
        totalBonded += amount;
        emit UnbondCancelled(msg.sender, amount, a.bonded);
    }

    /// @notice Sends the caller its whole unbonding entry once the entry is ready.
    function withdraw() external {
        Account storage a = accounts[msg.sender];
        uint256 amount = a.unbonding;
        if (amount == 0) revert Errors.NothingToWithdraw();
        // INVARIANT: no stake leaves before its unbonding delay (it stays slashable until then).
        if (block.timestamp < a.unbondReadyAt) revert Errors.UnbondingNotReady(a.unbondReadyAt);
        a.unbonding = 0;
        a.unbondReadyAt = 0;
        totalUnbonding -= amount;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Sends the caller its whole credit.
    function withdrawCredit() external {
        Account storage a = accounts[msg.sender];
        uint256 amount = a.credit;
        if (amount == 0) revert Errors.NothingToWithdraw();
        a.credit = 0;
        totalCredits -= amount;
        emit CreditWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Sends every burned wei still held here (`burnPending`) to BURN_ADDRESS. Anyone may call
    ///         it, at any time; it moves only ETH that no account owns.
    /// @dev Reverts `NothingToBurn` if nothing is pending. BURN_ADDRESS has no code, so the send
    ///      cannot fail.
    function flushBurned() external {
        uint256 flushed = totalBurnFlushed;
        uint256 amount = totalBurned - flushed;
        if (amount == 0) revert Errors.NothingToBurn();
        flushed += amount;
        totalBurnFlushed = flushed;
        emit BurnFlushed(msg.sender, amount, flushed);
        _send(BURN_ADDRESS, amount);
    }

    // ---------------------------------------------------------------- slashers

    /// @notice Locks `amount` of `account`'s free stake for the calling slasher.
    /// @param account The staker.
    /// @param amount Wei to lock, at most the account's free stake.
    function lock(address account, uint256 amount) external onlySlasher {
        if (amount == 0) revert Errors.ZeroAmount();
        Account storage a = accounts[account];
        uint256 free = _free(a);
        if (amount > free) revert Errors.StakeTooLow(free, amount);
        a.lockedBy[_slasherIndex()] += amount;
        emit StakeLocked(account, msg.sender, amount);
    }

    /// @notice Releases `amount` of the stake the calling slasher locked on `account`.
    /// @param account The staker.
    /// @param amount Wei to unlock, at most what the caller holds locked on the account.
    function unlock(address account, uint256 amount) external onlySlasher {
        if (amount == 0) revert Errors.ZeroAmount();
        Account storage a = accounts[account];
        uint256 index = _slasherIndex();
        uint256 held = a.lockedBy[index];
        if (amount > held) revert Errors.UnlockExceedsLocked(held, amount);
        a.lockedBy[index] = held - amount;
        emit StakeUnlocked(account, msg.sender, amount);
    }

    /// @notice Slashes up to `amount` of `account`'s stake: first from the stake the CALLER locked on
    ///         the account (that lock shrinks by the same amount), then from free bonded stake, then
    ///         from the unbonding entry. Another slasher's locks are never touched. Caps at what
    ///         exists. Credits `winner` SLASH_WINNER_BPS of the slashed amount (nothing if `winner` is
    ///         zero) and burns the rest (booked in totalBurned, sent by `flushBurned`). A caller that
    ///         slashed less than it had locked for a commitment unlocks the remainder itself with `unlock`.
    ///         A slasher whose locks on one account back several commitments keeps its books exact by
    ///         slashing at most one commitment's lock (the market on a missed deadline, then releasing
    ///         that commitment's rest; the dispute game slashing a game's own collateral), or by
    ///         locking what it is about to slash right before slashing it (the dispute game punishing
    ///         an operator with the task stake the market just released), so the locked part of the
    ///         slash is always the commitment being punished and no other commitment's lock shrinks.
    /// @param account The staker to slash.
    /// @param amount Wei to slash at most.
    /// @param winner Receives the winner's share as credit; zero burns everything.
    /// @return slashed Wei actually taken (`amount` capped at the caller's locks + free + unbonding).
    function slash(address account, uint256 amount, address winner) external onlySlasher returns (uint256 slashed) {
        if (amount == 0) revert Errors.ZeroAmount();
        Account storage a = accounts[account];
        uint256 index = _slasherIndex();

        uint256 fromLocked = _min(amount, a.lockedBy[index]);
        uint256 fromFree = _min(amount - fromLocked, _free(a));
        uint256 fromUnbonding = _min(amount - fromLocked - fromFree, a.unbonding);
        slashed = fromLocked + fromFree + fromUnbonding;

        a.lockedBy[index] -= fromLocked;
        a.bonded -= fromLocked + fromFree;
        totalBonded -= fromLocked + fromFree;
        if (fromUnbonding > 0) {
            a.unbonding -= fromUnbonding;
            totalUnbonding -= fromUnbonding;
            if (a.unbonding == 0) a.unbondReadyAt = 0;
        }

        uint256 toWinner = winner == address(0) ? 0 : slashed * SLASH_WINNER_BPS / BPS_DENOMINATOR;
        uint256 burned = slashed - toWinner;
        // INVARIANT: a slash is split exactly: toWinner + burned == fromLocked + fromFree + fromUnbonding.
        if (toWinner > 0) {
            accounts[winner].credit += toWinner;
            totalCredits += toWinner;
            emit Credited(winner, msg.sender, toWinner);
        }
        totalBurned += burned;
        // The burned part stays here, booked, until `flushBurned` (no value transfer per slash).
        emit Slashed(account, msg.sender, winner, fromLocked, fromFree, fromUnbonding, toWinner, burned);
    }

    /// @notice Pays `amount` of the stake the CALLER locked on `account` to `to`'s credit, whole: the
    ///         lock and the account's bonded stake shrink by `amount`, `to`'s credit grows by it, nothing
    ///         is burned (`LockedStakePaid`, then `Credited`). For payments the staker agreed to when it
    ///         locked (an availability challenger reimbursing the gas of the chunks delivered to it).
    /// @param account The staker paying.
    /// @param amount Wei to pay, at most what the caller holds locked on the account.
    /// @param to Receives the credit (non-zero).
    function payFromLocked(address account, uint256 amount, address to) external onlySlasher {
        if (amount == 0) revert Errors.ZeroAmount();
        if (to == address(0)) revert Errors.ZeroAddress();
        Account storage a = accounts[account];
        uint256 index = _slasherIndex();
        uint256 held = a.lockedBy[index];
        if (amount > held) revert Errors.UnlockExceedsLocked(held, amount);
        a.lockedBy[index] = held - amount;
        a.bonded -= amount;
        totalBonded -= amount;
        accounts[to].credit += amount;
        totalCredits += amount;
        emit LockedStakePaid(account, msg.sender, to, amount);
        emit Credited(to, msg.sender, amount);
    }

    /// @notice Adds msg.value to `account`'s credit (rewards and refunds paid by the market or game).
    /// @param account The owner of the credit.
    function credit(address account) external payable onlySlasher {
        if (msg.value == 0) revert Errors.ZeroAmount();
        if (account == address(0)) revert Errors.ZeroAddress();
        accounts[account].credit += msg.value;
        totalCredits += msg.value;
        emit Credited(account, msg.sender, msg.value);
    }

    // ---------------------------------------------------------------- views

    /// @notice Burned ETH held here that `flushBurned` has not sent to BURN_ADDRESS yet.
    /// @return Wei (totalBurned - totalBurnFlushed).
    function burnPending() external view returns (uint256) {
        return totalBurned - totalBurnFlushed;
    }

    /// @notice Bonded stake of `account` (locked included, unbonding excluded).
    /// @param account The staker.
    /// @return Wei bonded.
    function bondedOf(address account) external view returns (uint256) {
        return accounts[account].bonded;
    }

    /// @notice Stake of `account` locked by the market and the dispute game together.
    /// @param account The staker.
    /// @return Wei locked.
    function lockedOf(address account) external view returns (uint256) {
        Account storage a = accounts[account];
        return a.lockedBy[MARKET_LOCKS] + a.lockedBy[DISPUTE_GAME_LOCKS];
    }

    /// @notice Stake of `account` locked by `slasher` (zero for any other address).
    /// @param account The staker.
    /// @param slasher The market or the dispute game.
    /// @return Wei locked by that slasher.
    function lockedBy(address account, address slasher) external view returns (uint256) {
        if (slasher == address(0)) return 0;
        if (slasher == market) return accounts[account].lockedBy[MARKET_LOCKS];
        if (slasher == disputeGame) return accounts[account].lockedBy[DISPUTE_GAME_LOCKS];
        return 0;
    }

    /// @notice Bonded stake of `account` that is not locked (what it can lock or unbond).
    /// @param account The staker.
    /// @return Wei free.
    function freeOf(address account) external view returns (uint256) {
        return _free(accounts[account]);
    }

    /// @notice The unbonding entry of `account`.
    /// @param account The staker.
    /// @return amount Wei unbonding.
    /// @return readyAt When it can be withdrawn (zero when there is no entry).
    function unbondingOf(address account) external view returns (uint256 amount, uint256 readyAt) {
        Account storage a = accounts[account];
        return (a.unbonding, a.unbondReadyAt);
    }

    /// @notice Credit owed to `account`.
    /// @param account The owner.
    /// @return Wei withdrawable with `withdrawCredit`.
    function creditOf(address account) external view returns (uint256) {
        return accounts[account].credit;
    }

    // ---------------------------------------------------------------- internals

    function _free(Account storage a) private view returns (uint256) {
        // INVARIANT: locked <= bonded (locks come from free stake; slashes shrink both together).
        return a.bonded - a.lockedBy[MARKET_LOCKS] - a.lockedBy[DISPUTE_GAME_LOCKS];
    }

    /// @dev Only called behind `onlySlasher`.
    function _slasherIndex() private view returns (uint256) {
        return msg.sender == market ? MARKET_LOCKS : DISPUTE_GAME_LOCKS;
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert Errors.TransferFailed(to, amount);
    }

    function _min(uint256 x, uint256 y) private pure returns (uint256) {
        return x < y ? x : y;
    }
}
