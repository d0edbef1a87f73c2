import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, type Stats } from '../lib/api';
import { DEFAULT_RPC_URL, saveRpcUrl } from '../lib/config';
import { formatEth, formatTimestamp, groupThousands } from '../lib/format';
import { STATUS_LABEL } from '../lib/lifecycle';
import { useNow } from '../hooks/useNow';
import { JobsTable } from './Jobs';
import { Empty, ErrorBox, Hex, Loading, PageTitle, Stat } from '../components/ui';
import { useChain } from '../wallet/context';

function useStats() {
  return useQuery({ queryKey: ['stats'], queryFn: () => api.stats(), refetchInterval: 15_000 });
}

export function StatCards({ stats }: { stats: Stats }) {
  const live = (stats.tasks_by_status.OPEN ?? 0) + (stats.tasks_by_status.CLAIMED ?? 0) + (stats.tasks_by_status.SUBMITTED ?? 0);
  return (
    <dl className="stat-cards">
      <Stat label="Jobs" value={groupThousands(String(stats.tasks))} hint={`${live} live`} />
      <Stat label="Operators" value={groupThousands(String(stats.operators))} />
      <Stat label="Disputes" value={groupThousands(String(stats.disputes))} hint={`${stats.disputes_open} open`} />
      <Stat label="Stake bonded" value={stats.total_bonded !== null ? formatEth(stats.total_bonded, { decimals: 2 }) : '—'} />
      <Stat label="Rewards in escrow" value={stats.rewards_escrowed !== null ? formatEth(stats.rewards_escrowed, { decimals: 2 }) : '—'} />
      <Stat label="Rewards paid" value={stats.rewards_paid !== null ? formatEth(stats.rewards_paid, { decimals: 2 }) : '—'} />
    </dl>
  );
}

export function Overview() {
  const stats = useStats();
  const now = useNow(5000);
  const recent = useQuery({ queryKey: ['tasks', { recent: true }], queryFn: () => api.tasks({ limit: 8 }), refetchInterval: 10_000 });
  const active = useQuery({ queryKey: ['disputes', { active: true }], queryFn: () => api.disputes({ limit: 5, status: 'ACTIVE' }), refetchInterval: 10_000 });
  return (
    <div className="page">
      <PageTitle
        actions={
          <a className="button primary" href="#/new">
            New job
          </a>
        }
      >
        Tribunal
      </PageTitle>
      <p className="lead">Verifiable ML training: post a job with a reward in escrow, a staked operator trains it reproducibly, and any wrong result can be challenged down to one float32 instruction the chain re-executes.</p>
      {stats.isLoading ? <Loading label="Loading network statistics…" /> : stats.isError ? <ErrorBox error={stats.error} title="Could not load the statistics" retry={() => void stats.refetch()} /> : stats.data ? <StatCards stats={stats.data} /> : null}
      <section className="card" aria-labelledby="recent-title">
        <h2 id="recent-title">
          Recent jobs <a className="small" href="#/jobs">all jobs →</a>
        </h2>
        {recent.isLoading ? (
          <Loading />
        ) : recent.isError ? (
          <ErrorBox error={recent.error} title="Could not load the jobs" retry={() => void recent.refetch()} />
        ) : recent.data && recent.data.items.length > 0 ? (
          <JobsTable tasks={recent.data.items} now={now} />
        ) : (
          <Empty>
            No jobs yet. <a href="#/new">Post the first one</a>.
          </Empty>
        )}
      </section>
      {active.data && active.data.items.length > 0 && (
        <section className="card" aria-labelledby="active-title">
          <h2 id="active-title">Active disputes</h2>
          <ul className="plain list">
            {active.data.items.map((d) => (
              <li key={d.game_id}>
                <a href={`#/disputes/${d.game_id}`}>Dispute #{d.game_id}</a> on <a href={`#/jobs/${d.task_id}`}>job #{d.task_id}</a> · {d.descent.rounds} rounds · at {d.level.toLowerCase().replace(/_/g, ' ')}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function RpcSettings() {
  const { config } = useChain();
  const [value, setValue] = useState(config.rpcUrl);
  const id = useId();
  const valid = /^(https?|wss?):\/\/\S+$/.test(value.trim());
  return (
    <form
      className="rpc-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid) return;
        saveRpcUrl(value.trim());
        window.location.reload();
      }}
    >
      <div className={`field ${valid ? '' : 'invalid'}`}>
        <label htmlFor={id}>RPC URL used by this browser</label>
        <input id={id} type="url" value={value} onChange={(e) => setValue(e.target.value)} aria-invalid={!valid} aria-describedby={`${id}-hint`} />
        <p className="hint" id={`${id}-hint`}>
          {config.rpcOverridden ? 'Overridden in this browser.' : `From ${config.source === 'api/config' ? 'the API' : 'the build default'}.`} Reads and transactions go through it.
        </p>
      </div>
      <div className="form-actions">
        <button type="submit" className="button secondary" disabled={!valid}>
          Save and reload
        </button>
        {config.rpcOverridden && (
          <button
            type="button"
            className="button link"
            onClick={() => {
              saveRpcUrl(null);
              window.location.reload();
            }}
          >
            Use the default ({config.source === 'api/config' ? 'from the API' : DEFAULT_RPC_URL})
          </button>
        )}
      </div>
    </form>
  );
}

export function Network() {
  const { config, publicClient } = useChain();
  const stats = useStats();
  const indexer = useQuery({ queryKey: ['indexer'], queryFn: () => api.indexer(), refetchInterval: 5000 });
  const head = useQuery({ queryKey: ['rpc-head', config.rpcUrl], queryFn: () => publicClient.getBlockNumber(), refetchInterval: 5000, retry: false });
  return (
    <div className="page">
      <PageTitle>Network</PageTitle>
      {stats.isLoading ? (
        <Loading label="Loading statistics…" />
      ) : stats.isError ? (
        <ErrorBox error={stats.error} title="Could not load the statistics" retry={() => void stats.refetch()} />
      ) : stats.data ? (
        <>
          <StatCards stats={stats.data} />
          <div className="layout-2">
            <section className="card" aria-labelledby="bystatus-title">
              <h2 id="bystatus-title">Jobs by status</h2>
              <dl className="stats">
                {Object.entries(stats.data.tasks_by_status).map(([s, n]) => (
                  <Stat key={s} label={STATUS_LABEL[s as keyof typeof STATUS_LABEL] ?? s} value={n} />
                ))}
              </dl>
            </section>
            <section className="card" aria-labelledby="money-title">
              <h2 id="money-title">Money</h2>
              <dl className="stats">
                <Stat label="Bonded" value={stats.data.total_bonded !== null ? formatEth(stats.data.total_bonded) : '—'} />
                <Stat label="Locked" value={stats.data.total_locked !== null ? formatEth(stats.data.total_locked) : '—'} />
                <Stat label="Escrowed" value={stats.data.rewards_escrowed !== null ? formatEth(stats.data.rewards_escrowed) : '—'} />
                <Stat label="Paid" value={stats.data.rewards_paid !== null ? formatEth(stats.data.rewards_paid) : '—'} />
                <Stat label="Slashed" value={stats.data.slashed_total !== null ? formatEth(stats.data.slashed_total) : '—'} />
                <Stat label="Burned" value={stats.data.burned_total !== null ? formatEth(stats.data.burned_total) : '—'} />
              </dl>
              <p className="muted small">Aggregated {stats.data.aggregated_at ? formatTimestamp(stats.data.aggregated_at) : 'not yet'} · {stats.data.events} events · {stats.data.progress_reports} progress reports · {stats.data.artifacts} artifacts</p>
            </section>
          </div>
        </>
      ) : null}
      <div className="layout-2">
        <section className="card" aria-labelledby="chain-title">
          <h2 id="chain-title">Chain</h2>
          <dl className="stats">
            <Stat label="Chain id" value={config.chainId} />
            <Stat label="RPC head" value={head.isError ? <span className="bad-text">unreachable</span> : head.data !== undefined ? String(head.data) : '…'} />
            <Stat label="TaskMarket" value={<Hex value={config.taskMarket} kind="address" />} />
            <Stat label="StakeManager" value={<Hex value={config.stakeManager} kind="address" />} />
            <Stat label="DisputeGame" value={config.disputeGame ? <Hex value={config.disputeGame} kind="address" /> : <span className="muted">not deployed</span>} />
          </dl>
          <RpcSettings />
        </section>
        <section className="card" aria-labelledby="indexer-title">
          <h2 id="indexer-title">Indexer</h2>
          {indexer.isLoading ? (
            <Loading />
          ) : indexer.isError ? (
            <ErrorBox error={indexer.error} title="Could not load the indexer status" />
          ) : indexer.data ? (
            <dl className="stats">
              <Stat label="Running" value={indexer.data.running ? 'yes' : 'no'} />
              <Stat label="Indexed block" value={indexer.data.cursor_block ?? '—'} />
              <Stat label="Head" value={indexer.data.head ?? '—'} />
              <Stat label="Lag" value={indexer.data.lag_blocks !== null ? `${indexer.data.lag_blocks} blocks` : '—'} />
              <Stat label="Reorgs" value={indexer.data.reorgs} />
              <Stat label="Error" value={indexer.data.error ? <span className="bad-text">{indexer.data.error}</span> : 'none'} />
            </dl>
          ) : null}
        </section>
      </div>
    </div>
  );
}
