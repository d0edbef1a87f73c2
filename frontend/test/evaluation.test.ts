import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { EvaluationSummary } from '../src/components/EvaluationSummary';
import { LossChart } from '../src/components/LossChart';
import { checkpointLosses, checkpointSteps } from '../src/lib/chart';
import { evaluationView, formatAccuracy, sameEvaluation, type Evaluation } from '../src/lib/evaluation';

const OPERATOR = `0x${'aa'.repeat(20)}`;
const VERIFIER = `0x${'bb'.repeat(20)}`;
const OTHER = `0x${'cc'.repeat(20)}`;

function evaluation(changes: Partial<Evaluation> = {}): Evaluation {
  return {
    task_id: 1,
    signer: OPERATOR,
    role: 'operator',
    step: 20,
    test_loss: 0.5123,
    test_accuracy: 0.875,
    test_rows: 359,
    reported_at: 1_700_000_000,
    received_at: 1_700_000_000.5,
    ...changes,
  };
}

describe('checkpoint steps and their losses', () => {
  it('lists every checkpoint and the final step', () => {
    expect(checkpointSteps(20, 5)).toEqual([5, 10, 15, 20]);
    expect(checkpointSteps(10, 4)).toEqual([4, 8, 10]);
    expect(checkpointSteps(1000, 1)).toEqual([]);
    expect(checkpointSteps(10, undefined)).toEqual([]);
  });
  it('picks the reported losses at checkpoint steps', () => {
    const points = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, loss: 2 - i / 10 }));
    expect(checkpointLosses(points, [5, 10, 20]).map((p) => p.step)).toEqual([5, 10, 20]);
  });
});

describe('the loss chart', () => {
  it('draws every point of a fast job, the checkpoints and the test loss', () => {
    const points = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, loss: 2 - i / 20 }));
    const html = renderToStaticMarkup(createElement(LossChart, { points, steps: 20, checkpointEvery: 5, testLoss: 1.25 }));
    expect(html).toContain('Loss went from 2 at step 1 to 1.05 at step 20 of 20 (20 points).');
    expect(html.match(/class="dot"/g)).toHaveLength(20);
    expect(html.match(/class="checkpoint-dot"/g)).toHaveLength(4);
    expect(html).toContain('Loss at the checkpoints: step 5 1.8, step 10 1.55, step 15 1.3, step 20 1.05.');
    expect(html).toContain('data-testid="test-loss-line"');
    expect(html).toContain("the final model&#x27;s test loss, 1.25");
  });
  it('says when nothing is reported', () => {
    expect(renderToStaticMarkup(createElement(LossChart, { points: [], steps: 20 }))).toContain('No loss reported yet.');
  });
});

describe('evaluations', () => {
  it('compares each verifier with the operator bit for bit', () => {
    const view = evaluationView([
      evaluation({ role: 'verifier', signer: VERIFIER, test_loss: 0.75 }),
      evaluation(),
      evaluation({ role: 'verifier', signer: OTHER }),
    ]);
    expect(view.operator?.signer).toBe(OPERATOR);
    expect(view.verifiers.map((v) => [v.signer, v.agrees])).toEqual([
      [VERIFIER, false],
      [OTHER, true],
    ]);
    expect(sameEvaluation(evaluation(), evaluation({ test_accuracy: 0.8750001 }))).toBe(false);
  });
  it('shows a verifier’s numbers when the operator published none', () => {
    const view = evaluationView([evaluation({ role: 'verifier', signer: VERIFIER })]);
    expect(view.operator).toBeNull();
    expect(view.shown?.signer).toBe(VERIFIER);
    expect(view.verifiers[0].agrees).toBeNull();
    expect(evaluationView(undefined).shown).toBeNull();
  });
  it('formats accuracy, none for regression', () => {
    expect(formatAccuracy(0.875)).toBe('87.50%');
    expect(formatAccuracy(null)).toBe('—');
  });
  it('renders test loss, accuracy, who measured, and a disagreement', () => {
    const html = renderToStaticMarkup(
      createElement(EvaluationSummary, {
        evaluations: [evaluation(), evaluation({ role: 'verifier', signer: VERIFIER, test_loss: 0.75, test_accuracy: 0.5 })],
      }),
    );
    expect(html).toContain('Test loss');
    expect(html).toContain('0.5123');
    expect(html).toContain('87.50%');
    expect(html).toContain('the operator');
    expect(html).toContain('data-agrees="false"');
    expect(html).toContain('disagrees: measured test loss 0.75, accuracy 50.00%');
  });
  it('renders a verifier that agrees, and nothing without evaluations', () => {
    const html = renderToStaticMarkup(
      createElement(EvaluationSummary, { evaluations: [evaluation(), evaluation({ role: 'verifier', signer: VERIFIER })] }),
    );
    expect(html).toContain('data-agrees="true"');
    expect(html).toContain('agrees (recomputed bit for bit)');
    expect(renderToStaticMarkup(createElement(EvaluationSummary, { evaluations: [] }))).toBe('');
  });
});
