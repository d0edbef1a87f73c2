import { describe, expect, it } from 'vitest';
import {
  BUILTIN_DATASETS,
  DEFAULT_FORM,
  describeSpec,
  imageFor,
  parseFloat32,
  parseIntList,
  parseInteger,
  specToJson,
  updateForm,
  validateJob,
  type JobForm,
} from '../src/lib/spec';

const ctx = { datasets: BUILTIN_DATASETS, maxChallengeWindow: 86_400 };
const form = (patch: Partial<JobForm>): JobForm => ({ ...DEFAULT_FORM, ...patch });
const errorsOf = (patch: Partial<JobForm>) => validateJob(form(patch), ctx).errors;

describe('defaults', () => {
  it('are a valid job: the demo MLP on digits', () => {
    const r = validateJob(DEFAULT_FORM, ctx);
    expect(r.errors).toEqual({});
    expect(r.spec).toEqual({
      version: 1,
      model: { kind: 'mlp', hidden: [32] },
      dataset: 'digits',
      loss: 'cross_entropy',
      optimizer: { kind: 'sgd', lr: Math.fround(0.1) },
      batch_size: 32,
      seed: '7',
      steps: 40,
      checkpoint_every: 10,
    });
    expect(r.terms).toEqual({ rewardWei: 10n ** 18n, minStakeWei: 2n * 10n ** 18n, deadlineSeconds: 3600, challengeWindow: 300 });
  });
});

describe('model rules (tribunal/spec.py)', () => {
  it('MLP widths: 1..8 layers of 1..4096', () => {
    expect(errorsOf({ mlpHidden: '64, 32' })).toEqual({});
    expect(errorsOf({ mlpHidden: '' }).mlpHidden).toMatch(/layer widths/);
    expect(errorsOf({ mlpHidden: '1,2,3,4,5,6,7,8,9' }).mlpHidden).toMatch(/1\.\.8/);
    expect(errorsOf({ mlpHidden: '5000' }).mlpHidden).toMatch(/4,096/);
    expect(errorsOf({ mlpHidden: '0' }).mlpHidden).toBeDefined();
    expect(errorsOf({ mlpHidden: '3.5' }).mlpHidden).toBeDefined();
  });

  it('CNN: the image must hold the dataset features and fit the kernel', () => {
    const cnn = { modelKind: 'cnn' as const };
    expect(errorsOf({ ...cnn, cnnImage: '1, 8, 8' })).toEqual({});
    expect(errorsOf({ ...cnn, cnnImage: '1, 4, 4' }).cnnImage).toMatch(/holds 16 values; digits rows have 64/);
    expect(errorsOf({ ...cnn, cnnImage: '1, 8' }).cnnImage).toMatch(/channels, height, width/);
    expect(errorsOf({ ...cnn, cnnKernel: '9' }).cnnKernel).toMatch(/1\.\.8/);
    expect(errorsOf({ ...cnn, cnnChannels: '300' }).cnnChannels).toMatch(/1\.\.256/);
  });

  it('transformer: heads 1..64 dividing d_model, layers 1..24, sized to the token dataset', () => {
    const tf = { modelKind: 'transformer' as const, dataset: 'char_copy', tfContext: '16', tfVocab: '16' };
    expect(errorsOf(tf)).toEqual({});
    expect(errorsOf({ ...tf, tfHeads: '65' }).tfHeads).toBeDefined();
    expect(errorsOf({ ...tf, tfHeads: '3' }).tfDModel).toMatch(/multiple of heads/);
    expect(errorsOf({ ...tf, tfHeads: '8', tfDModel: '384', tfLayers: '6' })).toEqual({});
    expect(errorsOf({ ...tf, tfDModel: '33' }).tfDModel).toMatch(/multiple of heads/);
    expect(errorsOf({ ...tf, tfContext: '8' }).tfContext).toMatch(/sequence length 16/);
    expect(errorsOf({ ...tf, tfVocab: '32' }).tfVocab).toMatch(/vocabulary 16/);
    expect(errorsOf({ ...tf, tfLayers: '25' }).tfLayers).toBeDefined();
    expect(errorsOf({ ...tf, loss: 'mse' }).loss).toBeDefined();
  });
});

describe('model, loss and dataset together (tribunal/models/dims.py)', () => {
  it('a transformer needs a token dataset and a token dataset needs a transformer', () => {
    expect(errorsOf({ modelKind: 'transformer', dataset: 'digits' }).dataset).toMatch(/next-token/);
    expect(errorsOf({ dataset: 'char_copy' }).dataset).toMatch(/token task/);
  });
  it('regression targets need MSE, classes need cross-entropy', () => {
    expect(errorsOf({ dataset: 'diabetes', loss: 'cross_entropy' }).loss).toMatch(/real-valued/);
    expect(errorsOf({ dataset: 'diabetes', loss: 'mse' })).toEqual({});
    expect(errorsOf({ dataset: 'iris', loss: 'mse' }).loss).toMatch(/cross-entropy/);
  });
  it('unknown datasets are refused', () => {
    expect(errorsOf({ dataset: 'mnist' }).dataset).toMatch(/unknown/);
    expect(errorsOf({ dataset: '' }).dataset).toMatch(/choose/);
  });
});

describe('optimizer (float32, checked after rounding)', () => {
  it('lr must be positive', () => {
    expect(errorsOf({ lr: '0' }).lr).toMatch(/more than 0/);
    expect(errorsOf({ lr: '-0.1' }).lr).toMatch(/more than 0/);
    expect(errorsOf({ lr: 'fast' }).lr).toMatch(/number/);
    expect(errorsOf({ lr: '1e39' }).lr).toMatch(/float32/);
  });
  it('Adam betas in [0, 1) after rounding, eps > 0', () => {
    const adam = { optimizer: 'adam' as const, lr: '0.001' };
    expect(errorsOf(adam)).toEqual({});
    expect(errorsOf({ ...adam, beta1: '1' }).beta1).toBeDefined();
    // 0.99999999 rounds to 1.0 as a float32, which tribunal/spec.py refuses too.
    expect(errorsOf({ ...adam, beta2: '0.99999999' }).beta2).toMatch(/\[0, 1\)/);
    expect(errorsOf({ ...adam, eps: '0' }).eps).toBeDefined();
    const r = validateJob(form({ ...adam, eps: '1e-8' }), ctx);
    expect(r.spec?.optimizer).toEqual({ kind: 'adam', lr: Math.fround(0.001), beta1: Math.fround(0.9), beta2: Math.fround(0.999), eps: Math.fround(1e-8) });
  });
  it('momentum carries its coefficient', () => {
    const r = validateJob(form({ optimizer: 'momentum', lr: '0.05', momentum: '0.9' }), ctx);
    expect(r.spec?.optimizer).toEqual({ kind: 'momentum', lr: Math.fround(0.05), momentum: Math.fround(0.9) });
  });
});

describe('schedule', () => {
  it('checkpoint interval within 1..steps', () => {
    expect(errorsOf({ steps: '10', checkpointEvery: '20' }).checkpointEvery).toMatch(/1\.\.steps \(10\)/);
    expect(errorsOf({ steps: '0' }).steps).toBeDefined();
    expect(errorsOf({ steps: '1000000001' }).steps).toBeDefined();
  });
  it('batch size within the dataset rows', () => {
    expect(errorsOf({ dataset: 'tiny_regression', loss: 'mse', batchSize: '33' }).batchSize).toMatch(/1\.\.32 \(tiny_regression has 32 training rows\)/);
    expect(errorsOf({ batchSize: '0' }).batchSize).toBeDefined();
  });
  it('seed up to 2^64-1, kept exact', () => {
    const big = '18446744073709551615';
    const r = validateJob(form({ seed: big }), ctx);
    expect(r.errors).toEqual({});
    expect(r.spec?.seed).toBe(big);
    expect(errorsOf({ seed: '18446744073709551616' }).seed).toMatch(/2\^64-1/);
    expect(errorsOf({ seed: '-1' }).seed).toBeDefined();
  });
});

describe('market terms', () => {
  it('reward and stake are positive ETH amounts', () => {
    expect(errorsOf({ reward: '0' }).reward).toMatch(/more than 0/);
    expect(errorsOf({ reward: 'abc' }).reward).toBeDefined();
    expect(errorsOf({ minStake: '0.0000000000000000001' }).minStake).toMatch(/18 decimals/);
    expect(validateJob(form({ reward: '0.5', minStake: '3' }), ctx).terms?.rewardWei).toBe(5n * 10n ** 17n);
  });
  it('challenge window within the market maximum', () => {
    expect(errorsOf({ challengeWindow: '0' }).challengeWindow).toMatch(/86,400/);
    expect(errorsOf({ challengeWindow: '86401' }).challengeWindow).toMatch(/longest window/);
    expect(validateJob(form({ challengeWindow: '600' }), { ...ctx, maxChallengeWindow: 500 }).errors.challengeWindow).toMatch(/1\.\.500/);
  });
  it('challenge window at least the deployed minimum, when the config gives one', () => {
    const floors = { ...ctx, minChallengeWindow: 60 };
    expect(validateJob(form({ challengeWindow: '59' }), floors).errors.challengeWindow).toBe(
      "must be 60..86,400 seconds: raise it to at least the market's shortest window (60 s)",
    );
    expect(validateJob(form({ challengeWindow: '60' }), floors).errors).toEqual({});
    expect(validateJob(form({ challengeWindow: '86401' }), floors).errors.challengeWindow).toMatch(/60\.\.86,400 .*longest window/);
    expect(errorsOf({ challengeWindow: '1' })).toEqual({}); // absent: 1 second is the floor
  });
  it('required stake at least the deployed floor, when the config gives one', () => {
    const floors = { ...ctx, minTaskStakeWei: 10n ** 17n };
    expect(validateJob(form({ minStake: '0.09' }), floors).errors.minStake).toBe(
      "must be at least 0.1 ETH (the market's floor): raise the required stake",
    );
    const r = validateJob(form({ minStake: '0.1' }), floors);
    expect(r.errors).toEqual({});
    expect(r.terms?.minStakeWei).toBe(10n ** 17n);
    expect(errorsOf({ minStake: '0.000000000000000001' })).toEqual({}); // absent: any positive stake
  });
  it('deadline in whole minutes', () => {
    expect(errorsOf({ deadlineMinutes: '0' }).deadlineMinutes).toBeDefined();
    expect(errorsOf({ deadlineMinutes: '1.5' }).deadlineMinutes).toBeDefined();
  });
  it('no spec or terms while any field is wrong', () => {
    const r = validateJob(form({ reward: '0' }), ctx);
    expect(r.spec).toBeNull();
    expect(r.terms).toBeNull();
  });
});

describe('form updates keep coupled fields consistent', () => {
  it('choosing the transformer picks a token dataset and sizes the model to it', () => {
    const f = updateForm(DEFAULT_FORM, 'modelKind', 'transformer', BUILTIN_DATASETS);
    expect(f.dataset).toBe('char_copy');
    expect(f.loss).toBe('cross_entropy');
    expect(f.tfContext).toBe('16');
    expect(f.tfVocab).toBe('16');
    expect(validateJob(f, ctx).errors).toEqual({});
  });
  it('leaving the transformer leaves the token dataset', () => {
    const tf = updateForm(DEFAULT_FORM, 'modelKind', 'transformer', BUILTIN_DATASETS);
    const back = updateForm(tf, 'modelKind', 'mlp', BUILTIN_DATASETS);
    expect(back.dataset).toBe('digits');
    expect(validateJob(back, ctx).errors).toEqual({});
  });
  it('a regression dataset switches the loss to MSE and caps the batch', () => {
    const f = updateForm(DEFAULT_FORM, 'dataset', 'tiny_regression', BUILTIN_DATASETS);
    expect(f.loss).toBe('mse');
    expect(f.batchSize).toBe('32');
    const g = updateForm({ ...DEFAULT_FORM, batchSize: '64' }, 'dataset', 'tiny_regression', BUILTIN_DATASETS);
    expect(g.batchSize).toBe('32');
  });
  it('a CNN gets an image shape that holds the features', () => {
    const f = updateForm(updateForm(DEFAULT_FORM, 'modelKind', 'cnn', BUILTIN_DATASETS), 'dataset', 'iris', BUILTIN_DATASETS);
    expect(f.cnnImage).toBe('1, 2, 2');
    expect(f.cnnKernel).toBe('2');
    expect(validateJob(f, ctx).errors).toEqual({});
    expect(imageFor(13)).toEqual([1, 1, 13]);
  });
  it('changing the optimizer resets the learning rate to its default', () => {
    expect(updateForm(DEFAULT_FORM, 'optimizer', 'adam', BUILTIN_DATASETS).lr).toBe('0.001');
  });
});

describe('parsers', () => {
  it('integers', () => {
    expect(parseInteger('42', 1, 100)).toEqual({ ok: true, value: 42 });
    expect(parseInteger('1_000', 1, 10_000)).toEqual({ ok: true, value: 1000 });
    expect(parseInteger('4.2', 1, 100).ok).toBe(false);
    expect(parseInteger('101', 1, 100).ok).toBe(false);
  });
  it('float32 values', () => {
    expect(parseFloat32('0.05')).toEqual({ ok: true, value: Math.fround(0.05) });
    expect(parseFloat32('1e-3')).toEqual({ ok: true, value: Math.fround(0.001) });
    expect(parseFloat32('.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseFloat32('0x10').ok).toBe(false);
    expect(parseFloat32('Infinity').ok).toBe(false);
  });
  it('int lists', () => {
    expect(parseIntList('64, 32')).toEqual([64, 32]);
    expect(parseIntList('1x8x8')).toEqual([1, 8, 8]);
    expect(parseIntList('a, 1')).toBeNull();
    expect(parseIntList('  ')).toBeNull();
  });
});

describe('spec JSON', () => {
  it('writes the seed as an exact JSON integer', () => {
    const spec = validateJob(form({ seed: '18446744073709551615' }), ctx).spec!;
    const text = specToJson(spec);
    expect(text).toContain('"seed":18446744073709551615');
    expect(text).not.toContain('__tribunal_seed__');
    expect(JSON.parse(text).model).toEqual({ kind: 'mlp', hidden: [32] });
  });
  it('describes a spec in one line', () => {
    expect(describeSpec(validateJob(DEFAULT_FORM, ctx).spec!)).toBe('MLP 32 on digits · SGD lr 0.1 · 40 steps × batch 32');
  });
});
