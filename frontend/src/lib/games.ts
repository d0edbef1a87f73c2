// How the dashboard names a dispute game's status and the stake backing it. The names come from
// the contracts' enums (generated/protocolEnums.ts): a game runs only while the operator's
// collateral backs it — the task's stake (one game at a time) or stake locked for that game alone —
// and otherwise waits in its task's queue, clocks stopped, until it is funded or closed. Pure
// (unit-tested).

import type { DisputeStatusName } from './api';
import { formatEth } from './format';
import { COLLATERAL_KIND_NAMES, GAME_STATUS_NAMES, type CollateralKindName } from './generated/protocolEnums';
import type { Tone } from './lifecycle';

/** Every status an indexed game can have, in the contracts' numbering (NONE: no game). */
export const DISPUTE_STATUSES: DisputeStatusName[] = GAME_STATUS_NAMES.filter((s): s is DisputeStatusName => s !== 'NONE');

export const GAME_STATUS_LABEL: Record<DisputeStatusName, string> = {
  ACTIVE: 'Active',
  OPERATOR_WON: 'Operator won',
  CHALLENGER_WON: 'Challenger won',
  QUEUED: 'Queued',
  WITHDRAWN: 'Withdrawn',
};

export const GAME_STATUS_TONE: Record<DisputeStatusName, Tone> = {
  ACTIVE: 'warn',
  OPERATOR_WON: 'good',
  CHALLENGER_WON: 'bad',
  QUEUED: 'info',
  WITHDRAWN: 'neutral',
};

/** Whether the game is still open (running, or waiting in its task's queue). */
export function gameOpen(status: string): boolean {
  return status === 'ACTIVE' || status === 'QUEUED';
}

export const COLLATERAL_LABEL: Record<CollateralKindName, string> = {
  NONE: 'None yet',
  TASK_STAKE: "Task's stake",
  GAME_STAKE: 'Stake locked for this game',
};

/** The collateral kinds a funded game can have. */
export const FUNDED_KINDS: CollateralKindName[] = COLLATERAL_KIND_NAMES.filter((k) => k !== 'NONE');

/** One line on what backs the game (or why nothing does). */
export function describeCollateral(game: {
  status: string;
  collateral?: string | null;
  collateral_amount?: string | null;
  queue_position?: number | null;
  moot?: boolean | null;
}): string {
  if (game.status === 'QUEUED') {
    const where = game.queue_position === null || game.queue_position === undefined ? '' : ` (position ${game.queue_position})`;
    return `Waiting in the task's queue${where}: the operator's stake backs another game; clocks start when it is funded`;
  }
  if (game.status === 'WITHDRAWN') {
    return game.moot
      ? 'Closed as moot: the result was voided and nothing could back this game; the bond was returned'
      : 'Withdrawn by its challenger while queued; the bond was returned';
  }
  const kind = game.collateral as CollateralKindName | null | undefined;
  if (!kind || kind === 'NONE') return '—';
  const amount = game.collateral_amount ? `${formatEth(game.collateral_amount)} · ` : '';
  return `${amount}${COLLATERAL_LABEL[kind] ?? kind}`;
}

/** An availability challenge: which chunks were named (the `AvailabilityChallenged` move's mask) and
 *  how many arrived on-chain (`ChunkDelivered` moves). */
export function availabilityProgress(moves: readonly { name: string; args: Record<string, unknown> }[]): { named: number; delivered: number; slot: string; step: string } {
  const opened = moves.find((m) => m.name === 'AvailabilityChallenged');
  let named = 0;
  if (opened) {
    let mask = BigInt(String(opened.args.mask ?? '0'));
    while (mask > 0n) {
      named += Number(mask & 1n);
      mask >>= 1n;
    }
  }
  return {
    named,
    delivered: moves.filter((m) => m.name === 'ChunkDelivered').length,
    slot: String(opened?.args.slot ?? '?'),
    step: String(opened?.args.step ?? '?'),
  };
}
