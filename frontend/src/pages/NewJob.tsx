import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState, type ReactNode } from 'react';
import { ApiError, SpecJobFailed, api, prepareSpec, type PreparedSpec, type SpecJob } from '../lib/api';
import { marketAbi } from '../lib/chain';
import { datasetOptions, withUploaded } from '../lib/datasets';
import { formatDuration, formatEth, float32ToString, isHash, toWei } from '../lib/format';
import {
  BUILTIN_DATASETS,
  DEFAULT_FORM,
  DEFAULT_MAX_CHALLENGE_WINDOW,
  describeSpec,
  specToJson,
  updateForm,
  validateJob,
  type DatasetInfo,
  type JobField,
  type JobForm,
} from '../lib/spec';
import { useTransaction } from '../hooks/useTransaction';
import { Hex, PageTitle } from '../components/ui';
import { DatasetUpload } from '../components/DatasetUpload';
import { TxStatus } from '../components/TxStatus';
import { eventsOf, useChain, useSigner } from '../wallet/context';

const DATASETS_KEY = ['datasets'];

function useDatasets() {
  return useQuery({
    queryKey: DATASETS_KEY,
    queryFn: async (): Promise<{ list: DatasetInfo[]; fromApi: boolean }> => {
      try {
        const list = await api.datasets();
        if (list.length > 0) return { list, fromApi: true };
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
      }
      return { list: BUILTIN_DATASETS, fromApi: false };
    },
    staleTime: Infinity,
  });
}

/** What the backend's spec job is doing, in words (shown while the dashboard polls it). */
export function describeSpecJob(job: SpecJob): string {
  const elapsed = `${Math.round(job.elapsed_s)} s`;
  if (job.status === 'pending') return `Spec accepted; queued for the backend's jobs worker, which computes the dataset, initial-state and graph roots (${elapsed})…`;
  if (job.status === 'running') return `The backend is computing the dataset, initial-state and graph roots (${elapsed})…`;
  if (job.status === 'done') return `Roots computed in ${elapsed}.`;
  return `The backend could not prepare the spec: ${job.error ?? 'no reason given'}`;
}

/** A refusal of POST /api/specs or its job, told so the submitter knows what to change. */
export function explainSpecRefusal(error: unknown): Error | unknown {
  if (error instanceof SpecJobFailed) return new Error(`The backend could not prepare the spec: ${error.message}`);
  if (!(error instanceof ApiError)) return error;
  switch (error.status) {
    case 404:
    case 405:
      return new Error('This backend has no POST /api/specs (it predates the route), so the spec cannot be uploaded and its roots computed: update the backend.');
    case 413:
      return new Error(`The spec is too large for this backend: ${error.detail}`);
    case 400:
    case 422:
      return new Error(`The backend rejected the spec: ${error.detail}`);
    case 429:
      return new Error(`Too many spec uploads from this address: ${error.detail}${error.retryAfterS === undefined ? '' : ` (post again after ${error.retryAfterS} s)`}`);
    default:
      return error;
  }
}

/** Normalises the answer of POST /api/specs (camelCase as asked; snake_case tolerated). */
export function normalisePrepared(raw: Record<string, unknown>): PreparedSpec {
  const get = (camel: string, snake: string) => raw[camel] ?? raw[snake];
  const prepared = {
    spec: (raw.spec as Record<string, unknown>) ?? {},
    specHash: String(get('specHash', 'spec_hash') ?? ''),
    specURI: String(get('specURI', 'spec_uri') ?? ''),
    datasetRoot: String(get('datasetRoot', 'dataset_root') ?? ''),
    initStateRoot: String(get('initStateRoot', 'init_state_root') ?? ''),
    graphRoot: String(get('graphRoot', 'graph_root') ?? ''),
    steps: Number(get('steps', 'steps')),
    checkpointEvery: Number(get('checkpointEvery', 'checkpoint_every')),
  };
  for (const key of ['specHash', 'datasetRoot', 'initStateRoot', 'graphRoot'] as const) {
    if (!isHash(prepared[key])) throw new Error(`POST /api/specs returned no valid ${key}`);
  }
  if (!prepared.specURI) throw new Error('POST /api/specs returned no specURI');
  return prepared;
}

interface FieldProps {
  field: JobField;
  label: string;
  form: JobForm;
  errors: Partial<Record<JobField, string>>;
  show: boolean;
  onChange: (field: JobField, value: string) => void;
  hint?: ReactNode;
  type?: 'text' | 'number';
  inputMode?: 'numeric' | 'decimal' | 'text';
  suffix?: string;
  /** A select's choices; given groups, shown as `<optgroup>`s when there is more than one. */
  options?: { value: string; label: string; group?: string }[];
}

function Options({ options }: { options: NonNullable<FieldProps['options']> }) {
  const groups = [...new Set(options.map((o) => o.group ?? ''))];
  const list = (items: typeof options) =>
    items.map((o) => (
      <option key={o.value} value={o.value}>
        {o.label}
      </option>
    ));
  if (groups.length < 2) return <>{list(options)}</>;
  return (
    <>
      {groups.map((group) => (
        <optgroup key={group} label={group}>
          {list(options.filter((o) => (o.group ?? '') === group))}
        </optgroup>
      ))}
    </>
  );
}

function Field({ field, label, form, errors, show, onChange, hint, inputMode = 'decimal', suffix, options }: FieldProps) {
  const id = useId();
  const error = show ? errors[field] : undefined;
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${error ? 'invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <div className="input-row">
        {options ? (
          <select id={id} name={field} value={form[field]} onChange={(e) => onChange(field, e.target.value)} aria-invalid={!!error} aria-describedby={describedBy}>
            <Options options={options} />
          </select>
        ) : (
          <input
            id={id}
            name={field}
            type="text"
            inputMode={inputMode}
            autoComplete="off"
            spellCheck={false}
            value={form[field]}
            onChange={(e) => onChange(field, e.target.value)}
            aria-invalid={!!error}
            aria-describedby={describedBy}
          />
        )}
        {suffix && <span className="suffix" aria-hidden="true">{suffix}</span>}
      </div>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** "0.05" is stored as the nearest float32: say so when it differs from what was typed. */
function float32Note(text: string): string | undefined {
  const value = Number(text);
  if (!text.trim() || !Number.isFinite(value)) return undefined;
  const rounded = Math.fround(value);
  if (rounded === value) return undefined;
  return `stored as float32 ${String(rounded)} (${float32ToString(rounded)})`;
}

export function NewJob() {
  const { config, publicClient } = useChain();
  const signer = useSigner();
  const datasets = useDatasets();
  const list = datasets.data?.list ?? BUILTIN_DATASETS;
  const [form, setForm] = useState<JobForm>(DEFAULT_FORM);
  const [touched, setTouched] = useState<Set<JobField>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [postedId, setPostedId] = useState<number | null>(null);
  const tx = useTransaction();

  const maxWindow = useQuery({
    queryKey: ['maxChallengeWindow', config.taskMarket],
    queryFn: async () => Number(await publicClient.readContract({ address: config.taskMarket, abi: marketAbi, functionName: 'MAX_CHALLENGE_WINDOW' })),
    staleTime: Infinity,
  });
  const maxChallengeWindow = maxWindow.data ?? config.params.max_challenge_window ?? DEFAULT_MAX_CHALLENGE_WINDOW;
  const minChallengeWindow = config.params.min_challenge_window;
  const minTaskStake = config.params.min_task_stake;
  const validation = useMemo(
    () => validateJob(form, {
      datasets: list,
      maxChallengeWindow,
      minChallengeWindow,
      minTaskStakeWei: minTaskStake === undefined ? undefined : toWei(minTaskStake),
    }),
    [form, list, maxChallengeWindow, minChallengeWindow, minTaskStake],
  );
  const errors = validation.errors;
  const dataset = list.find((d) => d.ref === form.dataset);
  const queryClient = useQueryClient();

  const onChange = (field: JobField, value: string) => {
    setForm((f) => updateForm(f, field, value, list));
    setTouched((t) => new Set(t).add(field));
  };
  const common = { form, errors, onChange };
  const onUploaded = (uploaded: DatasetInfo) => {
    const next = withUploaded(list, uploaded);
    queryClient.setQueryData(DATASETS_KEY, { list: next, fromApi: true });
    setForm((f) => updateForm(f, 'dataset', uploaded.ref, next));
    setTouched((t) => new Set(t).add('dataset'));
  };
  const show = (field: JobField) => submitted || touched.has(field);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!validation.spec || !validation.terms) {
      const first = document.querySelector<HTMLElement>('.field.invalid input, .field.invalid select');
      first?.focus();
      return;
    }
    const spec = validation.spec;
    const terms = validation.terms;
    setPostedId(null);
    await tx.run(
      async (progress) => {
        progress('Uploading the spec; the backend checks it against its limits…');
        let prepared: PreparedSpec;
        try {
          const done = await prepareSpec(specToJson(spec), { onProgress: (job) => progress(describeSpecJob(job)) });
          prepared = normalisePrepared(done as unknown as Record<string, unknown>);
        } catch (error) {
          throw explainSpecRefusal(error);
        }
        progress('Reading the chain time for the deadline…');
        const block = await publicClient.getBlock({ blockTag: 'latest' });
        const base = Math.max(Number(block.timestamp), Math.floor(Date.now() / 1000));
        const deadline = BigInt(base + terms.deadlineSeconds);
        return {
          address: config.taskMarket,
          abi: marketAbi,
          functionName: 'postTask',
          args: [
            {
              specHash: prepared.specHash as `0x${string}`,
              specURI: prepared.specURI,
              datasetRoot: prepared.datasetRoot as `0x${string}`,
              initStateRoot: prepared.initStateRoot as `0x${string}`,
              graphRoot: prepared.graphRoot as `0x${string}`,
              steps: prepared.steps,
              checkpointEvery: prepared.checkpointEvery,
              minStake: terms.minStakeWei,
              deadline,
              challengeWindow: BigInt(terms.challengeWindow),
            },
          ],
          value: terms.rewardWei,
        };
      },
      (receipt) => {
        const posted = eventsOf(marketAbi, receipt, 'TaskPosted')[0];
        const id = posted ? Number(posted.args.taskId) : null;
        setPostedId(id);
        return id !== null ? `Posted as job #${id} in block ${receipt.blockNumber}.` : `Mined in block ${receipt.blockNumber}.`;
      },
    );
  };

  const errorCount = Object.keys(errors).length;
  const optimizerOptions = [
    { value: 'sgd', label: 'SGD' },
    { value: 'momentum', label: 'SGD with momentum' },
    { value: 'adam', label: 'Adam' },
  ];

  return (
    <div className="page new-job">
      <PageTitle>New training job</PageTitle>
      <p className="lead">
        Describe what to train; the spec is uploaded to the artifact store and its roots are posted on-chain with your reward in escrow. A staked operator trains it
        reproducibly, and anyone may challenge a wrong result during the challenge window.
      </p>
      <form onSubmit={submit} noValidate aria-describedby="form-summary">
        <fieldset>
          <legend>Model</legend>
          <Field
            {...common}
            show={show('modelKind')}
            field="modelKind"
            label="Architecture"
            options={[
              { value: 'mlp', label: 'MLP (dense layers, ReLU)' },
              { value: 'cnn', label: 'CNN (one convolution, then dense)' },
              { value: 'transformer', label: 'Transformer (decoder-only)' },
            ]}
          />
          {form.modelKind === 'mlp' && <Field {...common} show={show('mlpHidden')} field="mlpHidden" label="Hidden layer widths" inputMode="text" hint="1 to 8 widths, comma-separated, each 1..4,096 (e.g. 64, 32)" />}
          {form.modelKind === 'cnn' && (
            <div className="grid-2">
              <Field {...common} show={show('cnnImage')} field="cnnImage" label="Image (channels, height, width)" inputMode="text" hint={dataset ? `must hold ${dataset.features} values` : undefined} />
              <Field {...common} show={show('cnnChannels')} field="cnnChannels" label="Convolution channels" inputMode="numeric" hint="1..256" />
              <Field {...common} show={show('cnnKernel')} field="cnnKernel" label="Kernel size" inputMode="numeric" hint="valid convolution, stride 1" />
              <Field {...common} show={show('cnnHidden')} field="cnnHidden" label="Dense hidden width" inputMode="numeric" hint="1..4,096" />
            </div>
          )}
          {form.modelKind === 'transformer' && (
            <div className="grid-3">
              <Field {...common} show={show('tfVocab')} field="tfVocab" label="Vocabulary" inputMode="numeric" />
              <Field {...common} show={show('tfContext')} field="tfContext" label="Context length" inputMode="numeric" />
              <Field {...common} show={show('tfDModel')} field="tfDModel" label="Model width (d_model)" inputMode="numeric" />
              <Field {...common} show={show('tfHeads')} field="tfHeads" label="Attention heads" inputMode="numeric" hint="1..64, dividing the model width" />
              <Field {...common} show={show('tfDFf')} field="tfDFf" label="Feed-forward width" inputMode="numeric" hint="1..8,192" />
              <Field {...common} show={show('tfLayers')} field="tfLayers" label="Layers" inputMode="numeric" hint="1..24" />
            </div>
          )}
        </fieldset>

        <fieldset>
          <legend>Data and loss</legend>
          <div className="grid-2">
            <Field
              {...common}
              show={show('dataset')}
              field="dataset"
              label="Dataset"
              options={datasetOptions(list)}
              hint={
                datasets.isLoading ? (
                  'loading the dataset list…'
                ) : dataset?.uploaded ? (
                  <>
                    uploaded <Hex value={dataset.ref} /> · {dataset.rows} training and {dataset.test_rows} test rows · {dataset.description}
                  </>
                ) : (
                  dataset?.description
                )
              }
            />
            <Field
              {...common}
              show={show('loss')}
              field="loss"
              label="Loss"
              options={[
                { value: 'cross_entropy', label: 'Cross-entropy (classes, tokens)' },
                { value: 'mse', label: 'Mean squared error (real targets)' },
              ]}
            />
          </div>
          {datasets.data?.fromApi ? (
            <DatasetUpload onUploaded={onUploaded} />
          ) : datasets.data ? (
            <p className="hint">This backend does not list datasets (it predates GET /api/datasets), so your own data cannot be uploaded from here.</p>
          ) : null}
        </fieldset>

        <fieldset>
          <legend>Optimizer</legend>
          <div className="grid-3">
            <Field {...common} show={show('optimizer')} field="optimizer" label="Optimizer" options={optimizerOptions} />
            <Field {...common} show={show('lr')} field="lr" label="Learning rate" hint={float32Note(form.lr) ?? 'more than 0'} />
            {form.optimizer === 'momentum' && <Field {...common} show={show('momentum')} field="momentum" label="Momentum" hint={float32Note(form.momentum) ?? 'v ← μ·v + g'} />}
            {form.optimizer === 'adam' && (
              <>
                <Field {...common} show={show('beta1')} field="beta1" label="β₁" hint={float32Note(form.beta1) ?? 'in [0, 1)'} />
                <Field {...common} show={show('beta2')} field="beta2" label="β₂" hint={float32Note(form.beta2) ?? 'in [0, 1)'} />
                <Field {...common} show={show('eps')} field="eps" label="ε" hint={float32Note(form.eps) ?? 'more than 0'} />
              </>
            )}
          </div>
        </fieldset>

        <fieldset>
          <legend>Schedule</legend>
          <div className="grid-2">
            <Field {...common} show={show('steps')} field="steps" label="Training steps" inputMode="numeric" hint="each step's states are committed; disputes bisect over them" />
            <Field {...common} show={show('checkpointEvery')} field="checkpointEvery" label="Checkpoint every" inputMode="numeric" suffix="steps" hint="1..steps" />
            <Field {...common} show={show('batchSize')} field="batchSize" label="Batch size" inputMode="numeric" hint={dataset ? `1..${dataset.rows} (training rows)` : undefined} />
            <Field {...common} show={show('seed')} field="seed" label="Seed" inputMode="numeric" hint="fixes initial weights and batches: 0..2^64-1" />
          </div>
        </fieldset>

        <fieldset>
          <legend>Market terms</legend>
          <div className="grid-2">
            <Field {...common} show={show('reward')} field="reward" label="Reward" suffix="ETH" hint="escrowed now; paid to the operator when the result stands" />
            <Field {...common} show={show('minStake')} field="minStake" label="Required operator stake" suffix="ETH" hint={`locked by the operator while it holds the job; slashed if it cheats or misses the deadline${minTaskStake === undefined ? '' : ` (at least ${formatEth(minTaskStake, { decimals: 18 })})`}`} />
            <Field {...common} show={show('deadlineMinutes')} field="deadlineMinutes" label="Deadline" suffix="minutes from now" inputMode="numeric" hint="the result must be submitted by then" />
            <Field
              {...common}
              show={show('challengeWindow')}
              field="challengeWindow"
              label="Challenge window"
              suffix="seconds"
              inputMode="numeric"
              hint={`after submission, disputes may be opened for this long (${minChallengeWindow === undefined ? '' : `at least ${formatDuration(minChallengeWindow)}, `}at most ${formatDuration(maxChallengeWindow)})`}
            />
          </div>
        </fieldset>

        <div className="summary" id="form-summary" aria-live="polite">
          {validation.spec && validation.terms ? (
            <p>
              <strong>{describeSpec(validation.spec)}</strong>
              <br />
              Reward {formatEth(validation.terms.rewardWei)} · operator stake {formatEth(validation.terms.minStakeWei)} · deadline in {formatDuration(validation.terms.deadlineSeconds)} · challenge
              window {formatDuration(validation.terms.challengeWindow)}
            </p>
          ) : submitted && errorCount > 0 ? (
            <p className="field-error">
              {errorCount} field{errorCount === 1 ? ' needs' : 's need'} attention.
            </p>
          ) : null}
        </div>

        {!signer.address && (
          <p className="notice" role="note">
            Connect a wallet{signer.devAvailable ? ' or choose a developer account (this is a devnet)' : ''} to post the job.
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={tx.busy || !signer.address} data-testid="post-job">
            {tx.busy ? 'Posting…' : `Post job${validation.terms ? ` · ${formatEth(validation.terms.rewardWei)}` : ''}`}
          </button>
          <button
            type="button"
            className="button secondary"
            disabled={tx.busy}
            onClick={() => {
              setForm(DEFAULT_FORM);
              setTouched(new Set());
              setSubmitted(false);
              tx.reset();
            }}
          >
            Reset to defaults
          </button>
        </div>
        <TxStatus state={tx.state} onDismiss={tx.reset} />
        {postedId !== null && tx.state.phase === 'mined' && (
          <p className="success">
            <a href={`#/jobs/${postedId}`} className="button primary" data-testid="posted-job-link">
              Follow job #{postedId} →
            </a>
          </p>
        )}
      </form>
    </div>
  );
}
