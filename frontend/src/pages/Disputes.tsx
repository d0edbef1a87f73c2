import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ApiError, api, type Dispute } from '../lib/api';
import { buildDescent } from '../lib/descent';
import { COLLATERAL_LABEL, DISPUTE_STATUSES, GAME_STATUS_LABEL, availabilityProgress, describeCollateral, gameOpen } from '../lib/games';
import type { CollateralKindName } from '../lib/generated/protocolEnums';
import { formatAgo, formatEth, humanize } from '../lib/format';
import { useNow } from '../hooks/useNow';
import { ClockPair, DescentLevels, MovesTable } from '../components/DescentView';
import { AddressLink, Empty, ErrorBox, GameBadge, Hex, Loading, PageTitle, Pager, Stat, StatusFilter, Time } from '../components/ui';

export function Disputes() {
  const now = useNow(5000);
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const games = useQuery({
    queryKey: ['disputes', { status, offset }],
    queryFn: () => api.disputes({ limit, offset, status: status || undefined }),
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });
  return (
    <div className="page">
      <PageTitle>Disputes</PageTitle>
      <p className="lead">
        A challenger who finds a wrong result opens a dispute game: both parties bisect their commitments — steps, then graph nodes, then output elements, then
        instructions — until one float32 instruction is left, which the chain re-executes.
      </p>
      <p className="muted small">
        Every game that runs is backed by the operator's stake for that game alone: the task's stake, or stake locked from the operator's free stake. A game the
        operator cannot back yet waits in the task's queue with its clocks stopped; if the result is voided before it runs, it is closed as moot and its
        challenger's bond is returned.
      </p>
      <div className="filters" role="search" aria-label="Filter disputes">
        <StatusFilter
          value={status}
          options={DISPUTE_STATUSES}
          label={(s) => GAME_STATUS_LABEL[s]}
          onChange={(v) => {
            setStatus(v);
            setOffset(0);
          }}
        />
      </div>
      {games.isLoading ? (
        <Loading label="Loading disputes…" />
      ) : games.isError ? (
        <ErrorBox error={games.error} title="Could not load the disputes" retry={() => void games.refetch()} />
      ) : games.data && games.data.items.length === 0 ? (
        <Empty>No disputes{status ? ` with status ${humanize(status).toLowerCase()}` : ''}. Every result so far went unchallenged.</Empty>
      ) : games.data ? (
        <>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Dispute games, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Dispute</th>
                  <th scope="col">Job</th>
                  <th scope="col">Status</th>
                  <th scope="col">Collateral</th>
                  <th scope="col">Level</th>
                  <th scope="col">Rounds</th>
                  <th scope="col">Challenger</th>
                  <th scope="col">Operator</th>
                  <th scope="col">Opened</th>
                </tr>
              </thead>
              <tbody>
                {games.data.items.map((g) => (
                  <tr key={g.game_id} data-testid={`dispute-row-${g.game_id}`}>
                    <th scope="row">
                      <a href={`#/disputes/${g.game_id}`}>#{g.game_id}</a>
                    </th>
                    <td>
                      <a href={`#/jobs/${g.task_id}`}>#{g.task_id}</a>
                    </td>
                    <td>
                      <GameBadge status={g.status} />
                    </td>
                    <td data-testid={`dispute-collateral-${g.game_id}`}>{collateralCell(g)}</td>
                    <td>{humanize(g.level)}</td>
                    <td>{g.descent.rounds}</td>
                    <td>
                      <AddressLink address={g.challenger} />
                    </td>
                    <td>
                      <AddressLink address={g.operator} />
                    </td>
                    <td>{formatAgo(g.opened_at, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={games.data.total} limit={limit} offset={offset} onChange={setOffset} />
        </>
      ) : null}
    </div>
  );
}

/** The collateral column: what backs a funded game, the queue position of a queued one. */
function collateralCell(g: Dispute): string {
  if (g.status === 'QUEUED') return g.queue_position === null ? 'Queued' : `Queued #${g.queue_position}`;
  if (g.status === 'WITHDRAWN') return g.moot ? 'Moot' : 'Withdrawn';
  return g.collateral ? (COLLATERAL_LABEL[g.collateral as CollateralKindName] ?? humanize(g.collateral)) : '—';
}

const RESOLUTION_TEXT: Record<string, string> = {
  ONE_STEP: 'the chain executed the first differing instruction',
  INITIAL_STATE: "the loser's h₀ was not the task's initial state",
  PADDING: 'the loser committed a non-zero padding leaf',
  TIMEOUT: "the loser's chess clock ran out",
  DELIVERED: 'the operator delivered every challenged chunk on-chain, with proofs against its committed state',
};

function AvailabilityCard({ moves }: { moves: readonly { name: string; args: Record<string, unknown> }[] }) {
  const p = availabilityProgress(moves);
  return (
    <section className="card" aria-labelledby="availability-title" data-testid="availability">
      <h2 id="availability-title">Availability challenge</h2>
      <p className="muted small">
        The challenger could not get the committed state's bytes and named chunks of state slot {p.slot} after step {p.step}. The operator must post
        them on-chain with Merkle proofs before its clock runs out, or it is slashed and its result voided.
      </p>
      <div className="progress" aria-label={`${p.delivered} of ${p.named} chunks delivered`}>
        <div className="bar" style={{ width: `${p.named ? (100 * p.delivered) / p.named : 0}%` }} />
      </div>
      <p data-testid="availability-progress">
        {p.delivered} of {p.named} chunk{p.named === 1 ? '' : 's'} delivered
      </p>
    </section>
  );
}

export function DisputeDetail({ id }: { id: number }) {
  const game = useQuery({
    queryKey: ['dispute', id],
    queryFn: () => api.dispute(id),
    refetchInterval: (q) => (q.state.data && !gameOpen(q.state.data.status) ? 30_000 : 3000),
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
  const view = useMemo(() => (game.data ? buildDescent(game.data, game.data.moves) : null), [game.data]);

  if (game.isLoading) return <Loading label={`Loading dispute #${id}…`} />;
  if (game.isError || !game.data || !view) {
    const notFound = game.error instanceof ApiError && game.error.status === 404;
    return (
      <div className="page">
        <PageTitle>Dispute #{id}</PageTitle>
        <ErrorBox error={notFound ? `No dispute #${id} has been indexed.` : game.error} title={notFound ? 'Dispute not found' : 'Could not load the dispute'} retry={() => void game.refetch()} />
      </div>
    );
  }
  const g = game.data;
  const active = g.status === 'ACTIVE';
  const withdrawn = g.status === 'WITHDRAWN';
  const resolution = g.resolution ?? view.resolved?.resolution ?? null;
  return (
    <div className="page dispute-detail" data-testid="dispute-detail" data-status={g.status}>
      <PageTitle actions={<GameBadge status={g.status} />}>Dispute #{g.game_id}</PageTitle>
      <div className="layout-2">
        <section className="card" aria-labelledby="parties-title">
          <h2 id="parties-title">Parties</h2>
          <dl className="stats">
            <Stat label="Job" value={<a href={`#/jobs/${g.task_id}`}>#{g.task_id}</a>} />
            <Stat label="Operator" value={<AddressLink address={g.operator} />} />
            <Stat label="Challenger" value={<AddressLink address={g.challenger} />} />
            <Stat label="Challenger bond" value={g.bond ? formatEth(g.bond) : '—'} />
            <Stat label="Operator's collateral" value={<span data-testid="collateral">{describeCollateral(g)}</span>} />
            <Stat label="Operator's trace root" value={<Hex value={g.trace_root_operator} />} />
            <Stat label="Challenger's trace root" value={<Hex value={g.challenger_trace_root} />} />
            <Stat label="Opened" value={<Time value={g.opened_at} />} />
            <Stat label="Rounds played" value={g.descent.rounds} />
          </dl>
        </section>
        <section className="card" aria-labelledby="clocks-title">
          <h2 id="clocks-title">Clocks</h2>
          <ClockPair clocks={view.clocks} active={active} />
          {g.status === 'QUEUED' && (
            <div className="outcome" data-testid="queued">
              <strong>Queued</strong> — the clocks start once the operator's stake can back this game (when the task's stake is free again, or from the
              operator's free stake). It costs its challenger nothing if it never runs.
            </div>
          )}
          {withdrawn && (
            <div className="outcome" data-testid="outcome">
              <strong>{g.moot ? 'Closed as moot' : 'Withdrawn'}</strong> — {describeCollateral(g)}
              {g.resolved_at && (
                <>
                  {' '}
                  (<Time value={g.resolved_at} />)
                </>
              )}
            </div>
          )}
          {!gameOpen(g.status) && !withdrawn && (
            <div className={`outcome ${g.status === 'CHALLENGER_WON' ? 'bad' : 'good'}`} data-testid="outcome">
              <strong>{humanize(g.status)}</strong>
              {resolution && <> — {RESOLUTION_TEXT[resolution] ?? humanize(resolution)}</>}
              {g.resolved_at && (
                <>
                  {' '}
                  (<Time value={g.resolved_at} />)
                </>
              )}
              {g.winner && (
                <div className="small">
                  Winner <AddressLink address={g.winner} /> is credited the winner's share of the loser's slashed stake; the rest is burned.
                </div>
              )}
            </div>
          )}
        </section>
      </div>
      {g.descent.level === 'AVAILABILITY' ? (
        <AvailabilityCard moves={g.moves} />
      ) : (
        <section className="card" aria-labelledby="descent-title">
          <h2 id="descent-title">Descent</h2>
          <p className="muted small">
            Each bar is one tree; each row is one round, narrowing to the leftmost leaf where the parties differ. Everything left of it is agreed.
          </p>
          <DescentLevels view={view} />
        </section>
      )}
      <section className="card" aria-labelledby="moves-title">
        <h2 id="moves-title">Moves ({g.moves.length})</h2>
        <MovesTable moves={g.moves} />
      </section>
    </div>
  );
}
