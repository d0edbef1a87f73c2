import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api } from '../lib/api';
import { formatEth, humanize } from '../lib/format';
import { useNow } from '../hooks/useNow';
import { JobsTable } from './Jobs';
import { AddressLink, Empty, ErrorBox, Hex, Loading, PageTitle, Pager, Stat, Time, TxHash } from '../components/ui';

const ORDERS = [
  { value: 'bonded', label: 'Stake' },
  { value: 'earnings', label: 'Earnings' },
  { value: 'completed', label: 'Completed jobs' },
  { value: 'address', label: 'Address' },
];

export function Operators() {
  const [order, setOrder] = useState('bonded');
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const ops = useQuery({
    queryKey: ['operators', { order, offset }],
    queryFn: () => api.operators({ limit, offset, order_by: order }),
    refetchInterval: 15_000,
    placeholderData: keepPreviousData,
  });
  return (
    <div className="page">
      <PageTitle>Operators</PageTitle>
      <p className="lead">Accounts that stake or have claimed a job: their stake, record and earnings.</p>
      <div className="filters">
        <label className="field compact">
          <span>Sort by</span>
          <select
            value={order}
            onChange={(e) => {
              setOrder(e.target.value);
              setOffset(0);
            }}
          >
            {ORDERS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {ops.isLoading ? (
        <Loading label="Loading operators…" />
      ) : ops.isError ? (
        <ErrorBox error={ops.error} title="Could not load the operators" retry={() => void ops.refetch()} />
      ) : ops.data && ops.data.items.length === 0 ? (
        <Empty>No operator has staked yet. Start one with <code>worker start --stake 10</code>.</Empty>
      ) : ops.data ? (
        <>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Operators</caption>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Bonded</th>
                  <th scope="col">Locked</th>
                  <th scope="col">Jobs claimed</th>
                  <th scope="col">Completed</th>
                  <th scope="col">Wins / losses</th>
                  <th scope="col">Earnings</th>
                  <th scope="col">Slashed</th>
                </tr>
              </thead>
              <tbody>
                {ops.data.items.map((o) => (
                  <tr key={o.address}>
                    <th scope="row">
                      <AddressLink address={o.address} />
                    </th>
                    <td>{formatEth(o.bonded)}</td>
                    <td>{formatEth(o.locked)}</td>
                    <td>{o.tasks_claimed}</td>
                    <td>{o.tasks_completed}</td>
                    <td>
                      <span className="good-text">{o.wins}</span> / <span className="bad-text">{o.losses}</span>
                    </td>
                    <td>{formatEth(o.earnings)}</td>
                    <td>{formatEth(o.slashed_total)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={ops.data.total} limit={limit} offset={offset} onChange={setOffset} />
        </>
      ) : null}
    </div>
  );
}

export function OperatorDetail({ address }: { address: string }) {
  const now = useNow(5000);
  const op = useQuery({
    queryKey: ['operator', address.toLowerCase()],
    queryFn: () => api.operator(address),
    refetchInterval: 10_000,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
  if (op.isLoading) return <Loading label="Loading the account…" />;
  if (op.isError || !op.data) {
    const notFound = op.error instanceof ApiError && op.error.status === 404;
    return (
      <div className="page">
        <PageTitle>Account</PageTitle>
        <ErrorBox error={notFound ? `The chain never mentioned ${address}.` : op.error} title={notFound ? 'Unknown account' : 'Could not load the account'} retry={() => void op.refetch()} />
      </div>
    );
  }
  const o = op.data;
  return (
    <div className="page">
      <PageTitle>
        Account <Hex value={o.address} kind="address" />
      </PageTitle>
      <div className="layout-2">
        <section className="card" aria-labelledby="stake-title">
          <h2 id="stake-title">Stake</h2>
          <dl className="stats">
            <Stat label="Bonded" value={formatEth(o.bonded)} />
            <Stat label="Locked" value={formatEth(o.locked)} />
            <Stat label="Free" value={formatEth(o.free)} />
            <Stat label="Unbonding" value={formatEth(o.unbonding)} hint={o.unbonding !== '0' ? <>ready <Time value={o.unbonding_ready_at} /></> : undefined} />
            <Stat label="Credit (withdrawable)" value={formatEth(o.credit)} />
            <Stat label="Total staked" value={formatEth(o.total_staked)} />
          </dl>
        </section>
        <section className="card" aria-labelledby="record-title">
          <h2 id="record-title">Record</h2>
          <dl className="stats">
            <Stat label="Jobs claimed" value={o.tasks_claimed} />
            <Stat label="Completed" value={o.tasks_completed} />
            <Stat label="Expired" value={o.tasks_expired} />
            <Stat label="Voided" value={o.tasks_voided} />
            <Stat label="Disputes won" value={o.disputes_won} />
            <Stat label="Disputes lost" value={o.disputes_lost} />
            <Stat label="Earnings" value={formatEth(o.earnings)} />
            <Stat label="Slash winnings" value={formatEth(o.slash_winnings)} />
            <Stat label="Slashed" value={formatEth(o.slashed_total)} hint={o.slash_count ? `${o.slash_count} time(s)` : undefined} />
            <Stat label="Jobs posted" value={o.tasks_posted} />
          </dl>
        </section>
      </div>
      <section className="card" aria-labelledby="optasks-title">
        <h2 id="optasks-title">Jobs it holds or held</h2>
        {o.tasks.length === 0 ? <Empty>None.</Empty> : <JobsTable tasks={o.tasks} now={now} />}
      </section>
      {o.slashes.length > 0 && (
        <section className="card" aria-labelledby="slashes-title">
          <h2 id="slashes-title">Slashes</h2>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Amount</th>
                  <th scope="col">To winner</th>
                  <th scope="col">Burned</th>
                  <th scope="col">Why</th>
                  <th scope="col">Winner</th>
                  <th scope="col">Tx</th>
                </tr>
              </thead>
              <tbody>
                {o.slashes.map((s) => (
                  <tr key={`${s.tx_hash}-${s.log_index}`}>
                    <td>
                      <Time value={s.timestamp} />
                    </td>
                    <td>{formatEth(s.amount)}</td>
                    <td>{formatEth(s.to_winner)}</td>
                    <td>{formatEth(s.burned)}</td>
                    <td>
                      {humanize(s.reason)}
                      {s.task_id !== null && (
                        <>
                          {' '}
                          · <a href={`#/jobs/${s.task_id}`}>job #{s.task_id}</a>
                        </>
                      )}
                      {s.game_id !== null && (
                        <>
                          {' '}
                          · <a href={`#/disputes/${s.game_id}`}>dispute #{s.game_id}</a>
                        </>
                      )}
                    </td>
                    <td>
                      <AddressLink address={s.winner} />
                    </td>
                    <td>
                      <TxHash hash={s.tx_hash} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {o.payouts.length > 0 && (
        <section className="card" aria-labelledby="payouts-title">
          <h2 id="payouts-title">Payouts</h2>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Job</th>
                  <th scope="col">Tx</th>
                </tr>
              </thead>
              <tbody>
                {o.payouts.map((p) => (
                  <tr key={`${p.tx_hash}-${p.log_index}`}>
                    <td>
                      <Time value={p.timestamp} />
                    </td>
                    <td>{humanize(p.kind)}</td>
                    <td>{formatEth(p.amount)}</td>
                    <td>{p.task_id !== null ? <a href={`#/jobs/${p.task_id}`}>#{p.task_id}</a> : '—'}</td>
                    <td>
                      <TxHash hash={p.tx_hash} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
