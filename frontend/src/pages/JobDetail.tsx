import { useQuery } from '@tanstack/react-query';
import { ApiError, api, type ModelCheck, type TaskDetail } from '../lib/api';
import { marketAbi } from '../lib/chain';
import { formatDuration, formatEth, formatNumber, formatTimestamp, humanize, sameAddress } from '../lib/format';
import { taskPhases, trainingEta, trainingFraction } from '../lib/lifecycle';
import { evaluationView } from '../lib/evaluation';
import { describeSpec } from '../lib/spec';
import { useNow } from '../hooks/useNow';
import { useSpec } from '../hooks/useSpec';
import { useTransaction } from '../hooks/useTransaction';
import { EvaluationSummary } from '../components/EvaluationSummary';
import { LossChart } from '../components/LossChart';
import { ModelLinks } from '../components/ModelLinks';
import { Timeline } from '../components/Timeline';
import { TxStatus } from '../components/TxStatus';
import { AddressLink, Countdown, Empty, ErrorBox, GameBadge, Hex, Loading, PageTitle, ProgressBar, Stat, StatusBadge, Time, TxHash } from '../components/ui';
import { useChain, useSigner } from '../wallet/context';

function Actions({ task }: { task: TaskDetail }) {
  const { config } = useChain();
  const signer = useSigner();
  const tx = useTransaction();
  const now = useNow(1000);
  const mine = sameAddress(signer.address, task.submitter);
  const canCancel = task.status === 'OPEN' && mine;
  const canExpire = (task.status === 'OPEN' || task.status === 'CLAIMED') && now > task.deadline;
  const canFinalize = task.status === 'SUBMITTED' && task.challenge_ends_at !== null && now > task.challenge_ends_at && task.open_disputes === 0;
  if (!canCancel && !canExpire && !canFinalize && tx.state.phase === 'idle') return null;
  const call = (functionName: 'cancel' | 'expire' | 'finalize') =>
    void tx.run(async () => ({ address: config.taskMarket, abi: marketAbi, functionName, args: [BigInt(task.task_id)] }));
  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div className="form-actions">
        {canFinalize && (
          <button type="button" className="button primary" disabled={tx.busy || !signer.address} onClick={() => call('finalize')}>
            Finalise (pay the operator)
          </button>
        )}
        {canCancel && (
          <button type="button" className="button secondary" disabled={tx.busy} onClick={() => call('cancel')}>
            Cancel and refund
          </button>
        )}
        {canExpire && (
          <button type="button" className="button secondary" disabled={tx.busy || !signer.address} onClick={() => call('expire')}>
            Expire (deadline passed)
          </button>
        )}
      </div>
      {!signer.address && <p className="muted small">Connect a wallet or pick a developer account to act.</p>}
      <TxStatus state={tx.state} onDismiss={tx.reset} />
    </section>
  );
}

function Training({ task }: { task: TaskDetail }) {
  const progress = useQuery({
    queryKey: ['progress', task.task_id],
    queryFn: () => api.progress(task.task_id),
    refetchInterval: task.status === 'CLAIMED' ? 3000 : false,
  });
  const latest = task.latest_progress;
  const evaluation = evaluationView(task.evaluations).shown;
  const fraction = trainingFraction(task, latest);
  const eta = task.status === 'CLAIMED' ? trainingEta(task, latest) : null;
  return (
    <section className="card" aria-labelledby="training-title">
      <h2 id="training-title">Training</h2>
      {latest ? (
        <>
          <ProgressBar value={fraction ?? 0} label={`Training progress: step ${latest.step} of ${task.steps}`} />
          <dl className="stats compact">
            <Stat label="Step" value={`${latest.step} / ${task.steps}`} />
            <Stat label="Loss" value={formatNumber(latest.loss)} />
            <Stat label="Speed" value={`${formatNumber(latest.steps_per_s, 3)} steps/s`} />
            {eta !== null && <Stat label="Time left" value={formatDuration(eta)} />}
            <Stat label="Last report" value={<Time value={latest.reported_at} />} />
          </dl>
        </>
      ) : (
        <Empty>{task.status === 'OPEN' ? 'Waiting for an operator to claim the job.' : 'No progress reported yet.'}</Empty>
      )}
      {progress.isError ? (
        <ErrorBox error={progress.error} title="Could not load the loss curve" retry={() => void progress.refetch()} />
      ) : progress.data && progress.data.items.length > 0 ? (
        <LossChart
          points={progress.data.items.map((p) => ({ step: p.step, loss: p.loss }))}
          steps={task.steps}
          checkpointEvery={task.checkpoint_every}
          testLoss={evaluation?.test_loss}
        />
      ) : null}
      <EvaluationSummary evaluations={task.evaluations} />
    </section>
  );
}

/** What differs, in words, when the server refuses the model file (`ModelCheckOut.mismatch`). */
const MODEL_MISMATCH: Record<NonNullable<ModelCheck['mismatch']>, string> = {
  final_state: 'its state is not the final state h_S the result committed on-chain',
  trace_root: "its h_0..h_S do not hash to the result's trace root",
  step: 'it is not the state after the last step',
  checkpoint: 'it is not a consistent checkpoint of this task',
  model_hash: 'its bytes are not the file the model hash names',
};

/** The model is h_S, checked on-chain to be the last state of the trace; the file the model hash
 *  names is offered only once the server has checked its state is that h_S. */
function ModelDownload({ task }: { task: TaskDetail }) {
  const hash = task.model_hash!;
  const check = useQuery({
    queryKey: ['model-check', task.task_id, hash],
    queryFn: () => api.modelCheck(task.task_id),
    // a verdict on a stored file never changes; an unavailable file may be uploaded later
    staleTime: (q) => (q.state.data?.status === 'unavailable' ? 15_000 : Infinity),
    refetchInterval: (q) => (q.state.data?.status === 'unavailable' ? 15_000 : false),
  });
  if (check.isLoading) return <span className="muted">checking the model file against the on-chain final state…</span>;
  if (check.isError) return <ErrorBox error={check.error} title="Could not check the model file" retry={() => void check.refetch()} />;
  const c = check.data!;
  if (c.status === 'matches') return <ModelLinks taskId={task.task_id} check={c} />;
  if (c.status === 'mismatch') {
    return (
      <div className="error-box" role="alert" data-testid="model-verified" data-model-status={c.status}>
        <strong>Model file refused: {c.mismatch ? MODEL_MISMATCH[c.mismatch] : 'it does not match the committed final state'}.</strong>
        <p>
          The result's model is the final state h_S <Hex value={c.final_state_root} />, bound on-chain to the trace; the file its model hash names is
          not that state, so it is not offered for download. {c.detail}
        </p>
      </div>
    );
  }
  return (
    <span className="muted" data-testid="model-verified" data-model-status={c.status}>
      {c.status === 'unavailable' ? `Model file not checked: ${c.detail}` : 'No result submitted.'}
      {c.status === 'unavailable' && task.status === 'SUBMITTED' && (
        <span className="small" data-testid="availability-hint">
          {' '}
          If the operator withholds it, challenge its availability before the window ends:{' '}
          <code>tribunal task model {task.task_id} --out model.safetensors --challenge</code> (the operator must post it on-chain, or it is slashed and
          the result voided).
        </span>
      )}
    </span>
  );
}

function Result({ task }: { task: TaskDetail }) {
  if (!task.trace_root && task.submissions.length === 0) return null;
  return (
    <section className="card" aria-labelledby="result-title">
      <h2 id="result-title">Result</h2>
      <dl className="stats">
        <Stat label="Trace root" value={<Hex value={task.trace_root} />} />
        <Stat label="Model (final state h_S)" value={<Hex value={task.final_state_root} />} hint="leaf S of the trace root, checked on-chain" />
        <Stat label="Model file (checkpoint hash)" value={<Hex value={task.model_hash} />} />
        {task.challenge_ends_at !== null && (
          <Stat
            label="Challenge window"
            value={task.status === 'SUBMITTED' ? <Countdown to={task.challenge_ends_at} label="challenge window closes" /> : formatTimestamp(task.challenge_ends_at)}
            hint={task.open_disputes > 0 ? `${task.open_disputes} dispute(s) open` : undefined}
          />
        )}
      </dl>
      {task.model_hash && <ModelDownload task={task} />}
      {task.submissions.length > 1 && (
        <div className="table-wrap">
          <table>
            <caption>Submissions (the job was reopened after a voided result)</caption>
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">Operator</th>
                <th scope="col">Outcome</th>
                <th scope="col">Submitted</th>
                <th scope="col">Tx</th>
              </tr>
            </thead>
            <tbody>
              {task.submissions.map((s) => (
                <tr key={s.attempt}>
                  <td>{s.attempt}</td>
                  <td>
                    <AddressLink address={s.operator} />
                  </td>
                  <td>{humanize(s.outcome)}</td>
                  <td>
                    <Time value={s.submitted_at} />
                  </td>
                  <td>
                    <TxHash hash={s.tx_hash} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SpecCard({ task }: { task: TaskDetail }) {
  const spec = useSpec(task.spec_hash);
  return (
    <section className="card" aria-labelledby="spec-title">
      <h2 id="spec-title">Spec</h2>
      {spec.isLoading ? (
        <Loading label="Loading the spec…" />
      ) : spec.data ? (
        <>
          <p>
            <strong>{describeSpec(spec.data)}</strong>
          </p>
          <details>
            <summary>Canonical JSON</summary>
            <pre className="code">{JSON.stringify(spec.data, null, 2)}</pre>
          </details>
        </>
      ) : (
        <p className="muted">
          The spec is not in the artifact store{spec.error instanceof ApiError && spec.error.status !== 404 ? ` (${spec.error.detail})` : ''}. URI: <code>{task.spec_uri}</code>
        </p>
      )}
      <dl className="stats">
        <Stat label="Spec hash" value={<Hex value={task.spec_hash} />} />
        <Stat label="Dataset root" value={<Hex value={task.dataset_root} />} />
        <Stat label="Initial-state root" value={<Hex value={task.init_state_root} />} />
        <Stat label="Graph root" value={<Hex value={task.graph_root} />} />
        <Stat label="Steps" value={task.steps} />
        <Stat label="Checkpoint every" value={`${task.checkpoint_every} steps`} />
      </dl>
    </section>
  );
}

export function JobDetail({ id }: { id: number }) {
  const now = useNow(1000);
  const task = useQuery({
    queryKey: ['task', id],
    queryFn: () => api.task(id),
    // A job just posted may not be indexed yet: keep asking every 2 s until it is.
    refetchInterval: (q) =>
      q.state.error instanceof ApiError && q.state.error.status === 404
        ? 2000
        : q.state.data && ['FINALIZED', 'CANCELLED', 'REFUNDED'].includes(q.state.data.status)
          ? 30_000
          : 4000,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
  const timeline = useQuery({ queryKey: ['timeline', id], queryFn: () => api.timeline(id), refetchInterval: 5000, enabled: task.isSuccess });

  if (task.isLoading) return <Loading label={`Loading job #${id}…`} />;
  if (task.isError) {
    const notFound = task.error instanceof ApiError && task.error.status === 404;
    return (
      <div className="page">
        <PageTitle>Job #{id}</PageTitle>
        <ErrorBox
          error={notFound ? `No job #${id} has been indexed. If you just posted it, it appears once the indexer reaches its block.` : task.error}
          title={notFound ? 'Job not found (yet)' : 'Could not load the job'}
          retry={() => void task.refetch()}
        />
      </div>
    );
  }
  const t = task.data!;
  const phases = taskPhases(t, timeline.data?.items ?? [], t.latest_progress, now);
  return (
    <div className="page job-detail" data-testid="job-detail" data-status={t.status}>
      <PageTitle actions={<StatusBadge status={t.status} />}>Job #{t.task_id}</PageTitle>
      <div className="layout-2">
        <div className="col">
          <section className="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Status</h2>
            <Timeline phases={phases} />
            {timeline.isError && <ErrorBox error={timeline.error} title="Could not load the chain events" />}
          </section>
          <Actions task={t} />
          <section className="card" aria-labelledby="terms-title">
            <h2 id="terms-title">Terms</h2>
            <dl className="stats">
              <Stat label="Reward" value={formatEth(t.reward)} />
              <Stat label="Operator stake" value={formatEth(t.min_stake)} />
              <Stat label="Deadline" value={<Time value={t.deadline} />} hint={['OPEN', 'CLAIMED'].includes(t.status) ? <Countdown to={t.deadline} label="deadline" /> : undefined} />
              <Stat label="Challenge window" value={formatDuration(t.challenge_window)} />
              <Stat label="Submitter" value={<AddressLink address={t.submitter} />} />
              {t.diloco && (
                <Stat
                  label="DiLoCo job"
                  value={
                    <a href={`#/diloco/${t.diloco.job_id}`} data-testid="diloco-link">
                      #{t.diloco.job_id}, round {t.diloco.round}, {t.diloco.shard === null ? 'outer step' : `shard ${t.diloco.shard}`}
                    </a>
                  }
                />
              )}
              <Stat label="Operator" value={<AddressLink address={t.operator} />} />
              <Stat label="Claims" value={t.attempts} />
              <Stat label="Posted" value={<Time value={t.posted_at} />} hint={<TxHash hash={t.posted_tx} />} />
            </dl>
          </section>
        </div>
        <div className="col">
          <Training task={t} />
          <Result task={t} />
          {t.disputes.length > 0 && (
            <section className="card" aria-labelledby="disputes-title">
              <h2 id="disputes-title">Disputes</h2>
              <ul className="plain list">
                {t.disputes.map((d) => (
                  <li key={d.game_id}>
                    <a href={`#/disputes/${d.game_id}`}>Dispute #{d.game_id}</a> <GameBadge status={d.status} /> at {humanize(d.level)} · challenger <AddressLink address={d.challenger} />
                  </li>
                ))}
              </ul>
            </section>
          )}
          <SpecCard task={t} />
        </div>
      </div>
      {timeline.data && timeline.data.items.length > 0 && (
        <details className="card">
          <summary>
            <h2 className="inline">Chain events ({timeline.data.total})</h2>
          </summary>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Chain events of the job, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Block</th>
                  <th scope="col">Contract</th>
                  <th scope="col">Event</th>
                  <th scope="col">Tx</th>
                </tr>
              </thead>
              <tbody>
                {timeline.data.items.map((e) => (
                  <tr key={`${e.tx_hash}-${e.log_index}`}>
                    <td>
                      <Time value={e.timestamp} />
                    </td>
                    <td>{e.block_number}</td>
                    <td>{e.contract}</td>
                    <td>{e.name}</td>
                    <td>
                      <TxHash hash={e.tx_hash} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </div>
  );
}
