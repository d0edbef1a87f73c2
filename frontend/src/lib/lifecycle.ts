// A task's life drawn as phases: posted → claimed → training → submitted → challenge window →
// finalised, or voided (operator slashed) / refunded / cancelled. Pure (unit-tested).

import type { ChainEvent, Progress, Task, TaskStatusName } from './api';
import { formatCountdown, formatEth } from './format';

const ZERO = `0x${'0'.repeat(40)}`;

export type PhaseState = 'done' | 'active' | 'pending' | 'failed' | 'skipped';

export interface Phase {
  key: 'posted' | 'claimed' | 'training' | 'submitted' | 'window' | 'outcome';
  label: string;
  state: PhaseState;
  time?: number | null;
  tx?: string | null;
  detail?: string;
}

export const STATUS_LABEL: Record<TaskStatusName, string> = {
  OPEN: 'Posted',
  CLAIMED: 'Training',
  SUBMITTED: 'Submitted',
  FINALIZED: 'Finalised',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
  VOIDED: 'Voided',
};

export type Tone = 'neutral' | 'info' | 'progress' | 'warn' | 'good' | 'bad';

export const STATUS_TONE: Record<TaskStatusName, Tone> = {
  OPEN: 'info',
  CLAIMED: 'progress',
  SUBMITTED: 'warn',
  FINALIZED: 'good',
  CANCELLED: 'neutral',
  REFUNDED: 'neutral',
  VOIDED: 'bad',
};

/** The newest event of `name` in a timeline (oldest first). */
export function lastEvent(events: ChainEvent[], name: string): ChainEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].name === name) return events[i];
  return undefined;
}

const ORDER: TaskStatusName[] = ['OPEN', 'CLAIMED', 'SUBMITTED', 'FINALIZED'];

/** Seconds left in the challenge window (negative once over); null before submission. */
export function challengeSecondsLeft(task: Pick<Task, 'challenge_ends_at'>, now: number): number | null {
  return task.challenge_ends_at === null ? null : task.challenge_ends_at - now;
}

/** Training progress in [0, 1] from the latest report (null before any). */
export function trainingFraction(task: Pick<Task, 'steps'>, latest: Pick<Progress, 'step'> | null | undefined): number | null {
  if (!latest || task.steps <= 0) return null;
  return Math.max(0, Math.min(1, latest.step / task.steps));
}

/** Seconds until training ends at the latest reported speed (null if unknown). */
export function trainingEta(task: Pick<Task, 'steps'>, latest: Pick<Progress, 'step' | 'steps_per_s'> | null | undefined): number | null {
  if (!latest || !(latest.steps_per_s > 0)) return null;
  return Math.max(0, (task.steps - latest.step) / latest.steps_per_s);
}

export function taskPhases(task: Task, events: ChainEvent[], latest: Progress | null, now: number): Phase[] {
  const status = task.status;
  const reached = (s: TaskStatusName) => {
    const i = ORDER.indexOf(status);
    return i >= 0 && i >= ORDER.indexOf(s);
  };
  const posted = lastEvent(events, 'TaskPosted');
  const claimed = lastEvent(events, 'TaskClaimed');
  const submitted = lastEvent(events, 'ResultSubmitted');
  const finalized = lastEvent(events, 'TaskFinalized');
  const voided = lastEvent(events, 'TaskVoided');
  const refunded = lastEvent(events, 'TaskRefunded');
  const cancelled = lastEvent(events, 'TaskCancelled');
  const expired = lastEvent(events, 'TaskExpired');
  const reopened = lastEvent(events, 'TaskReopened');

  const phases: Phase[] = [];
  phases.push({
    key: 'posted',
    label: 'Posted',
    state: 'done',
    time: task.posted_at,
    tx: posted?.tx_hash ?? task.posted_tx,
    detail: `${formatEth(task.reward)} in escrow${reopened ? ' · reopened after a voided result' : ''}`,
  });

  const wasClaimed = task.claimed_at !== null || reached('CLAIMED') || status === 'VOIDED' || (status === 'REFUNDED' && !!expired && expired.args.operator !== ZERO);
  const claimState: PhaseState = status === 'CANCELLED' || (status === 'REFUNDED' && !wasClaimed) ? 'skipped' : wasClaimed ? 'done' : 'active';
  phases.push({
    key: 'claimed',
    label: 'Claimed',
    state: claimState,
    time: task.claimed_at ?? claimed?.timestamp ?? null,
    tx: wasClaimed ? claimed?.tx_hash : null,
    detail: wasClaimed && task.operator ? `by operator ${task.operator}` : claimState === 'active' ? 'waiting for a staked operator' : undefined,
  });

  const fraction = trainingFraction(task, latest);
  const wasSubmitted = task.submitted_at !== null || reached('SUBMITTED') || status === 'VOIDED';
  let trainState: PhaseState = 'pending';
  if (wasSubmitted) trainState = 'done';
  else if (status === 'CLAIMED') trainState = 'active';
  else if (status === 'REFUNDED' && wasClaimed) trainState = 'failed';
  else if (claimState === 'skipped') trainState = 'skipped';
  phases.push({
    key: 'training',
    label: 'Training',
    state: trainState,
    time: latest?.reported_at ?? null,
    detail:
      fraction !== null
        ? `step ${latest!.step} of ${task.steps} (${Math.round(fraction * 100)}%)`
        : trainState === 'active'
          ? 'no progress reported yet'
          : trainState === 'failed'
            ? 'the operator missed the deadline'
            : undefined,
  });

  phases.push({
    key: 'submitted',
    label: 'Submitted',
    state: wasSubmitted ? 'done' : trainState === 'failed' || trainState === 'skipped' ? 'skipped' : 'pending',
    time: task.submitted_at ?? submitted?.timestamp ?? null,
    tx: wasSubmitted ? submitted?.tx_hash : null,
    detail: wasSubmitted && task.trace_root ? `trace root ${task.trace_root}` : undefined,
  });

  const left = challengeSecondsLeft(task, now);
  let windowState: PhaseState = 'pending';
  let windowDetail: string | undefined;
  if (status === 'SUBMITTED') {
    if (task.open_disputes > 0) {
      windowState = 'active';
      windowDetail = `${task.open_disputes} dispute${task.open_disputes === 1 ? '' : 's'} open`;
    } else if (left !== null && left > 0) {
      windowState = 'active';
      windowDetail = `closes ${formatCountdown(task.challenge_ends_at!, now)}`;
    } else {
      windowState = 'done';
      windowDetail = 'closed without a successful challenge: anyone may finalise';
    }
  } else if (status === 'FINALIZED') {
    windowState = 'done';
    windowDetail = 'closed without a successful challenge';
  } else if (status === 'VOIDED' || (voided && status !== 'CLAIMED')) {
    windowState = 'failed';
    windowDetail = 'a challenger won a dispute';
  } else if (!wasSubmitted) {
    windowState = phases[3].state === 'skipped' ? 'skipped' : 'pending';
  }
  phases.push({ key: 'window', label: 'Challenge window', state: windowState, time: task.challenge_ends_at, detail: windowDetail });

  let outcome: Phase = { key: 'outcome', label: 'Finalised', state: 'pending' };
  if (status === 'FINALIZED') {
    outcome = { key: 'outcome', label: 'Finalised', state: 'done', time: task.settled_at ?? finalized?.timestamp, tx: finalized?.tx_hash, detail: `${formatEth(task.reward)} paid to the operator` };
  } else if (status === 'VOIDED') {
    outcome = { key: 'outcome', label: 'Voided · operator slashed', state: 'failed', time: voided?.timestamp, tx: voided?.tx_hash, detail: 'waiting for the other disputes on this result, then reopens or refunds' };
  } else if (status === 'REFUNDED') {
    outcome = {
      key: 'outcome',
      label: expired && expired.args.operator !== ZERO ? 'Refunded · operator slashed' : 'Refunded',
      state: 'failed',
      time: task.settled_at ?? refunded?.timestamp,
      tx: refunded?.tx_hash,
      detail: `${formatEth(task.reward)} back to the submitter`,
    };
  } else if (status === 'CANCELLED') {
    outcome = { key: 'outcome', label: 'Cancelled', state: 'failed', time: task.settled_at ?? cancelled?.timestamp, tx: cancelled?.tx_hash, detail: 'withdrawn by the submitter before any claim' };
  }
  phases.push(outcome);
  return phases;
}


