// A task's model evaluations (GET /api/tasks/{id} `evaluations`), read for the dashboard (pure, unit-tested).
//
// The operator signs the final model's test loss and accuracy; a staked verifier recomputes them with
// RepOps and signs its own. RepOps is bit-exact, so a verifier agrees only when its numbers are the
// operator's exactly; a disagreement is shown, never disputed (evaluation is not in the trace).

import type { components } from './generated/api-schema';

export type Evaluation = components['schemas']['EvaluationOut'];

export interface VerifierView {
  signer: string;
  /** True when its numbers equal the operator's; null when the operator published none to compare. */
  agrees: boolean | null;
  evaluation: Evaluation;
}

export interface EvaluationView {
  /** The operator's report of the final step (the last one it made). */
  operator: Evaluation | null;
  verifiers: VerifierView[];
  /** Whoever measured the numbers to show: the operator's, else the first verifier's. */
  shown: Evaluation | null;
}

/** Same numbers, bit for bit (the tolerance is zero: `tribunal.evaluation.EVALUATION_TOLERANCE`). */
export function sameEvaluation(a: Evaluation, b: Evaluation): boolean {
  return a.step === b.step && a.test_rows === b.test_rows && a.test_loss === b.test_loss && a.test_accuracy === b.test_accuracy;
}

export function evaluationView(evaluations: Evaluation[] | null | undefined): EvaluationView {
  const all = evaluations ?? [];
  const operators = all.filter((e) => e.role === 'operator').sort((a, b) => a.step - b.step);
  const operator = operators.length > 0 ? operators[operators.length - 1] : null;
  const verifiers = all
    .filter((e) => e.role === 'verifier' && (operator === null || e.step === operator.step))
    .map((e) => ({ signer: e.signer, agrees: operator === null ? null : sameEvaluation(e, operator), evaluation: e }));
  return { operator, verifiers, shown: operator ?? verifiers[0]?.evaluation ?? null };
}

/** Accuracy as a percentage with two decimals ("—" for regression, which has none). */
export function formatAccuracy(accuracy: number | null | undefined): string {
  if (accuracy === null || accuracy === undefined) return '—';
  return `${(accuracy * 100).toFixed(2)}%`;
}
