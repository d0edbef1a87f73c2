import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DilocoGrid } from '../src/components/DilocoGrid';
import type { DilocoJobDetail, DilocoRound, DilocoSegmentCell, DilocoTaskCell } from '../src/lib/api';
import { JOB_STATUSES, JOB_STATUS_LABEL, cellState, gridRounds, jobProgress } from '../src/lib/diloco';
import { JOB_STATUS_NAMES } from '../src/lib/generated/protocolEnums';

const H = `0x${'11'.repeat(32)}`;
const ROOT = `0x${'ab'.repeat(32)}`;
const OP = `0x${'22'.repeat(20)}`;

function task(task_id: number, patch: Partial<DilocoTaskCell> = {}): DilocoTaskCell {
  return { task_id, status: 'FINALIZED', operator: OP, open_disputes: 0, attempts: 1, init_state_root: H, loss: null, loss_step: null, ...patch };
}

function segment(shard: number, task_id: number, patch: Partial<DilocoSegmentCell> = {}): DilocoSegmentCell {
  return { ...task(task_id), shard, recorded: true, shard_root: H, recorded_at: 1100, ...patch };
}

function round(r: number, patch: Partial<DilocoRound>): DilocoRound {
  return {
    round: r, status: 'CLOSED', segments: [], segments_recorded: 2, outer: null, global_root: null, train_loss: null, outer_update_size: null,
    opened_at: 1000, outer_posted_at: null, closed_at: null, ...patch,
  };
}

/** Three rounds of two shards: round 0 closed, round 1 training with shard 1 disputed, round 2 not started. */
function job(): DilocoJobDetail {
  return {
    job_id: 4, status: 'TRAINING', submitter: OP, spec_hash: H, spec_uri: 'x', rounds: 3, shards: 2, escrow: '9000000000000000000', round: 1,
    global_root: ROOT, refund: null, posted_at: 1000, posted_block: 1, posted_tx: H, settled_at: null, updated_block: 9,
    grid: [
      round(0, {
        segments: [segment(0, 1, { loss: 1.5, loss_step: 10 }), segment(1, 2, { loss: 0.5, loss_step: 10, attempts: 2 })],
        outer: task(3, { loss: 0.0125, loss_step: 1 }), global_root: ROOT, train_loss: 1, outer_update_size: 0.0125, closed_at: 1200,
      }),
      round(1, {
        status: 'TRAINING', segments_recorded: 0,
        segments: [segment(0, 4, { status: 'CLAIMED', recorded: false, shard_root: null }), segment(1, 5, { status: 'SUBMITTED', open_disputes: 1, recorded: false, shard_root: null })],
      }),
    ],
  };
}

describe('DiLoCo grid', () => {
  it('offers every job status of the contracts but NONE, each labelled', () => {
    expect(JOB_STATUSES).toEqual(JOB_STATUS_NAMES.slice(1));
    expect(JOB_STATUSES.map((s) => JOB_STATUS_LABEL[s])).toEqual(['Training', 'Averaging', 'Completed', 'Failed']);
  });

  it('tells a disputed result from one in its challenge window', () => {
    expect(cellState({ status: 'SUBMITTED', open_disputes: 1 })).toBe('DISPUTED');
    expect(cellState({ status: 'SUBMITTED', open_disputes: 0 })).toBe('SUBMITTED');
    expect(cellState({ status: 'VOIDED', open_disputes: 0 })).toBe('VOIDED');
    expect(cellState({ status: null, open_disputes: 0 })).toBe('UNINDEXED');
  });

  it('lists every round of the job, the ones not posted yet empty', () => {
    expect(gridRounds(job()).map((r) => [r.round, r.posted?.status ?? null])).toEqual([[0, 'CLOSED'], [1, 'TRAINING'], [2, null]]);
    expect(jobProgress(job())).toEqual({ finalized: 3, total: 9 });
  });

  it('draws each task as a coloured cell with its link, state, operator and loss', () => {
    const html = renderToStaticMarkup(createElement(DilocoGrid, { job: job() }));
    const cell = (id: number) => html.match(new RegExp(`<td class="diloco-cell ([^"]+)" data-testid="diloco-cell-${id}" data-state="([A-Z]+)"`))?.slice(1);
    expect(cell(1)).toEqual(['tone-good', 'FINALIZED']);
    expect(cell(4)).toEqual(['tone-progress', 'CLAIMED']);
    expect(cell(5)).toEqual(['tone-bad', 'DISPUTED']);
    expect(cell(3)).toEqual(['tone-good', 'FINALIZED']);
    expect(html).toContain('href="#/jobs/5"');
    expect(html).toContain(`href="#/operators/${OP}"`);
    expect(html).toContain('0x2222…2222');
    expect(html).toContain('loss 1.5');
    expect(html).toContain('update 0.0125');
    expect(html).toMatch(/data-testid="diloco-loss-0">1</);
    expect(html).toMatch(/data-testid="diloco-loss-1">—</);
    expect(html).toContain(`title="${ROOT}"`);
    expect(html).toContain('0/2 recorded');
    expect(html).toMatch(/data-testid="diloco-round-2" data-status="PENDING"/);
    expect(html).toContain('Not started');
  });
});
