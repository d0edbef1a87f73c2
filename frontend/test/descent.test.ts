import { describe, expect, it } from 'vitest';
import type { Move } from '../src/lib/api';
import { buildDescent, clockLeft, interval, moveLevel } from '../src/lib/descent';

const C = `0x${'cc'.repeat(20)}`;
const O = `0x${'0a'.repeat(20)}`;
let n = 0;
function move(name: string, args: Record<string, unknown>, party: string | null = null, timestamp = 1000): Move {
  n += 1;
  return { tx_hash: `0x${n.toString(16).padStart(64, '0')}`, log_index: 0, block_number: n, timestamp, name, party, level: null, args };
}

// A game that descends 8 steps to step 5, a 1-node graph, 3 element leaves, then 4 instructions,
// and ends with the chain agreeing with the challenger.
const moves: Move[] = [
  move('GameOpened', { gameId: 1, maxClock: 3600, bond: '1', traceRootOperator: '0x01', traceRootChallenger: '0x02' }),
  move('DescentStarted', { level: 1, leafCount: 9, height: 4, rootOperator: '0xa', rootChallenger: '0xb' }, 'CHALLENGER'),
  move('ClockStarted', { usedChallenger: 0, usedOperator: 0, deadline: 4600 }, 'CHALLENGER'),
  move('Bisected', { level: 1, position: 0, height: 3, rootOperator: '0xa', rootChallenger: '0xb' }, 'OPERATOR'),
  move('Bisected', { level: 1, position: 1, height: 2 }, 'OPERATOR'),
  move('Bisected', { level: 1, position: 2, height: 1 }, 'OPERATOR'),
  move('Bisected', { level: 1, position: 5, height: 0 }, 'OPERATOR'),
  move('StepFound', { step: 5, nextStateOperator: '0xaa', nextStateChallenger: '0xbb' }, 'OPERATOR'),
  move('StepStarted', { step: 5, numNodes: 1 }, 'CHALLENGER'),
  move('NodeFound', { node: 0, outputOperator: '0x1', outputChallenger: '0x2' }, 'CHALLENGER'),
  move('NodeStarted', { node: 0, numel: 20 }, 'CHALLENGER'),
  move('OutputRootRevealed', { dataRoot: '0x3' }, 'CHALLENGER'),
  move('DescentStarted', { level: 6, leafCount: 3, height: 2, rootOperator: '0x4', rootChallenger: '0x5' }, 'OPERATOR'),
  move('Bisected', { level: 6, position: 1, height: 1 }, 'OPERATOR'),
  move('Bisected', { level: 6, position: 2, height: 0 }, 'OPERATOR'),
  move('ElementFound', { element: 17, valueOperator: 0x3f800000, valueChallenger: 0x40000000 }, 'OPERATOR'),
  move('IntermediatesCommitted', { dataRoot: '0x6', programLength: 4, lastValue: 0x40000000 }, 'CHALLENGER'),
  move('DescentStarted', { level: 8, leafCount: 1, height: 0, rootOperator: '0x7', rootChallenger: '0x8' }, 'OPERATOR'),
  move('InstructionFound', { instruction: 3, claimOperator: 0x3f800000, claimChallenger: 0x40000000 }, 'OPERATOR'),
  move('ClockStarted', { usedChallenger: 120, usedOperator: 300, deadline: 9999 }, 'CHALLENGER', 2000),
  move('OneStepExecuted', { instruction: 3, opcode: 1, operands: [0x3f800000, 0x3f800000, 0], result: 0x40000000, claimOperator: 0x3f800000, claimChallenger: 0x40000000 }, 'CHALLENGER'),
  move('GameResolved', { winner: C, loser: O, status: 3, resolution: 0, level: 9 }),
];

describe('descent from moves', () => {
  const view = buildDescent({ status: 'CHALLENGER_WON', turn: null, max_clock: 3600, used_challenger: 120, used_operator: 300, move_deadline: null }, moves);
  const level = (key: string) => view.levels.find((l) => l.key === key)!;

  it('draws the step bisection narrowing to the found step', () => {
    const steps = level('STEPS');
    expect(steps.state).toBe('done');
    expect(steps.leafCount).toBe(9);
    expect(steps.rounds.map((r) => [r.lo, r.hi])).toEqual([[0, 9], [0, 8], [4, 8], [4, 6], [5, 6]]);
    expect(steps.found).toBe(5);
    expect(steps.claims).toEqual({ operator: '0xaa', challenger: '0xbb', kind: 'root' });
  });

  it('marks a one-node graph found without rounds', () => {
    const nodes = level('NODES');
    expect(nodes.state).toBe('done');
    expect(nodes.found).toBe(0);
    expect(nodes.rounds).toEqual([]);
  });

  it('draws the element descent with the two claimed values', () => {
    const el = level('ELEMENT');
    expect(el.rounds.map((r) => [r.lo, r.hi])).toEqual([[0, 3], [2, 3], [2, 3]]);
    expect(el.found).toBe(17);
    expect(el.claims).toEqual({ operator: 0x3f800000, challenger: 0x40000000, kind: 'bits' });
    expect(level('INSTRUCTION').found).toBe(3);
  });

  it('gives the one-step verdict and the resolution', () => {
    expect(view.verdict).toMatchObject({ instruction: 3, opcode: 1, operands: [0x3f800000, 0x3f800000, 0], result: 0x40000000, matches: 'challenger' });
    expect(view.resolved).toMatchObject({ status: 'CHALLENGER_WON', resolution: 'ONE_STEP', level: 'ONE_STEP', winner: C, loser: O });
    expect(view.proofs.map((m) => m.name)).toEqual(['StepStarted', 'NodeStarted', 'OutputRootRevealed', 'IntermediatesCommitted', 'OneStepExecuted']);
  });

  it('stops the clocks once resolved and keeps the time used', () => {
    expect(view.clocks).toEqual({ maxClock: 3600, usedChallenger: 120, usedOperator: 300, onTurn: null, deadline: null });
    expect(clockLeft(view.clocks, 'CHALLENGER', 5000)).toBe(3480);
    expect(clockLeft(view.clocks, 'OPERATOR', 5000)).toBe(3300);
  });

  it('spends the clock of a party that lost on time', () => {
    const timedOut = [...moves.slice(0, 3), move('GameResolved', { winner: O, loser: C, status: 2, resolution: 3, level: 1 })];
    const v = buildDescent({ status: 'OPERATOR_WON', turn: null, max_clock: 3600, used_challenger: 0, used_operator: 0, move_deadline: null, operator: O, challenger: C }, timedOut);
    expect(v.resolved?.resolution).toBe('TIMEOUT');
    expect(clockLeft(v.clocks, 'CHALLENGER', 9999)).toBe(0);
    expect(clockLeft(v.clocks, 'OPERATOR', 9999)).toBe(3600);
  });

  it('runs the clock of the party on turn', () => {
    const live = buildDescent({ status: 'ACTIVE', turn: 'CHALLENGER', max_clock: 3600, used_challenger: 0, used_operator: 0, move_deadline: 4600 }, moves.slice(0, 3));
    expect(live.clocks.onTurn).toBe('CHALLENGER');
    expect(clockLeft(live.clocks, 'CHALLENGER', 4000)).toBe(600);
    expect(clockLeft(live.clocks, 'CHALLENGER', 5000)).toBe(0);
    expect(clockLeft(live.clocks, 'OPERATOR', 4000)).toBe(3600);
    expect(live.levels[0].state).toBe('active');
    expect(live.levels[1].state).toBe('pending');
  });

  it('takes the clocks from the indexed game, not from the moves', () => {
    const v = buildDescent({ status: 'ACTIVE', turn: 'OPERATOR', max_clock: 100, used_challenger: 10, used_operator: 20, move_deadline: 500 }, moves.slice(0, 3));
    expect(v.clocks).toEqual({ maxClock: 100, usedChallenger: 10, usedOperator: 20, onTurn: 'OPERATOR', deadline: 500 });
  });
});

describe('queued games', () => {
  const opened = [
    move('GameOpened', { gameId: 2, maxClock: 3600, bond: '1', traceRootOperator: '0x01', traceRootChallenger: '0x02' }),
    move('DescentStarted', { level: 1, leafCount: 9, height: 4, rootOperator: '0xa', rootChallenger: '0xb' }, 'CHALLENGER'),
    move('GameQueued', { gameId: 2, taskId: 1, position: 1 }),
  ];

  it('keeps the clocks stopped while the game waits for collateral', () => {
    const v = buildDescent({ status: 'QUEUED', turn: null, max_clock: 3600, used_challenger: 0, used_operator: 0, move_deadline: null }, opened);
    expect(v.funding).toEqual({ queued: { position: 1, tx: opened[2].tx_hash, timestamp: 1000 }, funded: null, withdrawn: null });
    expect(v.clocks.onTurn).toBeNull();
    expect(clockLeft(v.clocks, 'CHALLENGER', 99_999)).toBe(3600);
  });

  it('records the collateral once funded from the queue', () => {
    const funded = [...opened, move('GameFunded', { gameId: 2, taskId: 1, kind: 1, amount: '2000000000000000000' }), move('ClockStarted', { usedChallenger: 0, usedOperator: 0, deadline: 4600 }, 'CHALLENGER')];
    const v = buildDescent({ status: 'ACTIVE', turn: 'CHALLENGER', max_clock: 3600, used_challenger: 0, used_operator: 0, move_deadline: 4600 }, funded);
    expect(v.funding.funded).toMatchObject({ kind: 'TASK_STAKE', amount: '2000000000000000000' });
    expect(v.clocks.onTurn).toBe('CHALLENGER');
    expect(v.levels[0].state).toBe('active');
  });

  it('shows a moot game closed with nothing played', () => {
    const closed = [...opened, move('GameWithdrawn', { gameId: 2, taskId: 1, challenger: C, moot: true })];
    const v = buildDescent({ status: 'WITHDRAWN', turn: null, max_clock: 3600, used_challenger: 0, used_operator: 0, move_deadline: null }, closed);
    expect(v.funding.withdrawn).toMatchObject({ moot: true });
    expect(v.levels.every((l) => l.state === 'pending')).toBe(true);
    expect(v.resolved).toBeNull();
  });
});

describe('helpers', () => {
  it('interval of a node, clipped to real leaves', () => {
    expect(interval(0, 4, 9)).toEqual({ lo: 0, hi: 9 });
    expect(interval(1, 3, 9)).toEqual({ lo: 8, hi: 9 });
    expect(interval(3, 1, null)).toEqual({ lo: 6, hi: 8 });
  });
  it('level names from numbers or names', () => {
    expect(moveLevel(move('Bisected', { level: 3 }))).toBe('NODES');
    expect(moveLevel(move('Bisected', { level: 'ELEMENT' }))).toBe('ELEMENT');
    expect(moveLevel({ ...move('X', {}), level: 'STEPS' })).toBe('STEPS');
  });
});

describe('a descent that opens an interval (states committed at checkpoint steps)', () => {
  // 9 trace leaves with K = 4: the step descent ends at committed leaf 8, whose interval 4..8 is
  // opened; the parties commit their states of it and a second descent finds step 6.
  const opened: Move[] = [
    move('DescentStarted', { level: 1, leafCount: 9, height: 4, rootOperator: '0xa', rootChallenger: '0xb' }, 'CHALLENGER'),
    move('Bisected', { level: 1, position: 1, height: 3 }, 'OPERATOR'),
    move('Bisected', { level: 1, position: 2, height: 2 }, 'OPERATOR'),
    move('SegmentFound', { segmentStart: 4, segmentLeaves: 5, stateOperator: '0xaa', stateChallenger: '0xbb' }, 'OPERATOR'),
    move('SegmentCommitted', { party: 0, segmentRoot: '0xc1' }, 'CHALLENGER'),
    move('SegmentCommitted', { party: 1, segmentRoot: '0xc2' }, 'OPERATOR'),
    move('DescentStarted', { level: 12, leafCount: 5, height: 3, rootOperator: '0xc2', rootChallenger: '0xc1' }, 'OPERATOR'),
    move('Bisected', { level: 12, position: 0, height: 2 }, 'OPERATOR'),
    move('Bisected', { level: 12, position: 1, height: 1 }, 'OPERATOR'),
    move('Bisected', { level: 12, position: 3, height: 0 }, 'OPERATOR'),
    move('StepFound', { step: 6, nextStateOperator: '0xd1', nextStateChallenger: '0xd2' }, 'OPERATOR'),
  ];
  const view = buildDescent({ status: 'ACTIVE', turn: 'CHALLENGER', max_clock: 3600, used_challenger: 0, used_operator: 0, move_deadline: null }, opened);
  const level = (key: string) => view.levels.find((l) => l.key === key)!;

  it('ends the step descent on the interval, then finds the step inside it', () => {
    expect(level('STEPS').state).toBe('done');
    expect(level('STEPS').interval).toEqual({ start: 4, end: 8 });
    expect(level('STEPS').claims).toEqual({ operator: '0xaa', challenger: '0xbb', kind: 'root' });
    const inside = level('SEGMENT_STEPS');
    expect(inside.state).toBe('done');
    expect(inside.leafCount).toBe(5);
    expect(inside.found).toBe(6);
    expect(inside.claims).toEqual({ operator: '0xd1', challenger: '0xd2', kind: 'root' });
    expect(view.proofs.map((m) => m.name)).toEqual(['SegmentCommitted', 'SegmentCommitted']);
  });
});
