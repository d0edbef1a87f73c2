import { describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, encodeErrorResult, UserRejectedRequestError } from 'viem';
import { errorsAbi } from '../src/abi/errors';
import { marketAbi } from '../src/lib/chain';
import { describeContractError, explainError } from '../src/lib/errors';

const ETH = 10n ** 18n;

describe('custom errors in words', () => {
  it('explains the errors a submitter meets', () => {
    expect(describeContractError('StakeTooLow', [3n * ETH, 5n * ETH])).toBe('Not enough free stake: 3 ETH available, 5 ETH needed. Stake more first.');
    expect(describeContractError('ZeroReward')).toBe('The reward must be more than zero.');
    expect(describeContractError('ChallengeWindowOutOfRange', [0n, 2n, 86400n])).toMatch(/takes 2s to 1d 0h/);
    expect(describeContractError('BadCheckpointInterval', [50, 40])).toMatch(/checkpoint interval 50 .* \(40\)/);
    expect(describeContractError('ZeroRoot', [3])).toBe('The graph root is zero.');
    expect(describeContractError('WrongStatus', [7n, 2, 1])).toBe('Task #7 is claimed, but this needs it open.');
    expect(describeContractError('DisputesOpen', [2])).toMatch(/2 dispute\(s\)/);
  });

  it('explains a result whose final state is not the last state of its trace', () => {
    expect(describeContractError('ZeroRoot', [7])).toBe('The final state root is zero.');
    const h = `0x${'ab'.repeat(32)}` as const;
    const root = `0x${'cd'.repeat(32)}` as const;
    const decoded = decodeErrorResult({ abi: errorsAbi, data: encodeErrorResult({ abi: errorsAbi, errorName: 'FinalStateNotInTrace', args: [h, root] }) });
    expect(describeContractError(decoded.errorName, decoded.args ?? [])).toMatch(/is not h_S of the trace .*last state of its own trace/);
  });

  it('says when a time lies relative to now', () => {
    expect(describeContractError('ChallengeWindowOpen', [1300n], 1000)).toMatch(/in 5m 00s/);
    expect(describeContractError('DeadlineInPast', [900n, 1000n], 1000)).toMatch(/is not after the chain's time/);
  });

  it('falls back to the raw form for errors it does not know', () => {
    expect(describeContractError('Mystery', [1n, 'x'])).toBe('The contract rejected the call: Mystery(1, x).');
  });

  it('covers every error of TaskMarket.postTask', () => {
    for (const name of ['ZeroReward', 'DeadlineInPast', 'ZeroSteps', 'BadCheckpointInterval', 'ChallengeWindowOutOfRange', 'MinStakeBelowFloor', 'EmptySpecURI', 'ZeroRoot']) {
      expect(describeContractError(name, [0n, 0n])).not.toMatch(/rejected the call/);
    }
  });
});

describe('explainError', () => {
  it('decodes a revert from the merged error ABI', () => {
    const data = encodeErrorResult({ abi: errorsAbi, errorName: 'StakeTooLow', args: [ETH, 2n * ETH] });
    const decoded = decodeErrorResult({ abi: marketAbi, data });
    expect(decoded.errorName).toBe('StakeTooLow');
    const error = new BaseError('call reverted', { cause: new ContractFunctionRevertedError({ abi: marketAbi, data, functionName: 'claim' }) });
    expect(explainError(error)).toBe('Not enough free stake: 1 ETH available, 2 ETH needed. Stake more first.');
  });

  it('tells a rejected signature', () => {
    expect(explainError(new UserRejectedRequestError(new Error('no')))).toBe('You rejected the request in your wallet.');
    expect(explainError({ code: 4001, message: 'User denied' })).toBe('You rejected the request in your wallet.');
  });

  it('keeps other messages', () => {
    expect(explainError(new Error('boom'))).toBe('boom');
    expect(explainError('plain')).toBe('plain');
  });
});
