import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, type DilocoJobStatusName } from '../lib/api';
import { JOB_STATUSES, JOB_STATUS_LABEL, JOB_STATUS_TONE, jobProgress } from '../lib/diloco';
import { formatAgo, formatEth } from '../lib/format';
import { useNow } from '../hooks/useNow';
import { DilocoGrid } from '../components/DilocoGrid';
import { AddressLink, Badge, Empty, ErrorBox, Hex, Loading, PageTitle, Pager, Stat, StatusFilter, Time } from '../components/ui';

function JobStatusBadge({ status }: { status: DilocoJobStatusName }) {
  return <Badge tone={JOB_STATUS_TONE[status]}>{JOB_STATUS_LABEL[status]}</Badge>;
}

export function DilocoJobs() {
  const now = useNow(5000);
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const jobs = useQuery({
    queryKey: ['diloco-jobs', { status, offset }],
    queryFn: () => api.dilocoJobs({ limit, offset, status: status || undefined }),
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });
  return (
    <div className="page">
      <PageTitle>DiLoCo jobs</PageTitle>
      <p className="lead">
        A DiLoCo job trains one model over rounds × shards: in each round every shard trains its own slice of the rows as an ordinary market task, then an
        outer step averages the shards. The chain links the tasks: each round starts from the global state the previous outer step produced.
      </p>
      <div className="filters" role="search" aria-label="Filter DiLoCo jobs">
        <StatusFilter
          value={status}
          options={JOB_STATUSES}
          label={(s) => JOB_STATUS_LABEL[s]}
          onChange={(v) => {
            setStatus(v);
            setOffset(0);
          }}
        />
      </div>
      {jobs.isLoading ? (
        <Loading label="Loading DiLoCo jobs…" />
      ) : jobs.isError ? (
        <ErrorBox error={jobs.error} title="Could not load the DiLoCo jobs" retry={() => void jobs.refetch()} />
      ) : jobs.data && jobs.data.items.length === 0 ? (
        <Empty>No DiLoCo jobs{status ? ` with status ${JOB_STATUS_LABEL[status as DilocoJobStatusName].toLowerCase()}` : ''} yet.</Empty>
      ) : jobs.data ? (
        <>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">DiLoCo jobs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Status</th>
                  <th scope="col">Round</th>
                  <th scope="col">Shards</th>
                  <th scope="col">Escrow</th>
                  <th scope="col">Submitter</th>
                  <th scope="col">Posted</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data.items.map((j) => (
                  <tr key={j.job_id} data-testid={`diloco-row-${j.job_id}`} data-status={j.status}>
                    <th scope="row">
                      <a href={`#/diloco/${j.job_id}`}>#{j.job_id}</a>
                    </th>
                    <td>
                      <JobStatusBadge status={j.status} />
                    </td>
                    <td>
                      {Math.min(j.round + 1, j.rounds)} of {j.rounds}
                    </td>
                    <td>{j.shards}</td>
                    <td>{formatEth(j.escrow)}</td>
                    <td>
                      <AddressLink address={j.submitter} />
                    </td>
                    <td>{formatAgo(j.posted_at, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={jobs.data.total} limit={limit} offset={offset} onChange={setOffset} />
        </>
      ) : null}
    </div>
  );
}

export function DilocoJobDetail({ id }: { id: number }) {
  const job = useQuery({
    queryKey: ['diloco-job', id],
    queryFn: () => api.dilocoJob(id),
    refetchInterval: (q) => (q.state.data && (q.state.data.status === 'COMPLETED' || q.state.data.status === 'FAILED') ? 30_000 : 5000),
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
  if (job.isLoading) return <Loading label={`Loading DiLoCo job #${id}…`} />;
  if (job.isError || !job.data) {
    const notFound = job.error instanceof ApiError && job.error.status === 404;
    return (
      <div className="page">
        <PageTitle>DiLoCo job #{id}</PageTitle>
        <ErrorBox error={notFound ? `No DiLoCo job #${id} has been indexed.` : job.error} title={notFound ? 'DiLoCo job not found' : 'Could not load the DiLoCo job'} retry={() => void job.refetch()} />
      </div>
    );
  }
  const j = job.data;
  const progress = jobProgress(j);
  return (
    <div className="page" data-testid="diloco-detail" data-status={j.status}>
      <PageTitle actions={<JobStatusBadge status={j.status} />}>DiLoCo job #{j.job_id}</PageTitle>
      <section className="card" aria-labelledby="diloco-job-title">
        <h2 id="diloco-job-title">Job</h2>
        <dl className="stats">
          <Stat label="Round" value={`${Math.min(j.round + 1, j.rounds)} of ${j.rounds}`} />
          <Stat label="Shards" value={j.shards} />
          <Stat label="Tasks finalised" value={`${progress.finalized} of ${progress.total}`} />
          <Stat label="Escrow" value={formatEth(j.escrow)} />
          {j.refund !== null && <Stat label="Refunded to the submitter" value={formatEth(j.refund)} />}
          <Stat label="Submitter" value={<AddressLink address={j.submitter} />} />
          <Stat label={j.status === 'COMPLETED' ? 'Final global root' : 'Global root'} value={<Hex value={j.global_root} />} />
          <Stat label="Job document" value={<Hex value={j.spec_hash} />} />
          <Stat label="Posted" value={<Time value={j.posted_at} />} />
          {j.settled_at !== null && <Stat label={j.status === 'FAILED' ? 'Failed' : 'Completed'} value={<Time value={j.settled_at} />} />}
        </dl>
      </section>
      <section className="card" aria-labelledby="diloco-grid-title">
        <h2 id="diloco-grid-title">Rounds × shards</h2>
        <p className="muted small">
          Each cell is a market task: open, training, submitted (in its challenge window), disputed, finalised, voided (reopened for another operator) or
          refunded. Losses are what the operators reported, not verified: a segment's training loss at its last reported step, and the outer step's update
          size.
        </p>
        <DilocoGrid job={j} />
      </section>
    </div>
  );
}
