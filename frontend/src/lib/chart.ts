// Scales and ticks for the loss chart (pure, unit-tested).

export interface ChartBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** 1, 2 or 5 times a power of ten: "nice" tick spacing covering `span` in about `count` steps. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  // Thresholds at the geometric means (√2, √10, √50), as d3's ticks choose.
  const nice = unit < Math.SQRT2 ? 1 : unit < Math.sqrt(10) ? 2 : unit < Math.sqrt(50) ? 5 : 10;
  return nice * power;
}

export function ticks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const step = niceStep(max - min, count);
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function chartScale(points: { step: number; loss: number }[], steps: number, box: ChartBox) {
  const xMax = Math.max(steps, ...points.map((p) => p.step), 1);
  let yMin = Math.min(...points.map((p) => p.loss));
  let yMax = Math.max(...points.map((p) => p.loss));
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) {
    yMin = 0;
    yMax = 1;
  }
  if (yMin === yMax) {
    const pad = Math.abs(yMin) * 0.1 || 1;
    yMin -= pad;
    yMax += pad;
  }
  yMin = Math.min(yMin, Math.max(0, yMin - (yMax - yMin) * 0.05));
  const innerW = box.width - box.left - box.right;
  const innerH = box.height - box.top - box.bottom;
  return {
    x: (step: number) => box.left + (step / xMax) * innerW,
    y: (loss: number) => box.top + (1 - (loss - yMin) / (yMax - yMin)) * innerH,
    xTicks: ticks(0, xMax, 6).filter((t) => Number.isInteger(t)),
    yTicks: ticks(yMin, yMax, 4),
    yMin,
    yMax,
    xMax,
  };
}

/** The steps a checkpoint is made at (every `every` steps and the last), when there are few enough to draw. */
export function checkpointSteps(steps: number, every: number | null | undefined, max = 50): number[] {
  if (!every || every <= 0 || steps <= 0 || steps / every > max) return [];
  const out: number[] = [];
  for (let s = every; s <= steps; s += every) out.push(s);
  if (out[out.length - 1] !== steps) out.push(steps);
  return out;
}

/** The reported losses at checkpoint steps: the points the chart marks on the dashed lines. */
export function checkpointLosses<P extends { step: number; loss: number }>(points: P[], checkpoints: number[]): P[] {
  const at = new Set(checkpoints);
  return points.filter((p) => at.has(p.step));
}
