import type { TxState } from '../hooks/useTransaction';
import { TxHash } from './ui';

const TITLES: Record<TxState['phase'], string> = {
  idle: '',
  preparing: 'Preparing',
  signing: 'Waiting for signature',
  pending: 'Pending',
  mined: 'Mined',
  failed: 'Failed',
};

/** A transaction's progress, announced to screen readers as it changes. */
export function TxStatus({ state, onDismiss }: { state: TxState; onDismiss?: () => void }) {
  if (state.phase === 'idle') return <div aria-live="polite" className="sr-only" />;
  const busy = state.phase === 'preparing' || state.phase === 'signing' || state.phase === 'pending';
  return (
    <div
      className={`tx-status tx-${state.phase}`}
      role={state.phase === 'failed' ? 'alert' : 'status'}
      aria-live={state.phase === 'failed' ? 'assertive' : 'polite'}
      data-testid="tx-status"
      data-phase={state.phase}
    >
      <div className="tx-head">
        {busy && <span className="spinner" aria-hidden="true" />}
        <strong>{TITLES[state.phase]}</strong>
        {state.hash && (
          <span className="tx-hash">
            tx <TxHash hash={state.hash} />
          </span>
        )}
      </div>
      {state.phase === 'failed' ? <p className="tx-error">{state.error}</p> : <p>{state.message}</p>}
      {!busy && onDismiss && (
        <button type="button" className="button link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
