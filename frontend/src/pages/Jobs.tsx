import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type TaskStatusName } from '../lib/api';
import { formatAgo, formatEth } from '../lib/format';
import { describeSpec } from '../lib/spec';
import { useNow } from '../hooks/useNow';
import { useSpec } from '../hooks/useSpec';
import { AddressLink, Countdown, Empty, ErrorBox, Loading, PageTitle, Pager, StatusBadge, StatusFilter } from '../components/ui';
import { useSigner } from '../wallet/context';

const STATUSES: TaskStatusName[] = ['OPEN', 'CLAIMED', 'SUBMITTED', 'FINALIZED', 'VOIDED', 'REFUNDED', 'CANCELLED'];
const LIVE = new Set<TaskStatusName>(['OPEN', 'CLAIMED', 'SUBMITTED', 'VOIDED']);

/** The spec's one-line description, fetched from the artifact store by its hash (cached forever). */
export function SpecSummary({ specHash }: { specHash: string }) {
  const spec = useSpec(specHash);
  if (spec.isLoading) return <span className="muted">…</span>;
  if (!spec.data) return <span className="muted">spec not in the store</span>;
  try {
    return <span>{describeSpec(spec.data)}</span>;
  } catch {
    return <span className="muted">unreadable spec</span>;
  }
}

export function JobsTable({ tasks, now }: { tasks: import('../lib/api').Task[]; now: number }) {
  return (
    <div className="table-wrap">
      <table className="jobs-table">
        <caption className="sr-only">Jobs</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Status</th>
            <th scope="col">What</th>
            <th scope="col">Reward</th>
            <th scope="col">Operator</th>
            <th scope="col">Posted</th>
            <th scope="col">Deadline</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.task_id} data-testid={`job-row-${t.task_id}`} data-status={t.status}>
              <th scope="row">
                <a href={`#/jobs/${t.task_id}`}>#{t.task_id}</a>
              </th>
              <td>
                <StatusBadge status={t.status} />
                {t.open_disputes > 0 && <span className="badge tone-bad">{t.open_disputes} disputed</span>}
              </td>
              <td className="wrap">
                <SpecSummary specHash={t.spec_hash} />
              </td>
              <td>{formatEth(t.reward)}</td>
              <td>{t.operator ? <AddressLink address={t.operator} /> : <span className="muted">—</span>}</td>
              <td>{formatAgo(t.posted_at, now)}</td>
              <td>{LIVE.has(t.status) ? <Countdown to={t.deadline} label="deadline" /> : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Jobs() {
  const signer = useSigner();
  const now = useNow(5000);
  const [status, setStatus] = useState<string>('');
  const [mine, setMine] = useState(false);
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const submitter = mine && signer.address ? signer.address.toLowerCase() : undefined;
  const tasks = useQuery({
    queryKey: ['tasks', { status, submitter, offset }],
    queryFn: () => api.tasks({ limit, offset, status: status || undefined, submitter }),
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });

  return (
    <div className="page">
      <PageTitle
        actions={
          <a className="button primary" href="#/new">
            New job
          </a>
        }
      >
        Jobs
      </PageTitle>
      <div className="filters" role="search" aria-label="Filter jobs">
        <StatusFilter
          value={status}
          options={STATUSES}
          label={(s) => s.charAt(0) + s.slice(1).toLowerCase()}
          onChange={(v) => {
            setStatus(v);
            setOffset(0);
          }}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={mine}
            disabled={!signer.address}
            onChange={(e) => {
              setMine(e.target.checked);
              setOffset(0);
            }}
          />
          Only jobs I posted
        </label>
        {tasks.data && (
          <span className="muted" aria-live="polite">
            {tasks.data.total} job{tasks.data.total === 1 ? '' : 's'}
          </span>
        )}
      </div>
      {tasks.isLoading ? (
        <Loading label="Loading jobs…" />
      ) : tasks.isError ? (
        <ErrorBox error={tasks.error} title="Could not load the jobs" retry={() => void tasks.refetch()} />
      ) : tasks.data && tasks.data.items.length === 0 ? (
        <Empty>
          No jobs{status ? ` with status ${status.toLowerCase()}` : ''}
          {mine ? ' posted by you' : ''} yet. <a href="#/new">Post one</a>.
        </Empty>
      ) : tasks.data ? (
        <>
          <JobsTable tasks={tasks.data.items} now={now} />
          <Pager total={tasks.data.total} limit={limit} offset={offset} onChange={setOffset} />
        </>
      ) : null}
    </div>
  );
}
