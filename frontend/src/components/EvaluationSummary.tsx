import { evaluationView, formatAccuracy, type Evaluation } from '../lib/evaluation';
import { formatNumber } from '../lib/format';
import { AddressLink, Stat } from './ui';

/** The final model's test loss and accuracy, who measured them, and what each verifier that recomputed
 *  them found. Evaluation is not in the trace: a disagreement is shown here, never disputed. */
export function EvaluationSummary({ evaluations }: { evaluations: Evaluation[] | null | undefined }) {
  const view = evaluationView(evaluations);
  if (view.shown === null) return null;
  const shown = view.shown;
  return (
    <div className="evaluation" data-testid="evaluation">
      <h3>Test evaluation</h3>
      <dl className="stats compact">
        <Stat label="Test loss" value={formatNumber(shown.test_loss)} />
        <Stat label="Test accuracy" value={formatAccuracy(shown.test_accuracy)} />
        <Stat label="Test rows" value={formatNumber(shown.test_rows)} />
        <Stat
          label="Measured by"
          value={
            <>
              {shown.role === 'operator' ? 'the operator' : 'a verifier'} <AddressLink address={shown.signer} />
            </>
          }
          hint={` after step ${shown.step}, with RepOps`}
        />
      </dl>
      {view.operator === null && <p className="muted small">The operator published no evaluation.</p>}
      {view.verifiers.length === 0 ? (
        <p className="muted small">No verifier has recomputed it yet.</p>
      ) : (
        <ul className="plain">
          {view.verifiers.map((v) => (
            <li key={v.signer} data-testid="verifier-evaluation" data-agrees={v.agrees === null ? 'unknown' : String(v.agrees)}>
              verifier <AddressLink address={v.signer} />{' '}
              {v.agrees === true ? (
                <span className="agrees">✓ agrees (recomputed bit for bit)</span>
              ) : (
                <span className={v.agrees === false ? 'disagrees' : undefined}>
                  {v.agrees === false ? 'disagrees: ' : ''}measured test loss {formatNumber(v.evaluation.test_loss)}, accuracy{' '}
                  {formatAccuracy(v.evaluation.test_accuracy)}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
