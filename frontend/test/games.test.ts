import { describe, expect, it } from 'vitest';
import { DISPUTE_STATUSES, FUNDED_KINDS, GAME_STATUS_LABEL, GAME_STATUS_TONE, describeCollateral, gameOpen } from '../src/lib/games';
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
