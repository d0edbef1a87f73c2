import { useMemo } from 'react';
import { formatNumber } from '../lib/format';
import { chartScale } from '../lib/chart';

export interface Point {
  step: number;
  loss: number;
}

const W = 640;
const H = 240;
const PAD = { left: 56, right: 16, top: 12, bottom: 36 };

/** Training loss by step, drawn as an SVG line with axes; a text summary for screen readers. */
export function LossChart({ points, steps, checkpointEvery }: { points: Point[]; steps: number; checkpointEvery?: number }) {
  const finite = useMemo(() => points.filter((p) => Number.isFinite(p.loss)).sort((a, b) => a.step - b.step), [points]);
  const scale = useMemo(() => chartScale(finite, steps, { width: W, height: H, ...PAD }), [finite, steps]);
  if (finite.length === 0) return <p className="empty">No loss reported yet.</p>;
  const first = finite[0];
  const last = finite[finite.length - 1];
  const summary = `Loss went from ${formatNumber(first.loss)} at step ${first.step} to ${formatNumber(last.loss)} at step ${last.step} of ${steps}.`;
  const path = finite.map((p, i) => `${i === 0 ? 'M' : 'L'}${scale.x(p.step).toFixed(1)},${scale.y(p.loss).toFixed(1)}`).join(' ');
  const checkpoints: number[] = [];
  if (checkpointEvery && checkpointEvery > 0 && steps / checkpointEvery <= 50) {
    for (let s = checkpointEvery; s <= steps; s += checkpointEvery) checkpoints.push(s);
  }
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
        <path className="line" d={path} />
        {finite.length <= 60 && finite.map((p) => <circle key={p.step} className="dot" cx={scale.x(p.step)} cy={scale.y(p.loss)} r={2.5} />)}
      </svg>
      <figcaption>
        {summary}
        {checkpoints.length > 0 && ' Dashed lines mark checkpoints.'}
      </figcaption>
    </figure>
  );
}
