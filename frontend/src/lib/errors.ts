// Contract custom errors (contracts/src/Errors.sol) and wallet/RPC failures, told in words.

import { formatCountdown, formatDuration, formatEth, formatTimestamp, shortAddress, shortHash } from './format';

/** TaskStatus of contracts/src/Task.sol, by its uint8. */
export const TASK_STATUS = ['None', 'Open', 'Claimed', 'Submitted', 'Finalized', 'Cancelled', 'Refunded', 'Voided'] as const;
/** RootKind of contracts/src/Task.sol. */
export const ROOT_KIND = ['spec hash', 'dataset root', 'initial-state root', 'graph root', 'trace root', 'model hash', 'checkpoint manifest', 'final state root'] as const;
/** Level, Party and GameStatus of contracts/src/DisputeTypes.sol. */
export const LEVEL = ['none', 'steps', 'step start', 'nodes', 'node start', 'output root', 'element', 'intermediates', 'instruction', 'one step', 'availability'] as const;
export const PARTY = ['challenger', 'operator'] as const;
export const GAME_STATUS = ['none', 'active', 'operator won', 'challenger won'] as const;

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(String(v ?? 0)));
const num = (v: unknown): number => Number(v ?? 0);
const pick = (names: readonly string[], v: unknown) => names[num(v)] ?? `#${String(v)}`;
const when = (v: unknown, now: number) => `${formatTimestamp(num(v))} (${formatCountdown(num(v), now)})`;

type Describe = (args: readonly unknown[], now: number) => string;

/** One sentence per error: what went wrong and, where it helps, what to do. */
const MESSAGES: Record<string, Describe> = {
  // ownership and wiring
  NotOwner: ([caller, owner]) => `Only the owner ${shortAddress(String(owner))} may do this (you are ${shortAddress(String(caller))}).`,
  ZeroAddress: () => 'An address that must be set is zero.',
  NotSlasher: ([caller]) => `${shortAddress(String(caller))} is neither the market nor the dispute game.`,
  NotDisputeGame: ([caller]) => `${shortAddress(String(caller))} is not the dispute game.`,
  // stake and credits
  ZeroAmount: () => 'The amount must be more than zero.',
  StakeTooLow: ([available, required]) =>
    `Not enough free stake: ${formatEth(big(available))} available, ${formatEth(big(required))} needed. Stake more first.`,
  UnlockExceedsLocked: ([locked, amount]) => `Cannot unlock ${formatEth(big(amount))}: only ${formatEth(big(locked))} is locked.`,
  NothingUnbonding: () => 'Nothing is unbonding.',
  NothingToWithdraw: () => 'There is nothing to withdraw.',
  UnbondingNotReady: ([readyAt], now) => `The unbonding stake can be withdrawn only from ${when(readyAt, now)}.`,
  TransferFailed: ([to, amount]) => `Sending ${formatEth(big(amount))} to ${shortAddress(String(to))} failed (the receiver reverted).`,
  // posting a task
  ZeroReward: () => 'The reward must be more than zero.',
  DeadlineInPast: ([deadline, timestamp]) =>
    `The deadline ${formatTimestamp(num(deadline))} is not after the chain's time ${formatTimestamp(num(timestamp))}: choose a later deadline.`,
  ZeroSteps: () => 'The task must train at least one step.',
  BadCheckpointInterval: ([every, steps]) => `The checkpoint interval ${String(every)} must be between 1 and the number of steps (${String(steps)}).`,
  ChallengeWindowOutOfRange: ([window, min, max]) =>
    `The challenge window of ${formatDuration(num(window))} is out of range: this market takes ${formatDuration(num(min))} to ${formatDuration(num(max))}.`,
  MinStakeBelowFloor: ([minStake, floor]) =>
    `The required operator stake ${formatEth(big(minStake))} is below this market's floor of ${formatEth(big(floor))}: ask for at least that much.`,
  EmptySpecURI: () => 'The task has no spec URI: upload the spec first.',
  ZeroRoot: ([which]) => `The ${pick(ROOT_KIND, which)} is zero.`,
  // task life cycle
  WrongStatus: ([taskId, actual, expected]) =>
    `Task #${String(taskId)} is ${pick(TASK_STATUS, actual).toLowerCase()}, but this needs it ${pick(TASK_STATUS, expected).toLowerCase()}.`,
  NotSubmitter: ([caller, submitter]) => `Only the task's submitter ${shortAddress(String(submitter))} may do this (you are ${shortAddress(String(caller))}).`,
  SelfClaim: () => 'A submitter cannot claim its own task.',
  DeadlinePassed: ([deadline], now) => `The task's deadline passed (${when(deadline, now)}).`,
  ClaimNotTimedOut: ([timeoutAt], now) => `The operator may still submit: its claim can be evicted after ${when(timeoutAt, now)}.`,
  DeadlineNotPassed: ([deadline], now) => `The deadline has not passed yet: the task can expire after ${when(deadline, now)}.`,
  NotExpirable: ([taskId, status]) => `Task #${String(taskId)} is ${pick(TASK_STATUS, status).toLowerCase()}: only open or claimed tasks expire.`,
  NotOperator: ([caller, operator]) => `Only the task's operator ${shortAddress(String(operator))} may do this (you are ${shortAddress(String(caller))}).`,
  FinalStateNotInTrace: ([finalState, traceRoot]) =>
    `The final state ${shortHash(String(finalState))} is not h_S of the trace ${shortHash(String(traceRoot))}: a result must name the last state of its own trace.`,
  ChallengeWindowClosed: ([endsAt], now) => `The challenge window closed ${when(endsAt, now)}.`,
  ChallengeWindowOpen: ([endsAt], now) => `The challenge window is still open: the task can be finalised after ${when(endsAt, now)}.`,
  DisputesOpen: ([count]) => `${String(count)} dispute(s) are still open on this result; it can be finalised once they end.`,
  NoOpenDispute: ([taskId]) => `Task #${String(taskId)} has no open dispute.`,
  // dispute game
  ChallengerIsOperator: ([taskId]) => `The operator cannot challenge its own result on task #${String(taskId)}.`,
  SameTraceRoot: ([root]) => `The challenger's trace root ${shortHash(String(root))} equals the operator's: nothing differs.`,
  GameNotActive: ([gameId, status]) => `Dispute #${String(gameId)} takes no moves: it is ${pick(GAME_STATUS, status)}.`,
  WrongLevel: ([gameId, actual, expected]) => `Dispute #${String(gameId)} is at level "${pick(LEVEL, actual)}", not "${pick(LEVEL, expected)}".`,
  NotDescending: ([gameId, level]) => `Dispute #${String(gameId)} is at "${pick(LEVEL, level)}", which is no descent.`,
  NotOnTurn: ([caller, onTurn]) => `It is ${shortAddress(String(onTurn))}'s turn, not ${shortAddress(String(caller))}'s.`,
  NotParty: ([caller]) => `${shortAddress(String(caller))} is not a party to this dispute.`,
  ClockExpired: ([party, spent, max]) =>
    `The ${pick(PARTY, party)}'s clock ran out (${formatDuration(num(spent))} of ${formatDuration(num(max))} used): claim the timeout instead.`,
  ClockNotExpired: ([party, spent, max, deadline], now) =>
    `The ${pick(PARTY, party)}'s clock is still running (${formatDuration(num(spent))} of ${formatDuration(num(max))} used); it may move until ${when(deadline, now)}.`,
};

/** A custom error in words; unknown errors are shown by name and arguments. */
export function describeContractError(name: string, args: readonly unknown[] = [], now = Date.now() / 1000): string {
  const describe = MESSAGES[name];
  if (describe) {
    try {
      return describe(args, now);
    } catch {
      /* fall through to the raw form */
    }
  }
  const shown = args.map((a) => (typeof a === 'bigint' ? a.toString() : typeof a === 'string' ? a : JSON.stringify(a)));
  return `The contract rejected the call: ${name}(${shown.join(', ')}).`;
}

interface ErrorLike {
  name?: string;
  shortMessage?: string;
  message?: string;
  details?: string;
  code?: number;
  cause?: unknown;
  data?: unknown;
  signature?: string;
}

function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = error;
  for (let i = 0; i < 12 && current && typeof current === 'object'; i++) {
    out.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  return out;
}

/**
 * Any failure of a contract call or transaction, told in words: a decoded custom error, a rejected
 * signature, missing funds, a wrong network, an unreachable RPC, or the library's short message.
 */
export function explainError(error: unknown, now = Date.now() / 1000): string {
  const links = chain(error);
  for (const e of links) {
    // viem's ContractFunctionRevertedError carries the decoded custom error in `data`.
    const data = e.data as { errorName?: string; args?: readonly unknown[] } | undefined;
    if (e.name === 'ContractFunctionRevertedError' && data?.errorName) {
      if (data.errorName === 'Error' && data.args?.[0]) return `The contract reverted: ${String(data.args[0])}`;
      if (data.errorName === 'Panic') return `The contract panicked (code ${String(data.args?.[0])}).`;
      return describeContractError(data.errorName, data.args ?? [], now);
    }
    if (e.name === 'ContractFunctionRevertedError' && e.signature) {
      return `The contract reverted with an unknown error ${e.signature}.`;
    }
  }
  for (const e of links) {
    if (e.name === 'UserRejectedRequestError' || e.code === 4001) return 'You rejected the request in your wallet.';
    if (e.name === 'InsufficientFundsError') return 'The account does not have enough ETH for the value plus gas.';
    if (e.name === 'ChainMismatchError') return "The wallet is on another network: switch it to the dashboard's chain.";
    if (e.name === 'ConnectorNotConnectedError') return 'Connect a wallet (or use developer mode on a devnet) first.';
    if (e.name === 'HttpRequestError' || e.name === 'TimeoutError') return `Cannot reach the chain's RPC: ${e.shortMessage ?? e.message ?? ''}`.trim();
    if (e.name === 'ApiError') return e.message ?? 'The API refused the request.';
  }
  const first = links[0];
  if (!first) return String(error);
  return first.shortMessage ?? first.message ?? String(error);
}
