// The backend's REST API (backend/api/routes, docs/backend.md): types and one fetch wrapper.
// Amounts are wei as decimal strings, addresses lowercase hex, times unix seconds.
// The response types come from the backend's OpenAPI document (generated/api-schema.ts, made by
// `npm run gen:api` from generated/openapi.json); the names below are the ones the pages use.

import type { components, operations } from './generated/api-schema';
import type { GameStatusName, JobStatusName, TaskStatusName as ProtocolTaskStatusName } from './generated/protocolEnums';
import type { TaskSpecJson } from './spec';

export const API_BASE: string = (import.meta.env?.VITE_TRIBUNAL_API_URL as string | undefined)?.replace(/\/$/, '') ?? '';

type Schemas = components['schemas'];

/** One page of a list route: the backend's generic `Page[T]` (`Page_TaskOut_`, `Page_EventOut_`, …). */
export type Page<T> = Omit<Schemas['Page_TaskOut_'], 'items'> & { items: T[] };

/** A task's status as the API sends it: the contracts' `TaskStatus` but NONE, which no posted task has. */
export type TaskStatusName = Exclude<ProtocolTaskStatusName, 'NONE'>;
/** A game's status as the API sends it (a plain string in the OpenAPI document): the contracts' `GameStatus` but NONE. */
export type DisputeStatusName = Exclude<GameStatusName, 'NONE'>;
export type Progress = Schemas['ProgressOut'];
export type Submission = Schemas['SubmissionOut'];
export type Task = Schemas['TaskOut'];
export type DisputeSummary = Omit<Schemas['DisputeSummary'], 'status'> & { status: DisputeStatusName };
export type TaskDetail = Schemas['TaskDetail'];
/** GET /api/tasks/{id}/model: whether the file the model hash names is the committed final state h_S. */
export type ModelCheck = Schemas['ModelCheckOut'];
export type ChainEvent = Schemas['EventOut'];
export type Operator = Schemas['OperatorOut'];
export type Slash = Schemas['SlashOut'];
export type Payout = Schemas['PayoutOut'];
export type OperatorDetail = Schemas['OperatorDetail'];
export type Move = Schemas['MoveOut'];
export type DescentProgress = Schemas['DescentProgress'];
export type Stats = Schemas['StatsOut'];
export type IndexerStatus = Schemas['IndexerOut'];

/** A DiLoCo job (DilocoJobs): R rounds × N shards of market tasks. */
export type DilocoJob = Schemas['DilocoJobOut'];
/** A DiLoCo job's status as the API sends it: the contracts' `JobStatus` but NONE, which no posted job has. */
export type DilocoJobStatusName = Exclude<JobStatusName, 'NONE'>;
/** GET /api/diloco/jobs/{id}: the job and its grid, one round per row. */
export type DilocoJobDetail = Schemas['DilocoJobDetail'];
export type DilocoRound = Schemas['DilocoRoundOut'];
/** A market task of a DiLoCo job (a segment or an outer step) with its operator's last reported loss. */
export type DilocoTaskCell = Schemas['DilocoTaskCell'];
export type DilocoSegmentCell = Schemas['DilocoSegmentCell'];

export type Dispute = Omit<Schemas['DisputeOut'], 'status'> & { status: DisputeStatusName };
export type DisputeDetail = Omit<Schemas['DisputeDetail'], 'status'> & { status: DisputeStatusName };
/** GET /api/config: the chain, the contracts, and their deploy-time parameters (`challenger_bond` in wei, a string). */
export type ApiConfig = Schemas['ConfigOut'];
export type DeployParams = Schemas['DeployParamsOut'];
export type DatasetInfo = Schemas['DatasetOut'];
/** The spec validated, stored, and its on-chain fields (a done spec job's `result`). */
export type PreparedSpec = Schemas['PreparedSpecOut'];
/** POST /api/specs (202) and GET /api/specs/jobs/{id}: the job computing a spec's roots. */
export type SpecJob = Schemas['SpecJobOut'];
/** What POST /api/specs answers: the fields at once (a spec prepared before), or a job to poll. */
export type SpecPosted = { kind: 'prepared'; prepared: PreparedSpec } | { kind: 'queued'; job: SpecJob };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly path: string,
    /** Seconds the server asks to wait (`Retry-After` of a 429 or 503), if it said. */
    readonly retryAfterS?: number,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** A spec job that ended `failed`: `message` is the backend's reason. */
export class SpecJobFailed extends Error {
  constructor(readonly job: SpecJob) {
    super(job.error ?? 'the spec job failed');
    this.name = 'SpecJobFailed';
  }
}

/** FastAPI's `detail`, a string or a list of validation errors, as one readable message. */
export function detailText(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (d && typeof d === 'object') {
          const e = d as { loc?: unknown[]; msg?: string };
          const where = Array.isArray(e.loc) ? e.loc.filter((p) => p !== 'body').join('.') : '';
          return where ? `${where}: ${e.msg ?? ''}` : String(e.msg ?? JSON.stringify(d));
        }
        return String(d);
      })
      .join('; ');
  }
  if (detail === undefined || detail === null) return '';
  return JSON.stringify(detail);
}

/** A refused request as an `ApiError`: the backend's `detail` when the body is JSON, and its Retry-After. */
function refusal(path: string, status: number, statusText: string, body: string, retryAfter: string | null): ApiError {
  let detail = `${status} ${statusText}`.trim();
  try {
    const text = detailText((JSON.parse(body) as { detail?: unknown } | null)?.detail);
    if (text) detail = text;
  } catch {
    /* not JSON */
  }
  const seconds = Number(retryAfter ?? Number.NaN);
  return new ApiError(status, detail, path, Number.isFinite(seconds) ? seconds : undefined);
}

/** The response to `path`, thrown as an `ApiError` (with the backend's `detail`) unless 2xx. */
async function apiResponse(path: string, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { ...init, headers: { accept: 'application/json', ...(init?.headers ?? {}) } });
  } catch (cause) {
    throw new ApiError(0, `cannot reach the Tribunal API (${cause instanceof Error ? cause.message : String(cause)})`, path);
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw refusal(path, response.status, response.statusText, body, response.headers.get('retry-after'));
  }
  return response;
}

export async function apiFetch<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await apiResponse(path, init)).json()) as T;
}

const qs = (params: Record<string, string | number | undefined | null>) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
};

export const api = {
  tasks: (p: { limit?: number; offset?: number; status?: string; submitter?: string; operator?: string } = {}) =>
    apiFetch<Page<Task>>(`/api/tasks${qs(p)}`),
  task: (id: number) => apiFetch<TaskDetail>(`/api/tasks/${id}`),
  timeline: (id: number) => apiFetch<Page<ChainEvent>>(`/api/tasks/${id}/timeline?limit=500`),
  progress: (id: number) => apiFetch<Page<Progress>>(`/api/tasks/${id}/progress?limit=500`),
  modelCheck: (id: number) => apiFetch<ModelCheck>(`/api/tasks/${id}/model`),
  disputes: (p: { limit?: number; offset?: number; status?: string; task_id?: number; account?: string } = {}) =>
    apiFetch<Page<Dispute>>(`/api/disputes${qs(p)}`),
  dispute: (id: number) => apiFetch<DisputeDetail>(`/api/disputes/${id}`),
  operators: (p: { limit?: number; offset?: number; order_by?: string } = {}) => apiFetch<Page<Operator>>(`/api/operators${qs(p)}`),
  operator: (address: string) => apiFetch<OperatorDetail>(`/api/operators/${address}`),
  dilocoJobs: (p: { limit?: number; offset?: number; status?: string; submitter?: string } = {}) =>
    apiFetch<Page<DilocoJob>>(`/api/diloco/jobs${qs(p)}`),
  dilocoJob: (id: number) => apiFetch<DilocoJobDetail>(`/api/diloco/jobs/${id}`),
  stats: () => apiFetch<Stats>('/api/stats'),
  indexer: () => apiFetch<IndexerStatus>('/api/indexer'),
  events: (p: { limit?: number; offset?: number; name?: string } = {}) => apiFetch<Page<ChainEvent>>(`/api/events${qs(p)}`),
  config: () => apiFetch<ApiConfig>('/api/config'),
  datasets: () => apiFetch<DatasetInfo[]>('/api/datasets'),
  /** The spec as stored in the artifact store (its keccak256 is the spec hash). */
  spec: (specHash: string) => apiFetch<TaskSpecJson & Record<string, unknown>>(`/api/artifacts/${specHash}`),
  /** POST /api/specs: 200 with the fields of a spec prepared before, else 202 with the job computing them. */
  postSpec: async (specJson: string): Promise<SpecPosted> => {
    const response = await apiResponse('/api/specs', { method: 'POST', body: specJson, headers: { 'content-type': 'application/json' } });
    const body: unknown = await response.json();
    return response.status === 202 ? { kind: 'queued', job: body as SpecJob } : { kind: 'prepared', prepared: body as PreparedSpec };
  },
  /** A spec job, at the `status_url` POST /api/specs gave. */
  specJob: (statusUrl: string) => apiFetch<SpecJob>(statusUrl),
};

/** What POST /api/datasets is told about the file in its body (the generated query parameters). */
export type DatasetUploadQuery = operations['post_dataset_api_datasets_post']['parameters']['query'];

/**
 * POST /api/datasets: send `file` itself as the body, with what to make of it in the query (every
 * key set: a repeated `target`, and with a text column `text`, `tokenizer` and `context`). Sent
 * with XMLHttpRequest, which reports the upload's progress (`onProgress(sent, total)`; sent equals
 * total once the backend has the whole file and is preparing it). Refusals throw `ApiError` with
 * the backend's `detail`: 422 names the line and column at fault, 413 a file over the limit, 429
 * carries Retry-After.
 */
export function uploadDataset(file: Blob, query: DatasetUploadQuery, onProgress?: (sent: number, total: number) => void): Promise<DatasetInfo> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') params.append(key, String(item));
    }
  }
  const path = `/api/datasets?${params.toString()}`;
  return new Promise<DatasetInfo>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API_BASE}${path}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', query.format === 'csv' ? 'text/csv' : 'application/octet-stream');
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.upload.onload = () => onProgress?.(file.size, file.size);
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(refusal(path, xhr.status, xhr.statusText, xhr.responseText, xhr.getResponseHeader('retry-after')));
        return;
      }
      try {
        resolve(JSON.parse(xhr.responseText) as DatasetInfo);
      } catch {
        reject(new ApiError(xhr.status, `the API answered ${xhr.status} without the dataset (not JSON)`, path));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'cannot reach the Tribunal API, or it closed the connection during the upload', path));
    xhr.send(file);
  });
}

export interface PrepareOptions {
  /** Called with the job on each poll (not called for a spec prepared before). */
  onProgress?: (job: SpecJob) => void;
  /** Give up after this long (ms); the backend fails its jobs after its own timeout first. */
  timeoutMs?: number;
  /** First wait between polls (ms); it grows to `maxIntervalMs`. */
  intervalMs?: number;
  maxIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Upload a spec and wait for the backend's jobs worker to compute its roots: POST /api/specs, then
 * poll the job until it is done (its result) or failed (`SpecJobFailed`). HTTP refusals (413 too
 * large, 422 invalid or beyond the backend's limits, 429 too many uploads) throw `ApiError`.
 */
export async function prepareSpec(specJson: string, options: PrepareOptions = {}): Promise<PreparedSpec> {
  const { onProgress, timeoutMs = 10 * 60_000, intervalMs = 250, maxIntervalMs = 2_000 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const posted = await api.postSpec(specJson);
  if (posted.kind === 'prepared') return posted.prepared;
  let job = posted.job;
  const deadline = Date.now() + timeoutMs;
  for (let wait = intervalMs; ; wait = Math.min(maxIntervalMs, wait * 1.5)) {
    onProgress?.(job);
    if (job.status === 'done') {
      if (!job.result) throw new Error(`spec job ${job.job_id} is done but has no result`);
      return job.result;
    }
    if (job.status === 'failed') throw new SpecJobFailed(job);
    if (Date.now() > deadline) {
      throw new Error(`the backend has not prepared the spec after ${Math.round(timeoutMs / 1000)} s (job ${job.job_id} is still ${job.status}); try again later`);
    }
    await sleep(wait);
    job = await api.specJob(job.status_url);
  }
}

/** URL of an artifact's bytes (model download, checkpoints, spec). */
export function artifactUrl(hash: string): string {
  return `${API_BASE}/api/artifacts/${hash}`;
}

/** Does the store hold this artifact? (HEAD; false on 404.) */
export async function artifactExists(hash: string): Promise<boolean> {
  try {
    const r = await fetch(artifactUrl(hash), { method: 'HEAD' });
    return r.ok;
  } catch {
    return false;
  }
}

export function streamUrl(params: { kinds?: string; task_id?: number } = {}): string {
  return `${API_BASE}/api/events/stream${qs(params)}`;
}
