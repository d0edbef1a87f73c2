import { describe, expect, it } from 'vitest';
import { DISPUTE_STATUSES, FUNDED_KINDS, GAME_STATUS_LABEL, GAME_STATUS_TONE, availabilityProgress, describeCollateral, gameOpen } from '../src/lib/games';
import { GAME_STATUS_NAMES } from '../src/lib/generated/protocolEnums';

describe('game statuses', () => {
  it('offers every status of the contracts but NONE, each labelled and toned', () => {
    expect(DISPUTE_STATUSES).toEqual(GAME_STATUS_NAMES.slice(1));
    expect(DISPUTE_STATUSES).toContain('QUEUED');
    expect(DISPUTE_STATUSES).toContain('WITHDRAWN');
    for (const s of DISPUTE_STATUSES) {
      expect(GAME_STATUS_LABEL[s]).toBeTruthy();
      expect(GAME_STATUS_TONE[s]).toBeTruthy();
    }
  });

  it('counts queued games as open', () => {
    expect(['QUEUED', 'ACTIVE'].every(gameOpen)).toBe(true);
    expect(['OPERATOR_WON', 'CHALLENGER_WON', 'WITHDRAWN'].some(gameOpen)).toBe(false);
  });
});

describe('collateral', () => {
  it('names what backs a funded game, with its amount', () => {
    expect(FUNDED_KINDS).toEqual(['TASK_STAKE', 'GAME_STAKE']);
    expect(describeCollateral({ status: 'ACTIVE', collateral: 'GAME_STAKE', collateral_amount: '2000000000000000000' })).toMatch(/^2(\.0+)? ETH · Stake locked for this game$/);
    expect(describeCollateral({ status: 'CHALLENGER_WON', collateral: 'TASK_STAKE', collateral_amount: null })).toBe("Task's stake");
    expect(describeCollateral({ status: 'ACTIVE', collateral: null })).toBe('—');
  });

  it('explains a queued, a moot and a withdrawn game', () => {
    expect(describeCollateral({ status: 'QUEUED', queue_position: 2 })).toContain('(position 2)');
    expect(describeCollateral({ status: 'WITHDRAWN', moot: true })).toContain('moot');
    expect(describeCollateral({ status: 'WITHDRAWN', moot: false })).toContain('Withdrawn by its challenger');
  });
});

describe('availability challenges', () => {
  it('counts the chunks the mask names and those delivered', () => {
    const moves = [
      { name: 'GameOpened', args: {} },
      { name: 'AvailabilityChallenged', args: { mask: String((1n << 70n) | 0b1011n), slot: 2, step: 40 } },
      { name: 'ChunkDelivered', args: { chunk: 0, bytes: 2048 } },
      { name: 'ChunkDelivered', args: { chunk: 1, bytes: 2048 } },
    ];
    expect(availabilityProgress(moves)).toEqual({ named: 4, delivered: 2, slot: '2', step: '40' });
  });
  it('reports nothing named before the challenge is indexed', () => {
    expect(availabilityProgress([])).toEqual({ named: 0, delivered: 0, slot: '?', step: '?' });
  });
});
