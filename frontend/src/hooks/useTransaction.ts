import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import type { Hash, TransactionReceipt } from 'viem';
import { explainError } from '../lib/errors';
import { useSigner, type ContractCall } from '../wallet/context';

export type TxPhase = 'idle' | 'preparing' | 'signing' | 'pending' | 'mined' | 'failed';

export interface TxState {
  phase: TxPhase;
  /** What is happening now, in words. */
  message: string;
  hash?: Hash;
  receipt?: TransactionReceipt;
  error?: string;
}

const IDLE: TxState = { phase: 'idle', message: '' };

/**
 * One transaction followed from preparation to its receipt: `preparing` (off-chain work such as
 * uploading the spec, then the simulation that catches reverts), `signing` (waiting for the wallet),
 * `pending` (sent, waiting to be mined), `mined` or `failed` (with the contract's error in words).
 */
export function useTransaction() {
  const { send, wait } = useSigner();
  const client = useQueryClient();
  const [state, setState] = useState<TxState>(IDLE);
  const running = useRef(false);

  const run = useCallback(
    async (
      build: (progress: (message: string) => void) => Promise<ContractCall>,
      onMined?: (receipt: TransactionReceipt, result: unknown) => string | void,
    ): Promise<TransactionReceipt | null> => {
      if (running.current) return null;
      running.current = true;
      try {
        setState({ phase: 'preparing', message: 'Preparing…' });
        const call = await build((message) => setState({ phase: 'preparing', message }));
        setState({ phase: 'signing', message: 'Checking the call and waiting for the signature…' });
        const { hash, result } = await send(call);
        setState({ phase: 'pending', message: 'Sent; waiting for it to be mined…', hash });
        const receipt = await wait(hash);
        const message = onMined?.(receipt, result) || `Mined in block ${receipt.blockNumber}.`;
        setState({ phase: 'mined', message, hash, receipt });
        void client.invalidateQueries({ refetchType: 'active' });
        return receipt;
      } catch (error) {
        setState((s) => ({ phase: 'failed', message: 'Failed', hash: s.hash, error: explainError(error) }));
        return null;
      } finally {
        running.current = false;
      }
    },
    [send, wait, client],
  );

  const reset = useCallback(() => setState(IDLE), []);
  const busy = state.phase === 'preparing' || state.phase === 'signing' || state.phase === 'pending';
  return { state, run, reset, busy };
}
