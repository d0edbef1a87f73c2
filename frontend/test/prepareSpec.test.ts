import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, SpecJobFailed, prepareSpec, type PreparedSpec, type SpecJob } from '../src/lib/api';

const HASH = `0x${'ab'.repeat(32)}`;
const PREPARED: PreparedSpec = {
  spec: { dataset: 'iris' },
  specHash: HASH,
  specURI: `http://api/api/artifacts/${HASH}`,
  datasetRoot: HASH,
  initStateRoot: HASH,
  graphRoot: HASH,
  steps: 5,
  checkpointEvery: 5,
};

function job(status: SpecJob['status'], extra: Partial<SpecJob> = {}): SpecJob {
  return { job_id: 'j1', status, status_url: '/api/specs/jobs/j1', spec_hash: HASH, created_at: 0, elapsed_s: 1, result: null, error: null, ...extra };
}

/** fetch answering each call with the next (status, body, headers). */
function answers(...replies: [number, unknown, Record<string, string>?][]) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push(`${init?.method ?? 'GET'} ${url}`);
      const [status, body, headers] = replies.shift() ?? [500, { detail: 'no more replies' }];
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
    }),
  );
  return calls;
}

const noWait = { sleep: async () => {} };

afterEach(() => vi.unstubAllGlobals());

describe('prepareSpec: post, then poll the job', () => {
  it('polls the status resource until the job is done, reporting each state', async () => {
    const calls = answers([202, job('pending')], [200, job('running')], [200, job('done', { result: PREPARED })]);
    const seen: string[] = [];
    const prepared = await prepareSpec('{}', { ...noWait, onProgress: (j) => seen.push(j.status) });
    expect(prepared).toEqual(PREPARED);
    expect(seen).toEqual(['pending', 'running', 'done']);
    expect(calls).toEqual(['POST /api/specs', 'GET /api/specs/jobs/j1', 'GET /api/specs/jobs/j1']);
  });

  it('takes the fields at once when the spec was prepared before (200, no job)', async () => {
    const calls = answers([200, PREPARED]);
    expect(await prepareSpec('{}', noWait)).toEqual(PREPARED);
    expect(calls).toEqual(['POST /api/specs']);
  });

  it('throws the job error of a failed job', async () => {
    answers([202, job('pending')], [200, job('failed', { error: 'the spec is invalid: no' })]);
    const failure = prepareSpec('{}', noWait);
    await expect(failure).rejects.toBeInstanceOf(SpecJobFailed);
    await expect(failure).rejects.toThrow('the spec is invalid: no');
  });

  it('gives up after its timeout', async () => {
    answers([202, job('pending')], [200, job('pending')]);
    await expect(prepareSpec('{}', { ...noWait, timeoutMs: -1 })).rejects.toThrow(/still pending/);
  });

  it('throws refusals as ApiError with the detail and Retry-After', async () => {
    answers([429, { detail: 'too many spec uploads from 1.2.3.4: retry in 7 s' }, { 'retry-after': '7' }]);
    const refused = await prepareSpec('{}', noWait).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 429, retryAfterS: 7, detail: 'too many spec uploads from 1.2.3.4: retry in 7 s' });
    answers([413, { detail: 'a spec is at most 65,536 bytes' }]);
    await expect(prepareSpec('{}', noWait)).rejects.toMatchObject({ status: 413, retryAfterS: undefined });
  });
});
