import type { DilocoJobDetail, DilocoTaskCell } from '../lib/api';
import { ROUND_STATUS_LABEL, cellLabel, cellState, cellTone, gridRounds, lossText } from '../lib/diloco';
import { shortAddress } from '../lib/format';
import { Hex } from './ui';

/** One task of the grid: its link, its state (the cell's colour), its operator and its reported loss. */
function TaskCell({ cell, what, lossName, recorded }: { cell: DilocoTaskCell; what: string; lossName: string; recorded?: boolean }) {
  const state = cellState(cell);
  return (
    <td className={`diloco-cell tone-${cellTone(state)}`} data-testid={`diloco-cell-${cell.task_id}`} data-state={state}>
      <a href={`#/jobs/${cell.task_id}`} aria-label={`${what}: task #${cell.task_id}, ${cellLabel(state)}`}>
        #{cell.task_id}
      </a>{' '}
      <span className="cell-state">{cellLabel(state)}</span>
      {recorded !== undefined && (
        <span className={`cell-recorded ${recorded ? '' : 'muted'}`} title={recorded ? 'its roots are recorded on the job' : 'its roots are not recorded yet'}>
          {recorded ? ' ✓ recorded' : ''}
        </span>
      )}
      <div className="cell-meta">
        {cell.operator ? (
          <a href={`#/operators/${cell.operator}`} title={cell.operator}>
            <code>{shortAddress(cell.operator)}</code>
          </a>
        ) : (
          <span className="muted">no operator</span>
        )}
        {cell.open_disputes > 0 && <span> · {cell.open_disputes} open</span>}
        {cell.loss !== null && (
          <span title={`reported at step ${cell.loss_step ?? '?'}`}>
            {' '}
            · {lossName} {lossText(cell.loss)}
          </span>
        )}
      </div>
    </td>
  );
}

/** The job's rounds × shards: each segment task, the outer step, the round's loss and global root. */
export function DilocoGrid({ job }: { job: DilocoJobDetail }) {
  const shards = Array.from({ length: job.shards }, (_, i) => i);
  return (
    <div className="table-wrap">
      <table className="diloco-grid">
        <caption className="sr-only">Rounds and shards of DiLoCo job #{job.job_id}</caption>
        <thead>
          <tr>
            <th scope="col">Round</th>
            {shards.map((i) => (
              <th scope="col" key={i}>
                Shard {i}
              </th>
            ))}
            <th scope="col">Outer step</th>
            <th scope="col" title="mean of the segments' last reported training loss (as their operators signed it)">
              Train loss
            </th>
            <th scope="col" title="the outer step's reported update size, Σ mean((θ − θ')²)">
              Update size
            </th>
            <th scope="col">Global root</th>
          </tr>
        </thead>
        <tbody>
          {gridRounds(job).map(({ round, posted }) => (
            <tr key={round} data-testid={`diloco-round-${round}`} data-status={posted?.status ?? 'PENDING'}>
              <th scope="row">
                {round}
                <div className="cell-meta">{posted ? ROUND_STATUS_LABEL[posted.status] : 'Not started'}</div>
              </th>
              {shards.map((shard) => {
                const cell = posted?.segments.find((s) => s.shard === shard);
                return cell ? (
                  <TaskCell key={shard} cell={cell} what={`round ${round} shard ${shard}`} lossName="loss" recorded={cell.recorded} />
                ) : (
                  <td key={shard} className="diloco-cell muted">
                    —
                  </td>
                );
              })}
              {posted?.outer ? (
                <TaskCell cell={posted.outer} what={`round ${round} outer step`} lossName="update" />
              ) : (
                <td className="diloco-cell muted">{posted && posted.segments_recorded < job.shards ? `${posted.segments_recorded}/${job.shards} recorded` : '—'}</td>
              )}
              <td data-testid={`diloco-loss-${round}`}>{lossText(posted?.train_loss)}</td>
              <td>{lossText(posted?.outer_update_size)}</td>
              <td>{posted?.global_root ? <Hex value={posted.global_root} copy={false} /> : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
