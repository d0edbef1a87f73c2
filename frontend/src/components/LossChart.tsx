import { useMemo } from 'react';
import { formatNumber } from '../lib/format';
import { chartScale, checkpointLosses, checkpointSteps } from '../lib/chart';

export interface Point {
  step: number;
  loss: number;
}

const W = 640;
const H = 240;
const PAD = { left: 56, right: 16, top: 12, bottom: 36 };

/** Training loss by step, drawn as an SVG line with axes, every reported point (the operator reports
 *  its whole history, thinned evenly past 500 points); the loss at each checkpoint is marked on its
 *  dashed line, and the final model's test loss, when known, is a horizontal line. A text summary
 *  for screen readers. */
export function LossChart({
  points,
  steps,
  checkpointEvery,
  testLoss,
}: {
  points: Point[];
  steps: number;
  checkpointEvery?: number;
  testLoss?: number | null;
}) {
  const finite = useMemo(() => points.filter((p) => Number.isFinite(p.loss)).sort((a, b) => a.step - b.step), [points]);
  const test = testLoss !== null && testLoss !== undefined && Number.isFinite(testLoss) ? testLoss : null;
  const scale = useMemo(
    () => chartScale(test === null ? finite : [...finite, { step: steps, loss: test }], steps, { width: W, height: H, ...PAD }),
    [finite, steps, test],
  );
  if (finite.length === 0) return <p className="empty">No loss reported yet.</p>;
  const first = finite[0];
  const last = finite[finite.length - 1];
  const summary =
    `Loss went from ${formatNumber(first.loss)} at step ${first.step} to ${formatNumber(last.loss)} at step ${last.step} of ${steps}` +
    ` (${finite.length} point${finite.length === 1 ? '' : 's'}).`;
  const path = finite.map((p, i) => `${i === 0 ? 'M' : 'L'}${scale.x(p.step).toFixed(1)},${scale.y(p.loss).toFixed(1)}`).join(' ');
  const checkpoints = checkpointSteps(steps, checkpointEvery);
  const marked = checkpointLosses(finite, checkpoints);
  const checkpointText =
    marked.length > 0 ? ` Loss at the checkpoints: ${marked.map((p) => `step ${p.step} ${formatNumber(p.loss)}`).join(', ')}.` : '';
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Training loss chart. ${summary}`} preserveAspectRatio="xMidYMid meet">
        {checkpoints.map((s) => (
          <line key={`c${s}`} className="checkpoint" x1={scale.x(s)} x2={scale.x(s)} y1={PAD.top} y2={H - PAD.bottom} />
        ))}
        {scale.yTicks.map((t) => (
          <g key={`y${t}`}>
            <line className="grid" x1={PAD.left} x2={W - PAD.right} y1={scale.y(t)} y2={scale.y(t)} />
            <text className="tick" x={PAD.left - 6} y={scale.y(t)} textAnchor="end" dominantBaseline="middle">
              {formatNumber(t, 3)}
            </text>
          </g>
        ))}
        {scale.xTicks.map((t) => (
          <text key={`x${t}`} className="tick" x={scale.x(t)} y={H - PAD.bottom + 16} textAnchor="middle">
            {t}
          </text>
        ))}
        <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} />
        <line className="axis" x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={H - PAD.bottom} />
        <text className="axis-label" x={(PAD.left + W - PAD.right) / 2} y={H - 4} textAnchor="middle">
          step
        </text>
        {test !== null && (
          <g data-testid="test-loss-line">
            <line className="test-loss" x1={PAD.left} x2={W - PAD.right} y1={scale.y(test)} y2={scale.y(test)} />
            <text className="tick" x={W - PAD.right - 4} y={scale.y(test) - 4} textAnchor="end">
              test loss {formatNumber(test)}
            </text>
          </g>
        )}
        <path className="line" d={path} />
        {finite.length <= 60 && finite.map((p) => <circle key={p.step} className="dot" cx={scale.x(p.step)} cy={scale.y(p.loss)} r={2.5} />)}
        {marked.map((p) => (
          <circle key={`k${p.step}`} className="checkpoint-dot" cx={scale.x(p.step)} cy={scale.y(p.loss)} r={4}>
            <title>{`checkpoint at step ${p.step}: loss ${formatNumber(p.loss)}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>
        {summary}
        {checkpoints.length > 0 && ' Dashed lines mark checkpoints.'}
        {checkpointText}
        {test !== null && ` The horizontal line is the final model's test loss, ${formatNumber(test)}.`}
      </figcaption>
    </figure>
  );
}
