import type { Move } from '../lib/api';
import { clockLeft, type Clocks, type DescentLevel, type DescentView as View, type Verdict } from '../lib/descent';
import { COLLATERAL_KIND_NAMES, GAME_STATUS_NAMES, RESOLUTION_NAMES } from '../lib/generated/protocolEnums';
import { formatDuration, formatEth, formatFloat32Bits, groupThousands, humanize, opcodeName, shortHash } from '../lib/format';
import { COLLATERAL_LABEL } from '../lib/games';
import { useNow } from '../hooks/useNow';
import { Hex, Time, TxHash } from './ui';

/** Both chess clocks: time left, the party on turn, and its move deadline. */
export function ClockPair({ clocks, active }: { clocks: Clocks; active: boolean }) {
  const now = useNow(1000);
  const parties: ('CHALLENGER' | 'OPERATOR')[] = ['CHALLENGER', 'OPERATOR'];
  return (
    <div className="clocks" role="group" aria-label="Chess clocks">
      {parties.map((party) => {
        const left = clockLeft(clocks, party, now);
        const onTurn = active && clocks.onTurn === party;
        const used = party === 'CHALLENGER' ? clocks.usedChallenger : clocks.usedOperator;
        const fraction = clocks.maxClock ? Math.max(0, Math.min(1, left / clocks.maxClock)) : 0;
        return (
          <div key={party} className={`clock ${onTurn ? 'on-turn' : ''}`} data-testid={`clock-${party.toLowerCase()}`}>
            <div className="clock-head">
              <strong>{humanize(party)}</strong>
              {onTurn && <span className="badge tone-warn">on turn</span>}
            </div>
            <div className="clock-time" aria-label={`${humanize(party)} has ${formatDuration(left)} left`}>
              {formatDuration(left)}
            </div>
            <div className="progress thin" aria-hidden="true">
              <div className="bar" style={{ width: `${fraction * 100}%` }} />
            </div>
            <div className="muted small">
              used {formatDuration(used)} of {formatDuration(clocks.maxClock)}
              {onTurn && clocks.deadline !== null && (
                <>
                  {' '}
                  · must move by <Time value={clocks.deadline} />
                </>
              )}
            </div>
          </div>
        );
      })}
    </div>
  );
}

function fmtLeaf(n: number) {
  return groupThousands(String(n));
}

/** One bisection drawn as narrowing bars: each round keeps the part of the tree still in dispute. */
function LevelView({ level, index }: { level: DescentLevel; index: number }) {
  const total = level.leafCount ?? 0;
  return (
    <section className={`level level-${level.state}`} aria-labelledby={`level-${level.key}`} data-testid={`level-${level.key}`} data-state={level.state}>
      <header className="level-head">
        <h3 id={`level-${level.key}`}>
          {index + 1}. {level.title}
        </h3>
        <span className={`badge tone-${level.state === 'done' ? 'good' : level.state === 'active' ? 'warn' : 'neutral'}`}>
          {level.state === 'done' ? 'found' : level.state === 'active' ? 'descending' : 'not reached'}
        </span>
      </header>
      <p className="muted small">
        Over {level.leafCount !== null ? `${fmtLeaf(total)} ` : ''}
        {level.leaves}
        {level.height !== null && level.height > 0 ? ` · depth ${level.height}` : ''}
      </p>
      {level.rounds.length > 0 && total > 0 && (
        <ol className="rounds" aria-label={`${level.title} rounds`}>
          {level.rounds.map((r, i) => {
            const left = (r.lo / total) * 100;
            const width = Math.max(((Math.min(r.hi, total) - r.lo) / total) * 100, 0.6);
            const last = r.hi - 1;
            return (
              <li key={`${r.tx}-${i}`} className="round">
                <span className="round-label">{i === 0 ? 'start' : `round ${i}`}</span>
                <span className="round-track" aria-hidden="true">
                  <span className="round-span" style={{ left: `${left}%`, width: `${width}%` }} />
                </span>
                <span className="round-text">
                  {r.hi - r.lo <= 1 ? `leaf ${fmtLeaf(r.lo)}` : `leaves ${fmtLeaf(r.lo)}–${fmtLeaf(Math.min(last, total - 1))}`}
                </span>
                <span className="round-tx">
                  <TxHash hash={r.tx} />
                </span>
              </li>
            );
          })}
        </ol>
      )}
      {level.found !== null && (
        <div className="found">
          <strong>
            {humanize(level.foundLabel)} {fmtLeaf(level.found)}
          </strong>
          {level.key === 'STEPS' && level.interval !== undefined && (
            <span className="muted small">
              {' '}
              (committed h<sub>{level.interval.start}</sub> agreed, h<sub>{level.interval.end}</sub> differs: the interval is opened below)
            </span>
          )}
          {(level.key === 'SEGMENT_STEPS' || (level.key === 'STEPS' && level.interval === undefined)) && (
            <span className="muted small">
              {' '}
              (h<sub>{level.found}</sub> agreed, h<sub>{level.found + 1}</sub> differs: the claims below)
            </span>
          )}
          {level.key === 'NODES' && <span className="muted small"> (earlier outputs agreed; its output differs)</span>}
          {level.key === 'ELEMENT' && <span className="muted small"> (leaf {fmtLeaf(Math.floor(level.found / 8))}, lane {level.found % 8})</span>}
          {level.claims && (
            <dl className="claims">
              <div>
                <dt>Operator</dt>
                <dd>{level.claims.kind === 'bits' ? <code>{formatFloat32Bits(level.claims.operator)}</code> : <Hex value={String(level.claims.operator)} />}</dd>
              </div>
              <div>
                <dt>Challenger</dt>
                <dd>{level.claims.kind === 'bits' ? <code>{formatFloat32Bits(level.claims.challenger)}</code> : <Hex value={String(level.claims.challenger)} />}</dd>
              </div>
            </dl>
          )}
          {level.foundTx && (
            <span className="muted small">
              found in tx <TxHash hash={level.foundTx} />
            </span>
          )}
        </div>
      )}
    </section>
  );
}

export function VerdictView({ verdict }: { verdict: Verdict }) {
  const arity = ['SQRT', 'NEG', 'ABS', 'COPY'].includes(opcodeName(verdict.opcode)) ? 1 : opcodeName(verdict.opcode) === 'SELECT' ? 3 : 2;
  return (
    <section className="verdict" aria-labelledby="verdict-title" data-testid="verdict">
      <h3 id="verdict-title">One-step verdict</h3>
      <p>
        The chain re-executed instruction <strong>{verdict.instruction}</strong>: <code>{opcodeName(verdict.opcode)}</code>(
        {verdict.operands.slice(0, arity).map((o, i) => (
          <span key={i}>
            {i > 0 && ', '}
            <code>{formatFloat32Bits(o)}</code>
          </span>
        ))}
        ) = <code>{formatFloat32Bits(verdict.result)}</code>
      </p>
      <table className="compact-table">
        <caption className="sr-only">Claimed results of the instruction</caption>
        <thead>
          <tr>
            <th scope="col">Party</th>
            <th scope="col">Claimed value</th>
            <th scope="col">Matches the chain</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Operator</th>
            <td>
              <code>{formatFloat32Bits(verdict.claimOperator)}</code>
            </td>
            <td>{verdict.claimOperator === verdict.result ? '✓ yes' : '✗ no'}</td>
          </tr>
          <tr>
            <th scope="row">Challenger</th>
            <td>
              <code>{formatFloat32Bits(verdict.claimChallenger)}</code>
            </td>
            <td>{verdict.claimChallenger === verdict.result ? '✓ yes' : '✗ no'}</td>
          </tr>
        </tbody>
      </table>
      <p className="muted small">
        tx <TxHash hash={verdict.tx} />
      </p>
    </section>
  );
}

/** The whole descent: the four bisections in order, with the proof moves between them. */
export function DescentLevels({ view }: { view: View }) {
  return (
    <div className="descent" data-testid="descent">
      {view.levels.map((level, i) => (
        <LevelView key={level.key} level={level} index={i} />
      ))}
      {view.verdict && <VerdictView verdict={view.verdict} />}
    </div>
  );
}

const MOVE_TEXT: Record<string, (a: Record<string, unknown>) => string> = {
  GameOpened: (a) => `opened with bond, trace roots ${shortHash(String(a.traceRootOperator))} vs ${shortHash(String(a.traceRootChallenger))}`,
  DescentStarted: (a) => `descent over ${String(a.leafCount)} leaves (depth ${String(a.height)})`,
  ClockStarted: (a) => `clock runs until ${new Date(Number(a.deadline) * 1000).toLocaleTimeString()}`,
  ChildrenRevealed: (a) => `revealed children at height ${String(a.height)}, position ${String(a.position)}`,
  Bisected: (a) => `went ${Number(a.position) % 2 === 0 ? 'left' : 'right'} → height ${String(a.height)}, position ${String(a.position)}`,
  StepFound: (a) => `step ${String(a.step)} differs`,
  StepStarted: (a) => `proved h_t of step ${String(a.step)}; ${String(a.numNodes)} nodes per step`,
  NodeFound: (a) => `node ${String(a.node)} differs`,
  NodeStarted: (a) => `proved node ${String(a.node)}'s descriptor; ${String(a.numel)} output elements`,
  OutputRootRevealed: (a) => `revealed output data root ${shortHash(String(a.dataRoot))}`,
  ElementFound: (a) => `element ${String(a.element)} differs`,
  IntermediatesCommitted: (a) => `committed ${String(a.programLength)} intermediates`,
  InstructionFound: (a) => `instruction ${String(a.instruction)} differs`,
  OneStepExecuted: (a) => `executed ${opcodeName(Number(a.opcode))} → ${formatFloat32Bits(Number(a.result))}`,
  GameResolved: (a) => `resolved: ${humanize(GAME_STATUS_NAMES[Number(a.status)] ?? String(a.status))} (${humanize(RESOLUTION_NAMES[Number(a.resolution)] ?? String(a.resolution))})`,
  GameSettled: () => 'settled: the loser slashed, the winner credited, the market told',
  GameQueued: (a) => `queued at position ${String(a.position)}: the operator's stake backs another game`,
  GameFunded: (a) => `funded: ${formatEth(String(a.amount))} of the operator's stake (${COLLATERAL_LABEL[COLLATERAL_KIND_NAMES[Number(a.kind)] ?? 'NONE'].toLowerCase()})`,
  GameWithdrawn: (a) => (a.moot === true || a.moot === 'true' ? 'closed as moot (the result was voided); bond returned' : 'withdrawn by its challenger; bond returned'),
};

export function MovesTable({ moves }: { moves: Move[] }) {
  if (moves.length === 0) return <p className="empty">No moves yet.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Every move of the dispute, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Block</th>
            <th scope="col">Move</th>
            <th scope="col">Party</th>
            <th scope="col">Level</th>
            <th scope="col">What</th>
            <th scope="col">Tx</th>
          </tr>
        </thead>
        <tbody>
          {moves.map((m) => {
            let what = '';
            try {
              what = MOVE_TEXT[m.name]?.(m.args) ?? '';
            } catch {
              what = '';
            }
            return (
              <tr key={`${m.tx_hash}-${m.log_index}`}>
                <td>
                  <Time value={m.timestamp} />
                </td>
                <td>{m.block_number}</td>
                <td>{m.name}</td>
                <td>{m.party ? humanize(m.party) : '—'}</td>
                <td>{m.level ? humanize(m.level) : '—'}</td>
                <td className="wrap">{what}</td>
                <td>
                  <TxHash hash={m.tx_hash} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
