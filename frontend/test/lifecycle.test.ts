import { describe, expect, it } from 'vitest';
import type { ChainEvent, Progress, Task } from '../src/lib/api';
import { challengeSecondsLeft, taskPhases, trainingEta, trainingFraction } from '../src/lib/lifecycle';

const H = `0x${'11'.repeat(32)}`;
const OP = `0x${'22'.repeat(20)}`;

function task(patch: Partial<Task>): Task {
  return {
    task_id: 1, status: 'OPEN', submitter: `0x${'33'.repeat(20)}`, operator: null, reward: '1000000000000000000', min_stake: '2000000000000000000',
    spec_hash: H, spec_uri: 'x', dataset_root: H, init_state_root: H, graph_root: H, steps: 40, checkpoint_every: 10, deadline: 5000,
    challenge_window: 300, trace_root: null, model_hash: null, final_state_root: null, challenge_ends_at: null, open_disputes: 0, attempts: 0, claimed_at: null,
    submitted_at: null, settled_at: null, posted_at: 1000, posted_block: 1, posted_tx: H, updated_block: 1, ...patch,
  };
}
const ev = (name: string, timestamp: number, args: Record<string, unknown> = {}): ChainEvent => ({
  block_number: 1, log_index: 0, tx_hash: `0x${name.length.toString(16).padStart(64, '0')}`, timestamp, contract: 'TaskMarket', name, task_id: 1, game_id: null, args,
});
const progress = (step: number): Progress => ({ task_id: 1, operator: OP, step, loss: 1, steps_per_s: 2, reported_at: 1100, received_at: 1100 });
const states = (phases: ReturnType<typeof taskPhases>) => Object.fromEntries(phases.map((p) => [p.key, p.state]));

describe('task phases', () => {
  it('open: posted, waiting for a claim', () => {
    expect(states(taskPhases(task({}), [ev('TaskPosted', 1000)], null, 1050))).toEqual({
      posted: 'done', claimed: 'active', training: 'pending', submitted: 'pending', window: 'pending', outcome: 'pending',
    });
  });

  it('claimed: training with live progress', () => {
    const phases = taskPhases(task({ status: 'CLAIMED', operator: OP, claimed_at: 1010, attempts: 1 }), [ev('TaskPosted', 1000), ev('TaskClaimed', 1010)], progress(10), 1100);
    expect(states(phases)).toMatchObject({ claimed: 'done', training: 'active', submitted: 'pending' });
    expect(phases.find((p) => p.key === 'training')!.detail).toBe('step 10 of 40 (25%)');
  });

  it('submitted: the challenge window counts down, then anyone may finalise', () => {
    const t = task({ status: 'SUBMITTED', operator: OP, claimed_at: 1010, submitted_at: 1200, challenge_ends_at: 1500, trace_root: H, model_hash: H });
    const during = taskPhases(t, [], progress(40), 1400);
    expect(states(during)).toMatchObject({ training: 'done', submitted: 'done', window: 'active', outcome: 'pending' });
    expect(during.find((p) => p.key === 'window')!.detail).toBe('closes in 1m 40s');
    const after = taskPhases(t, [], progress(40), 1600);
    expect(after.find((p) => p.key === 'window')!.state).toBe('done');
    const disputed = taskPhases({ ...t, open_disputes: 1 }, [], null, 1600);
    expect(disputed.find((p) => p.key === 'window')!.detail).toBe('1 dispute open');
  });

  it('finalised', () => {
    const phases = taskPhases(task({ status: 'FINALIZED', operator: OP, claimed_at: 1010, submitted_at: 1200, challenge_ends_at: 1500, settled_at: 1600 }), [ev('TaskFinalized', 1600)], null, 2000);
    expect(states(phases)).toEqual({ posted: 'done', claimed: 'done', training: 'done', submitted: 'done', window: 'done', outcome: 'done' });
    expect(phases[5].label).toBe('Finalised');
    expect(phases[5].detail).toBe('1 ETH paid to the operator');
  });

  it('voided: a challenger won, the operator is slashed', () => {
    const phases = taskPhases(task({ status: 'VOIDED', operator: OP, claimed_at: 1010, submitted_at: 1200, challenge_ends_at: 1500 }), [ev('TaskVoided', 1300)], null, 1400);
    expect(states(phases)).toMatchObject({ window: 'failed', outcome: 'failed' });
    expect(phases[5].label).toMatch(/slashed/);
  });

  it('refunded after a missed deadline', () => {
    const phases = taskPhases(task({ status: 'REFUNDED', operator: OP, claimed_at: 1010, settled_at: 6000 }), [ev('TaskExpired', 6000, { operator: OP, slashed: '1' }), ev('TaskRefunded', 6000)], null, 6100);
    expect(states(phases)).toMatchObject({ claimed: 'done', training: 'failed', submitted: 'skipped', outcome: 'failed' });
    expect(phases[5].label).toBe('Refunded · operator slashed');
  });

  it('cancelled before any claim', () => {
    const phases = taskPhases(task({ status: 'CANCELLED', settled_at: 1100 }), [ev('TaskCancelled', 1100)], null, 1200);
    expect(states(phases)).toMatchObject({ claimed: 'skipped', training: 'skipped', submitted: 'skipped', window: 'skipped', outcome: 'failed' });
  });
});

describe('progress helpers', () => {
  it('fraction, ETA and window', () => {
    expect(trainingFraction({ steps: 40 }, { step: 10 })).toBe(0.25);
    expect(trainingFraction({ steps: 40 }, null)).toBeNull();
    expect(trainingFraction({ steps: 40 }, { step: 80 })).toBe(1);
    expect(trainingEta({ steps: 40 }, { step: 10, steps_per_s: 2 })).toBe(15);
    expect(trainingEta({ steps: 40 }, { step: 10, steps_per_s: 0 })).toBeNull();
    expect(challengeSecondsLeft({ challenge_ends_at: 1500 }, 1400)).toBe(100);
    expect(challengeSecondsLeft({ challenge_ends_at: null }, 1400)).toBeNull();
  });
});
