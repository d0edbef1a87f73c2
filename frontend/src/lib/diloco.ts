// A DiLoCo job drawn as a grid: one row per round, one cell per shard's segment task and one for
// the round's outer step, each coloured by its market state. Pure (unit-tested).

import type { DilocoJobDetail, DilocoJobStatusName, DilocoRound, DilocoTaskCell } from './api';
import { formatNumber } from './format';
import { JOB_STATUS_NAMES } from './generated/protocolEnums';
import { STATUS_LABEL, STATUS_TONE, type Tone } from './lifecycle';

/** A cell's state: the task's market status, with a submitted result under dispute told apart. */
export type CellState = 'OPEN' | 'CLAIMED' | 'SUBMITTED' | 'DISPUTED' | 'FINALIZED' | 'VOIDED' | 'REFUNDED' | 'CANCELLED' | 'UNINDEXED';

export function cellState(cell: Pick<DilocoTaskCell, 'status' | 'open_disputes'>): CellState {
  if (cell.status === null) return 'UNINDEXED';
  if (cell.status === 'SUBMITTED' && cell.open_disputes > 0) return 'DISPUTED';
  return cell.status;
}

export function cellLabel(state: CellState): string {
  if (state === 'DISPUTED') return 'Disputed';
  if (state === 'UNINDEXED') return 'Not indexed';
  return STATUS_LABEL[state];
}

export function cellTone(state: CellState): Tone {
  if (state === 'DISPUTED') return 'bad';
  if (state === 'UNINDEXED') return 'neutral';
  return STATUS_TONE[state];
}

/** The statuses a job can have (the contracts' `JobStatus` but NONE), in the contracts' order. */
export const JOB_STATUSES: DilocoJobStatusName[] = JOB_STATUS_NAMES.filter((s): s is DilocoJobStatusName => s !== 'NONE');

export const JOB_STATUS_LABEL: Record<DilocoJobStatusName, string> = {
  TRAINING: 'Training',
  AVERAGING: 'Averaging',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
};

export const JOB_STATUS_TONE: Record<DilocoJobStatusName, Tone> = {
  TRAINING: 'progress',
  AVERAGING: 'info',
  COMPLETED: 'good',
  FAILED: 'bad',
};

export const ROUND_STATUS_LABEL: Record<DilocoRound['status'], string> = {
  TRAINING: 'Training',
  AVERAGING: 'Averaging',
  CLOSED: 'Closed',
};

/** Every round of the job, in order: the posted ones with their cells, the later ones `null` (not started). */
export function gridRounds(job: Pick<DilocoJobDetail, 'rounds' | 'grid'>): { round: number; posted: DilocoRound | null }[] {
  const byRound = new Map(job.grid.map((r) => [r.round, r]));
  return Array.from({ length: Math.max(job.rounds, job.grid.length) }, (_, round) => ({ round, posted: byRound.get(round) ?? null }));
}

/** Finalised tasks of the job's posted rounds, of all its tasks (R·(N + 1)). */
export function jobProgress(job: Pick<DilocoJobDetail, 'rounds' | 'shards' | 'grid'>): { finalized: number; total: number } {
  let finalized = 0;
  for (const round of job.grid) {
    finalized += round.segments.filter((s) => s.status === 'FINALIZED').length;
    if (round.outer?.status === 'FINALIZED') finalized += 1;
  }
  return { finalized, total: job.rounds * (job.shards + 1) };
}

/** A reported loss as text ("—" when none). */
export function lossText(loss: number | null | undefined): string {
  return formatNumber(loss ?? null, 4);
}
