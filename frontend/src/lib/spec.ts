// The job form: defaults, validation and the task spec JSON it produces.
//
// The rules mirror tribunal/spec.py (TaskSpec and the model/optimizer configs) and
// tribunal/models/dims.py (which model, loss and dataset fit together), so the form says what is
// wrong before anything is uploaded. The backend re-validates (POST /api/specs) and stays the
// authority: it also rounds hyperparameters to float32 and computes the roots.

import type { DatasetInfo } from './api';
import { float32ToString, formatEth, isHash, shortHash } from './format';

/** A dataset as GET /api/datasets describes it (backend/api/schemas.py `DatasetOut`): a spec names it
 * by `ref`, a built-in dataset's name or an uploaded dataset's 0x hash. */
export type { DatasetInfo };

export type ModelKind = 'mlp' | 'cnn' | 'transformer';
export type LossKind = 'mse' | 'cross_entropy';
export type OptimizerKind = 'sgd' | 'momentum' | 'adam';

/** Built-in datasets of tribunal/datasets/registry.py (used when the API does not list them). */
export const BUILTIN_DATASETS: DatasetInfo[] = [
  { ref: 'iris', name: 'iris', uploaded: false, rows: 120, test_rows: 30, features: 4, targets: 1, target_kind: 'class', num_classes: 3, description: "Fisher's iris flowers: 150 samples, 4 features, 3 classes" },
  { ref: 'wine', name: 'wine', uploaded: false, rows: 143, test_rows: 35, features: 13, targets: 1, target_kind: 'class', num_classes: 3, description: 'Wine cultivars from chemical analysis: 178 samples, 13 features, 3 classes' },
  { ref: 'breast_cancer', name: 'breast_cancer', uploaded: false, rows: 456, test_rows: 113, features: 30, targets: 1, target_kind: 'class', num_classes: 2, description: 'Wisconsin diagnostic breast cancer: 569 samples, 30 features, 2 classes' },
  { ref: 'digits', name: 'digits', uploaded: false, rows: 1438, test_rows: 359, features: 64, targets: 1, target_kind: 'class', num_classes: 10, description: '8x8 handwritten digits: 1797 samples, 64 pixels, 10 classes' },
  { ref: 'diabetes', name: 'diabetes', uploaded: false, rows: 354, test_rows: 88, features: 10, targets: 1, target_kind: 'regression', num_classes: null, description: 'Diabetes progression after one year: 442 patients, 10 features, real-valued target' },
  { ref: 'regression', name: 'regression', uploaded: false, rows: 1024, test_rows: 256, features: 8, targets: 1, target_kind: 'regression', num_classes: null, description: 'Synthetic regression: 1280 samples of 8 features, real-valued target' },
  { ref: 'tiny_regression', name: 'tiny_regression', uploaded: false, rows: 32, test_rows: 8, features: 3, targets: 1, target_kind: 'regression', num_classes: null, description: 'Tiny synthetic regression for fast tests and disputes: 40 samples, 3 features' },
  { ref: 'char_copy', name: 'char_copy', uploaded: false, rows: 2048, test_rows: 512, features: 16, targets: 16, target_kind: 'next_token', num_classes: 16, description: 'Character-level copy task: 16 token ids in, the next token at each position out (vocabulary 16)' },
];

export const MAX_SEED = 2n ** 64n - 1n;
export const MAX_STEPS = 1_000_000_000;
export const MAX_BATCH = 65_536;
/** postTask takes uint32 steps; MAX_STEPS fits. */
export const DEFAULT_MAX_CHALLENGE_WINDOW = 86_400;
/** Longest deadline the form accepts (a typo guard, not a protocol rule). */
export const MAX_DEADLINE_SECONDS = 365 * 86_400;

/** Everything the form holds, as typed (strings), so partial input never throws. */
export interface JobForm {
  modelKind: ModelKind;
  mlpHidden: string;
  cnnImage: string;
  cnnChannels: string;
  cnnKernel: string;
  cnnHidden: string;
  tfVocab: string;
  tfContext: string;
  tfDModel: string;
  tfHeads: string;
  tfDFf: string;
  tfLayers: string;
  dataset: string;
  loss: LossKind;
  optimizer: OptimizerKind;
  lr: string;
  momentum: string;
  beta1: string;
  beta2: string;
  eps: string;
  batchSize: string;
  seed: string;
  steps: string;
  checkpointEvery: string;
  /** ETH. */
  reward: string;
  /** ETH. */
  minStake: string;
  /** Minutes from now. */
  deadlineMinutes: string;
  /** Seconds. */
  challengeWindow: string;
}

export type JobField = keyof JobForm;

export const DEFAULT_LR: Record<OptimizerKind, string> = { sgd: '0.1', momentum: '0.05', adam: '0.001' };

/** The demo job (tribunal.tasks.demo_spec): an MLP on digits that trains in seconds on a CPU. */
export const DEFAULT_FORM: JobForm = {
  modelKind: 'mlp',
  mlpHidden: '32',
  cnnImage: '1, 8, 8',
  cnnChannels: '8',
  cnnKernel: '3',
  cnnHidden: '32',
  tfVocab: '16',
  tfContext: '16',
  tfDModel: '32',
  tfHeads: '2',
  tfDFf: '64',
  tfLayers: '1',
  dataset: 'digits',
  loss: 'cross_entropy',
  optimizer: 'sgd',
  lr: DEFAULT_LR.sgd,
  momentum: '0.9',
  beta1: '0.9',
  beta2: '0.999',
  eps: '1e-8',
  batchSize: '32',
  seed: '7',
  steps: '40',
  checkpointEvery: '10',
  reward: '1',
  minStake: '2',
  deadlineMinutes: '60',
  challengeWindow: '300',
};

/** The loss a dataset's targets call for. */
export function lossFor(dataset: DatasetInfo | undefined): LossKind {
  return dataset?.target_kind === 'regression' ? 'mse' : 'cross_entropy';
}

/** An image shape (c, h, w) holding `features` values: square if it can be, else one row. */
export function imageFor(features: number): [number, number, number] {
  const side = Math.round(Math.sqrt(features));
  if (side * side === features) return [1, side, side];
  return [1, 1, features];
}

/**
 * The form after the user changed `field` to `value`, with the fields that must follow it adjusted
 * (a dataset's loss, a transformer's vocabulary and context, a CNN's image, an optimizer's lr).
 */
export function updateForm(form: JobForm, field: JobField, value: string, datasets: DatasetInfo[]): JobForm {
  const next = { ...form, [field]: value } as JobForm;
  const find = (ref: string) => datasets.find((d) => d.ref === ref);
  if (field === 'modelKind') {
    if (value === 'transformer') {
      const tokens = datasets.find((d) => d.target_kind === 'next_token');
      if (tokens && find(next.dataset)?.target_kind !== 'next_token') next.dataset = tokens.ref;
    } else if (find(next.dataset)?.target_kind === 'next_token') {
      next.dataset = datasets.find((d) => d.ref === 'digits')?.ref ?? datasets.find((d) => d.target_kind !== 'next_token')?.ref ?? next.dataset;
    }
  }
  if (field === 'modelKind' || field === 'dataset') {
    const dataset = find(next.dataset);
    if (dataset) {
      next.loss = lossFor(dataset);
      if (dataset.target_kind === 'next_token') {
        next.tfContext = String(dataset.features);
        if (dataset.num_classes) next.tfVocab = String(dataset.num_classes);
      }
      const image = imageFor(dataset.features);
      next.cnnImage = image.join(', ');
      const kernel = Number(next.cnnKernel);
      if (!(kernel >= 1 && kernel <= Math.min(image[1], image[2]))) next.cnnKernel = String(Math.min(3, image[1], image[2]));
      const batch = Number(next.batchSize);
      if (Number.isInteger(batch) && batch > dataset.rows) next.batchSize = String(Math.min(32, dataset.rows));
    }
  }
  if (field === 'optimizer') next.lr = DEFAULT_LR[value as OptimizerKind] ?? next.lr;
  return next;
}

// ---------------------------------------------------------------- parsing

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** A non-negative decimal integer within [min, max]. */
export function parseInteger(text: string, min: number, max: number, what = 'a whole number'): Parsed<number> {
  const clean = text.trim().replace(/_/g, '');
  if (!/^[0-9]+$/.test(clean)) return { ok: false, error: `enter ${what} (digits only)` };
  const value = Number(clean);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    return { ok: false, error: `must be ${fmtRange(min, max)}, got ${clean}` };
  }
  return { ok: true, value };
}

function fmtRange(min: number, max: number): string {
  return `${min.toLocaleString('en-US')}..${max.toLocaleString('en-US')}`;
}

/** A finite number that stays finite as float32; returns the float32 value (what the spec stores). */
export function parseFloat32(text: string): Parsed<number> {
  const clean = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(clean)) return { ok: false, error: 'enter a number (e.g. 0.01 or 1e-3)' };
  const value = Number(clean);
  const rounded = Math.fround(value);
  if (!Number.isFinite(value) || !Number.isFinite(rounded)) return { ok: false, error: `${clean} does not fit in a float32` };
  return { ok: true, value: rounded };
}

/** Layer widths "64, 32" -> [64, 32]. */
export function parseIntList(text: string): number[] | null {
  const parts = text.split(/[\s,x×]+/).filter((p) => p.length > 0);
  if (parts.length === 0 || parts.some((p) => !/^[0-9]+$/.test(p))) return null;
  return parts.map(Number);
}

// ---------------------------------------------------------------- the spec

export type ModelSpec =
  | { kind: 'mlp'; hidden: number[] }
  | { kind: 'cnn'; image: [number, number, number]; channels: number; kernel: number; hidden: number }
  | { kind: 'transformer'; vocab: number; context: number; d_model: number; heads: number; d_ff: number; layers: number };

export type OptimizerSpec =
  | { kind: 'sgd'; lr: number }
  | { kind: 'momentum'; lr: number; momentum: number }
  | { kind: 'adam'; lr: number; beta1: number; beta2: number; eps: number };

/** tribunal.spec.TaskSpec as JSON (seed as a decimal string: it may exceed 2**53). */
export interface TaskSpecJson {
  version: 1;
  model: ModelSpec;
  dataset: string;
  loss: LossKind;
  optimizer: OptimizerSpec;
  batch_size: number;
  seed: string;
  steps: number;
  checkpoint_every: number;
}

/** What postTask needs besides the spec's roots. */
export interface MarketTerms {
  rewardWei: bigint;
  minStakeWei: bigint;
  /** Seconds from now until the deadline. */
  deadlineSeconds: number;
  challengeWindow: number;
}

export interface ValidationContext {
  datasets: DatasetInfo[];
  /** TaskMarket.MAX_CHALLENGE_WINDOW (seconds). */
  maxChallengeWindow?: number;
  /** TaskMarket.MIN_CHALLENGE_WINDOW (seconds); 1 when the deployment does not say. */
  minChallengeWindow?: number;
  /** TaskMarket.MIN_TASK_STAKE (wei); no floor when the deployment does not say. */
  minTaskStakeWei?: bigint;
}

export interface ValidationResult {
  errors: Partial<Record<JobField, string>>;
  spec: TaskSpecJson | null;
  terms: MarketTerms | null;
}

const WEI_PER_ETH = 10n ** 18n;

function parseEthAmount(text: string): Parsed<bigint> {
  const clean = text.trim().replace(/,/g, '');
  const match = /^([0-9]+)?(?:\.([0-9]*))?$/.exec(clean);
  if (!clean || !match || (match[1] === undefined && !match[2])) return { ok: false, error: 'enter an amount in ETH (e.g. 0.5)' };
  const fraction = match[2] ?? '';
  if (fraction.length > 18) return { ok: false, error: 'at most 18 decimals (1 wei)' };
  const wei = BigInt(match[1] ?? '0') * WEI_PER_ETH + BigInt(fraction.padEnd(18, '0') || '0');
  if (wei === 0n) return { ok: false, error: 'must be more than 0' };
  return { ok: true, value: wei };
}

/** Validates the whole form: per-field messages, and the spec and terms when everything is right. */
export function validateJob(form: JobForm, ctx: ValidationContext): ValidationResult {
  const errors: Partial<Record<JobField, string>> = {};
  const take = <T>(field: JobField, parsed: Parsed<T>): T | undefined => {
    if (parsed.ok) return parsed.value;
    errors[field] ??= parsed.error;
    return undefined;
  };
  const fail = (field: JobField, message: string) => {
    errors[field] ??= message;
  };

  const dataset = ctx.datasets.find((d) => d.ref === form.dataset);
  if (!form.dataset) fail('dataset', 'choose a dataset');
  else if (!dataset) fail('dataset', `unknown dataset ${JSON.stringify(form.dataset)}`);

  // ---- model
  let model: ModelSpec | undefined;
  if (form.modelKind === 'mlp') {
    const hidden = parseIntList(form.mlpHidden);
    if (!hidden) fail('mlpHidden', 'list layer widths separated by commas, e.g. 64, 32');
    else if (hidden.length < 1 || hidden.length > 8) fail('mlpHidden', `list 1..8 layer widths, got ${hidden.length}`);
    else if (hidden.some((w) => w < 1 || w > 4096)) fail('mlpHidden', 'each width must be 1..4,096');
    else model = { kind: 'mlp', hidden };
  } else if (form.modelKind === 'cnn') {
    const image = parseIntList(form.cnnImage);
    const channels = take('cnnChannels', parseInteger(form.cnnChannels, 1, 256));
    const kernel = take('cnnKernel', parseInteger(form.cnnKernel, 1, 4096));
    const hidden = take('cnnHidden', parseInteger(form.cnnHidden, 1, 4096));
    let shape: [number, number, number] | undefined;
    if (!image || image.length !== 3) fail('cnnImage', 'enter channels, height, width (e.g. 1, 8, 8)');
    else if (Math.min(...image) < 1) fail('cnnImage', 'every dimension must be at least 1');
    else shape = [image[0], image[1], image[2]];
    if (shape && kernel !== undefined && kernel > Math.min(shape[1], shape[2])) {
      fail('cnnKernel', `must be 1..${Math.min(shape[1], shape[2])} for a ${shape[1]}×${shape[2]} image`);
    }
    if (shape && dataset && shape[0] * shape[1] * shape[2] !== dataset.features) {
      fail('cnnImage', `holds ${shape[0] * shape[1] * shape[2]} values; ${dataset.name} rows have ${dataset.features} features`);
    }
    if (shape && channels !== undefined && kernel !== undefined && hidden !== undefined && !errors.cnnKernel && !errors.cnnImage) {
      model = { kind: 'cnn', image: shape, channels, kernel, hidden };
    }
  } else {
    const vocab = take('tfVocab', parseInteger(form.tfVocab, 2, 4096));
    const context = take('tfContext', parseInteger(form.tfContext, 1, 512));
    const heads = take('tfHeads', parseInteger(form.tfHeads, 1, 64));
    const dModel = take('tfDModel', parseInteger(form.tfDModel, 1, 4096));
    const dFf = take('tfDFf', parseInteger(form.tfDFf, 1, 8192));
    const layers = take('tfLayers', parseInteger(form.tfLayers, 1, 24));
    if (dModel !== undefined && heads !== undefined && dModel % heads !== 0) fail('tfDModel', `must be a multiple of heads (${heads})`);
    if (dataset && dataset.target_kind === 'next_token') {
      if (context !== undefined && context !== dataset.features) fail('tfContext', `must equal ${dataset.name}'s sequence length ${dataset.features}`);
      if (vocab !== undefined && dataset.num_classes !== null && vocab !== dataset.num_classes) fail('tfVocab', `must equal ${dataset.name}'s vocabulary ${dataset.num_classes}`);
    }
    if ([vocab, context, heads, dModel, dFf, layers].every((v) => v !== undefined) && !errors.tfDModel && !errors.tfContext && !errors.tfVocab) {
      model = { kind: 'transformer', vocab: vocab!, context: context!, d_model: dModel!, heads: heads!, d_ff: dFf!, layers: layers! };
    }
  }

  // ---- model, loss and dataset together (tribunal/models/dims.py)
  if (dataset) {
    if (form.modelKind === 'transformer' && dataset.target_kind !== 'next_token') {
      fail('dataset', `a transformer needs a next-token dataset (e.g. char_copy); ${dataset.name} has ${dataset.target_kind} targets`);
    } else if (form.modelKind !== 'transformer' && dataset.target_kind === 'next_token') {
      fail('dataset', `${dataset.name} is a token task: use the transformer model`);
    }
    if (form.loss === 'cross_entropy' && dataset.target_kind === 'regression') fail('loss', `${dataset.name} has real-valued targets: use mean squared error`);
    if (form.loss === 'mse' && dataset.target_kind !== 'regression') fail('loss', `${dataset.name} has ${dataset.target_kind === 'class' ? 'class' : 'token'} targets: use cross-entropy`);
  }
  if (form.modelKind === 'transformer' && form.loss !== 'cross_entropy') fail('loss', 'a transformer predicts tokens: use cross-entropy');

  // ---- optimizer (float32 values, checked after rounding as tribunal/spec.py does)
  let optimizer: OptimizerSpec | undefined;
  const lr = take('lr', parseFloat32(form.lr));
  if (lr !== undefined && lr <= 0) fail('lr', 'must be more than 0');
  if (form.optimizer === 'sgd') {
    if (lr !== undefined && !errors.lr) optimizer = { kind: 'sgd', lr };
  } else if (form.optimizer === 'momentum') {
    const momentum = take('momentum', parseFloat32(form.momentum));
    if (lr !== undefined && momentum !== undefined && !errors.lr) optimizer = { kind: 'momentum', lr, momentum };
  } else {
    const beta1 = take('beta1', parseFloat32(form.beta1));
    const beta2 = take('beta2', parseFloat32(form.beta2));
    const eps = take('eps', parseFloat32(form.eps));
    if (beta1 !== undefined && !(beta1 >= 0 && beta1 < 1)) fail('beta1', `must be in [0, 1) as a float32, got ${beta1}`);
    if (beta2 !== undefined && !(beta2 >= 0 && beta2 < 1)) fail('beta2', `must be in [0, 1) as a float32, got ${beta2}`);
    if (eps !== undefined && !(eps > 0)) fail('eps', 'must be more than 0');
    if (lr !== undefined && beta1 !== undefined && beta2 !== undefined && eps !== undefined && !errors.lr && !errors.beta1 && !errors.beta2 && !errors.eps) {
      optimizer = { kind: 'adam', lr, beta1, beta2, eps };
    }
  }

  // ---- schedule
  const maxBatch = dataset ? Math.min(MAX_BATCH, dataset.rows) : MAX_BATCH;
  const batchSize = take('batchSize', parseInteger(form.batchSize, 1, maxBatch));
  if (errors.batchSize && dataset && /must be/.test(errors.batchSize)) errors.batchSize = `must be 1..${maxBatch} (${dataset.name} has ${dataset.rows} training rows)`;
  let seed: string | undefined;
  const seedText = form.seed.trim();
  if (!/^[0-9]+$/.test(seedText)) fail('seed', 'enter a whole number 0..2^64-1');
  else if (BigInt(seedText) > MAX_SEED) fail('seed', 'must be at most 2^64-1 (18,446,744,073,709,551,615)');
  else seed = BigInt(seedText).toString();
  const steps = take('steps', parseInteger(form.steps, 1, MAX_STEPS));
  const checkpointEvery = take('checkpointEvery', parseInteger(form.checkpointEvery, 1, MAX_STEPS));
  if (steps !== undefined && checkpointEvery !== undefined && checkpointEvery > steps) {
    fail('checkpointEvery', `must be 1..steps (${steps})`);
  }

  // ---- market terms
  const rewardWei = take('reward', parseEthAmount(form.reward));
  const minStakeWei = take('minStake', parseEthAmount(form.minStake));
  const deadlineMinutes = take('deadlineMinutes', parseInteger(form.deadlineMinutes, 1, MAX_DEADLINE_SECONDS / 60, 'minutes'));
  if (minStakeWei !== undefined && ctx.minTaskStakeWei !== undefined && minStakeWei < ctx.minTaskStakeWei) {
    fail('minStake', `must be at least ${formatEth(ctx.minTaskStakeWei, { decimals: 18 })} (the market's floor): raise the required stake`);
  }
  const maxWindow = ctx.maxChallengeWindow ?? DEFAULT_MAX_CHALLENGE_WINDOW;
  const minWindow = Math.max(1, ctx.minChallengeWindow ?? 1);
  const challengeWindow = take('challengeWindow', parseInteger(form.challengeWindow, minWindow, maxWindow, 'seconds'));
  if (errors.challengeWindow && /must be/.test(errors.challengeWindow)) {
    const range = fmtRange(minWindow, maxWindow);
    const entered = Number(form.challengeWindow.trim().replace(/_/g, ''));
    errors.challengeWindow = minWindow > 1 && entered < minWindow
      ? `must be ${range} seconds: raise it to at least the market's shortest window (${minWindow.toLocaleString('en-US')} s)`
      : `must be ${range} seconds (the market's longest window)`;
  }

  const ok = Object.keys(errors).length === 0;
  const spec: TaskSpecJson | null =
    ok && model && optimizer && dataset && batchSize !== undefined && seed !== undefined && steps !== undefined && checkpointEvery !== undefined
      ? { version: 1, model, dataset: dataset.ref, loss: form.loss, optimizer, batch_size: batchSize, seed, steps, checkpoint_every: checkpointEvery }
      : null;
  const terms: MarketTerms | null =
    ok && rewardWei !== undefined && minStakeWei !== undefined && deadlineMinutes !== undefined && challengeWindow !== undefined
      ? { rewardWei, minStakeWei, deadlineSeconds: deadlineMinutes * 60, challengeWindow }
      : null;
  return { errors, spec: spec && terms ? spec : null, terms: spec && terms ? terms : null };
}

/** The spec as JSON text, with the seed written as a JSON integer (exact, even beyond 2**53). */
export function specToJson(spec: TaskSpecJson): string {
  const marker = '__tribunal_seed__';
  const text = JSON.stringify({ ...spec, seed: marker });
  return text.replace(`"${marker}"`, spec.seed);
}

/** One line saying what a spec trains: "MLP 32 on digits · SGD lr 0.1 · 40 steps × batch 32". */
export function describeSpec(spec: {
  model: { kind: string; [k: string]: unknown };
  dataset: string;
  optimizer: { kind: string; lr?: number };
  steps: number;
  batch_size: number;
}): string {
  const m = spec.model;
  let model: string;
  if (m.kind === 'mlp') model = `MLP ${(m.hidden as number[] | undefined)?.join('-') ?? ''}`.trim();
  else if (m.kind === 'cnn') model = `CNN ${m.channels}ch k${m.kernel}`;
  else if (m.kind === 'transformer') model = `Transformer ${m.layers}L d${m.d_model}`;
  else model = m.kind;
  const opt = `${spec.optimizer.kind === 'sgd' ? 'SGD' : spec.optimizer.kind === 'adam' ? 'Adam' : 'Momentum'} lr ${spec.optimizer.lr === undefined ? '?' : float32ToString(Math.fround(Number(spec.optimizer.lr)))}`;
  const dataset = isHash(spec.dataset) ? `dataset ${shortHash(spec.dataset)}` : spec.dataset;
  return `${model} on ${dataset} · ${opt} · ${spec.steps} steps × batch ${spec.batch_size}`;
}
