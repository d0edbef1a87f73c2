import { describe, expect, it } from 'vitest';
import { chartScale, niceStep, ticks } from '../src/lib/chart';
import { contractsFromIndexer } from '../src/lib/config';
import { detailText } from '../src/lib/api';
import { clockOffset } from '../src/hooks/useNow';

describe('chart scales', () => {
  it('nice steps', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 4)).toBe(0.2);
    expect(niceStep(37, 6)).toBe(5);
    expect(niceStep(80, 6)).toBe(10);
    expect(niceStep(0, 5)).toBe(1);
  });
  it('ticks', () => {
    expect(ticks(0, 40, 4)).toEqual([0, 10, 20, 30, 40]);
    expect(ticks(0.2, 1.1, 4)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 3, 4)).toEqual([3]);
  });
  it('maps steps and losses into the box (higher loss is higher up)', () => {
    const s = chartScale([{ step: 0, loss: 2 }, { step: 40, loss: 0.5 }], 40, { width: 200, height: 100, left: 0, right: 0, top: 0, bottom: 0 });
    expect(s.x(0)).toBe(0);
    expect(s.x(40)).toBe(200);
    expect(s.y(s.yMax)).toBe(0);
    expect(s.y(s.yMin)).toBe(100);
    expect(s.y(2)).toBeLessThan(s.y(0.5));
  });
  it('copes with one point', () => {
    const s = chartScale([{ step: 5, loss: 1 }], 10, { width: 100, height: 100, left: 0, right: 0, top: 0, bottom: 0 });
    expect(Number.isFinite(s.y(1))).toBe(true);
    expect(s.yMax).toBeGreaterThan(s.yMin);
  });
});

describe('config and API helpers', () => {
  it('reads contract addresses from the indexer map', () => {
    const a = `0x${'ab'.repeat(20)}`;
    const b = `0x${'cd'.repeat(20)}`;
    expect(contractsFromIndexer({ [a]: 'TaskMarket', [b]: 'StakeManager' })).toEqual({ TaskMarket: a, StakeManager: b });
    expect(contractsFromIndexer({ TaskMarket: a })).toEqual({ TaskMarket: a });
  });
  it('turns FastAPI details into one message', () => {
    expect(detailText('nope')).toBe('nope');
    expect(detailText([{ loc: ['body', 'steps'], msg: 'must be > 0' }, { loc: ['body'], msg: 'bad' }])).toBe('steps: must be > 0; bad');
    expect(detailText(undefined)).toBe('');
  });
});

describe('chain clock', () => {
  it('follows a chain warped ahead, ignores block lag', () => {
    expect(clockOffset(1_000 + 86_401, 1_000)).toBe(86_401);
    expect(clockOffset(990, 1_000)).toBe(0);
  });
});
