import type { Phase } from '../lib/lifecycle';
import { Time, TxHash } from './ui';

const STATE_TEXT: Record<Phase['state'], string> = {
  done: 'done',
  active: 'in progress',
  pending: 'not yet',
  failed: 'failed',
  skipped: 'skipped',
};

/** The task's phases as an ordered list (state in words for screen readers, colour for the eye). */
export function Timeline({ phases }: { phases: Phase[] }) {
  return (
    <ol className="timeline" aria-label="Task status timeline">
      {phases.map((p) => (
        <li key={p.key} className={`phase phase-${p.state}`} aria-current={p.state === 'active' ? 'step' : undefined} data-phase={p.key} data-state={p.state}>
          <span className="marker" aria-hidden="true" />
          <div className="phase-body">
            <div className="phase-head">
              <strong>{p.label}</strong>
              <span className="phase-state">{STATE_TEXT[p.state]}</span>
            </div>
            {p.detail && <div className="phase-detail">{p.detail}</div>}
            <div className="phase-meta">
              {p.time ? <Time value={p.time} /> : null}
              {p.tx ? (
                <span>
                  tx <TxHash hash={p.tx} />
                </span>
              ) : null}
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}
