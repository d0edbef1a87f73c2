// The backend's REST API (backend/api/routes, docs/backend.md): types and one fetch wrapper.
// Amounts are wei as decimal strings, addresses lowercase hex, times unix seconds.

import type { DatasetInfo, TaskSpecJson } from './spec';

export const API_BASE: string = (import.meta.env?.VITE_TRIBUNAL_API_URL as string | undefined)?.replace(/\/$/, '') ?? '';

export type TaskStatusName = 'OPEN' | 'CLAIMED' | 'SUBMITTED' | 'FINALIZED' | 'CANCELLED' | 'REFUNDED' | 'VOIDED';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Progress {
  task_id: number;
  operator: string;
  step: number;
  loss: number;
  steps_per_s: number;
  reported_at: number;
  received_at: number;
}

export interface Submission {
  task_id: number;
  attempt: number;
  operator: string;
  trace_root: string;
  model_hash: string;
  submitted_at: number;
  challenge_ends_at: number;
  outcome: 'pending' | 'finalized' | 'voided';
  block_number: number;
  tx_hash: string;
}

export interface Task {
  task_id: number;
  status: TaskStatusName;
  submitter: string;
  operator: string | null;
  reward: string;
  min_stake: string;
  spec_hash: string;
  spec_uri: string;
  dataset_root: string;
  init_state_root: string;
  graph_root: string;
  steps: number;
  checkpoint_every: number;
  deadline: number;
  challenge_window: number;
  trace_root: string | null;
  model_hash: string | null;
  challenge_ends_at: number | null;
  open_disputes: number;
  attempts: number;
  claimed_at: number | null;
  submitted_at: number | null;
  settled_at: number | null;
  posted_at: number;
  posted_block: number;
  posted_tx: string;
  updated_block: number;
}

export interface DisputeSummary {
  game_id: number;
  task_id: number;
  operator: string;
  challenger: string;
  status: 'ACTIVE' | 'OPERATOR_WON' | 'CHALLENGER_WON' | string;
  level: string;
  winner: string | null;
}

export interface TaskDetail extends Task {
  submissions: Submission[];
  disputes: DisputeSummary[];
  latest_progress: Progress | null;
}

export interface ChainEvent {
  block_number: number;
  log_index: number;
  tx_hash: string;
  timestamp: number;
  contract: string;
  name: string;
  task_id: number | null;
  game_id: number | null;
  args: Record<string, unknown>;
}

export interface Operator {
  address: string;
  bonded: string;
  locked: string;
  free: string;
  unbonding: string;
  unbonding_ready_at: number;
  credit: string;
  total_staked: string;
  total_withdrawn: string;
  earnings: string;
  slash_winnings: string;
  slashed_total: string;
  slash_count: number;
  tasks_posted: number;
  tasks_claimed: number;
  tasks_completed: number;
  tasks_expired: number;
  tasks_voided: number;
  disputes_won: number;
  disputes_lost: number;
  wins: number;
  losses: number;
  first_seen_block: number;
  updated_block: number;
}

export interface Slash {
  tx_hash: string;
  log_index: number;
  block_number: number;
  timestamp: number;
  account: string;
  slasher: string;
  winner: string | null;
  amount: string;
  to_winner: string;
  burned: string;
  reason: string | null;
  task_id: number | null;
  game_id: number | null;
}

export interface Payout {
  tx_hash: string;
  log_index: number;
  block_number: number;
  timestamp: number;
  kind: string;
  account: string;
  amount: string;
  task_id: number | null;
}

export interface OperatorDetail extends Operator {
  tasks: Task[];
  slashes: Slash[];
  payouts: Payout[];
}

export interface Move {
  tx_hash: string;
  log_index: number;
  block_number: number;
  timestamp: number;
  name: string;
  party: string | null;
  level: string | null;
  args: Record<string, unknown>;
}

export interface DescentProgress {
  level: string;
  levels_done: string[];
  position: number | null;
  height: number | null;
  found_step: number | null;
  found_node: number | null;
  found_element: number | null;
  found_instruction: number | null;
  rounds: number;
}

export interface Dispute extends DisputeSummary {
  resolution: string | null;
  turn: string | null;
  opened_at: number;
  resolved_at: number | null;
  challenger_trace_root: string | null;
  bond: string | null;
  descent: DescentProgress;
  // Asked for in API-NEEDS.md; derived from the moves while absent.
  max_clock?: number;
  used_challenger?: number;
  used_operator?: number;
  move_deadline?: number | null;
  leaf_count?: number | null;
  loser?: string | null;
  trace_root_operator?: string;
}

export interface DisputeDetail extends Dispute {
  moves: Move[];
}

export interface Stats {
  block_number: number | null;
  tasks: number;
  tasks_by_status: Record<string, number>;
  operators: number;
  disputes: number;
  disputes_open: number;
  events: number;
  progress_reports: number;
  artifacts: number;
  total_bonded: string | null;
  total_locked: string | null;
  rewards_escrowed: string | null;
  rewards_paid: string | null;
  slashed_total: string | null;
  burned_total: string | null;
  aggregated_at: number | null;
}

export interface IndexerStatus {
  running: boolean;
  chain_id: number | null;
  contracts: Record<string, string>;
  cursor_block: number | null;
  finalized_block: number | null;
  head: number | null;
  lag_blocks: number | null;
  range_size: number | null;
  reorgs: number;
  error: string | null;
}

/** GET /api/config (see API-NEEDS.md). */
export interface ApiConfig {
  chain_id: number;
  rpc_url: string;
  contracts: { task_market: string; stake_manager: string; dispute_game: string | null };
  params?: Record<string, number>;
  explorer_url?: string | null;
}

/** POST /api/specs (see API-NEEDS.md): the spec validated, stored, and its on-chain fields. */
export interface PreparedSpec {
  spec: Record<string, unknown>;
  specHash: string;
  specURI: string;
  datasetRoot: string;
  initStateRoot: string;
  graphRoot: string;
  steps: number;
  checkpointEvery: number;
}

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
  datasets: () => apiFetch<DatasetInfo[] | { items: DatasetInfo[] }>('/api/datasets'),
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
