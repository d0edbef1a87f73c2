// The backend's REST API (backend/api/routes, docs/backend.md): types and one fetch wrapper.
// Amounts are wei as decimal strings, addresses lowercase hex, times unix seconds.
// The response types come from the backend's OpenAPI document (generated/api-schema.ts, made by
// `npm run gen:api` from generated/openapi.json); the names below are the ones the pages use.

import type { components } from './generated/api-schema';
import type { GameStatusName, TaskStatusName as ProtocolTaskStatusName } from './generated/protocolEnums';
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
export type ChainEvent = Schemas['EventOut'];
export type Operator = Schemas['OperatorOut'];
export type Slash = Schemas['SlashOut'];
export type Payout = Schemas['PayoutOut'];
export type OperatorDetail = Schemas['OperatorDetail'];
export type Move = Schemas['MoveOut'];
export type DescentProgress = Schemas['DescentProgress'];
export type Stats = Schemas['StatsOut'];
export type IndexerStatus = Schemas['IndexerOut'];

export type Dispute = Omit<Schemas['DisputeOut'], 'status'> & { status: DisputeStatusName };
export type DisputeDetail = Omit<Schemas['DisputeDetail'], 'status'> & { status: DisputeStatusName };
/** GET /api/config: the chain, the contracts, and their deploy-time parameters (`challenger_bond` in wei, a string). */
export type ApiConfig = Schemas['ConfigOut'];
export type DeployParams = Schemas['DeployParamsOut'];
export type DatasetInfo = Schemas['DatasetOut'];
/** POST /api/specs: the spec validated, stored, and its on-chain fields. */
export type PreparedSpec = Schemas['PreparedSpecOut'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly path: string,
  ) {
    super(detail);
    this.name = 'ApiError';
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

export async function apiFetch<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { ...init, headers: { accept: 'application/json', ...(init?.headers ?? {}) } });
  } catch (cause) {
    throw new ApiError(0, `cannot reach the Tribunal API (${cause instanceof Error ? cause.message : String(cause)})`, path);
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { detail?: unknown };
      const text = detailText(body.detail);
      if (text) detail = text;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, detail, path);
  }
  return (await response.json()) as T;
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
  disputes: (p: { limit?: number; offset?: number; status?: string; task_id?: number; account?: string } = {}) =>
    apiFetch<Page<Dispute>>(`/api/disputes${qs(p)}`),
  dispute: (id: number) => apiFetch<DisputeDetail>(`/api/disputes/${id}`),
  operators: (p: { limit?: number; offset?: number; order_by?: string } = {}) => apiFetch<Page<Operator>>(`/api/operators${qs(p)}`),
  operator: (address: string) => apiFetch<OperatorDetail>(`/api/operators/${address}`),
  stats: () => apiFetch<Stats>('/api/stats'),
  indexer: () => apiFetch<IndexerStatus>('/api/indexer'),
  events: (p: { limit?: number; offset?: number; name?: string } = {}) => apiFetch<Page<ChainEvent>>(`/api/events${qs(p)}`),
  config: () => apiFetch<ApiConfig>('/api/config'),
  datasets: () => apiFetch<DatasetInfo[]>('/api/datasets'),
  /** The spec as stored in the artifact store (its keccak256 is the spec hash). */
  spec: (specHash: string) => apiFetch<TaskSpecJson & Record<string, unknown>>(`/api/artifacts/${specHash}`),
  prepareSpec: (specJson: string) =>
    apiFetch<PreparedSpec>('/api/specs', { method: 'POST', body: specJson, headers: { 'content-type': 'application/json' } }),
};

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
