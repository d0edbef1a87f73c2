import { useState, type ReactNode } from 'react';
import type { DisputeStatusName, TaskStatusName } from '../lib/api';
import { GAME_STATUS_LABEL, GAME_STATUS_TONE } from '../lib/games';
import { formatCountdown, formatTimestamp, humanize, shortAddress, shortHash } from '../lib/format';
import { STATUS_LABEL, STATUS_TONE, type Tone } from '../lib/lifecycle';
import { useNow } from '../hooks/useNow';
import { useChain } from '../wallet/context';
import { explainError } from '../lib/errors';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorBox({ error, title = 'Something went wrong', retry }: { error: unknown; title?: string; retry?: () => void }) {
  return (
    <div className="error-box" role="alert">
      <strong>{title}</strong>
      <p>{typeof error === 'string' ? error : explainError(error)}</p>
      {retry && (
        <button type="button" className="button secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A list page's status filter: "All" (the empty string) or one of `options`, each shown by `label`. */
export function StatusFilter<S extends string>({
  value,
  options,
  label,
  onChange,
}: {
  value: string;
  options: readonly S[];
  label: (status: S) => string;
  onChange: (status: string) => void;
}) {
  return (
    <label className="field compact">
      <span>Status</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {options.map((s) => (
          <option key={s} value={s}>
            {label(s)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Badge({ tone = 'neutral', children, label }: { tone?: Tone; children: ReactNode; label?: string }) {
  return (
    <span className={`badge tone-${tone}`} aria-label={label}>
      {children}
    </span>
  );
}

export function StatusBadge({ status }: { status: TaskStatusName }) {
  return <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{STATUS_LABEL[status] ?? humanize(status)}</Badge>;
}

export function GameBadge({ status }: { status: string }) {
  const known = status as DisputeStatusName;
  const tone: Tone = GAME_STATUS_TONE[known] ?? 'neutral';
  return <Badge tone={tone}>{GAME_STATUS_LABEL[known] ?? humanize(status)}</Badge>;
}

/** A hash or address shortened, full value on hover and for screen readers, with a copy button. */
export function Hex({ value, kind = 'hash', copy = true }: { value: string | null | undefined; kind?: 'hash' | 'address'; copy?: boolean }) {
  const [copied, setCopied] = useState(false);
  if (!value) return <span className="muted">—</span>;
  const short = kind === 'address' ? shortAddress(value) : shortHash(value);
  return (
    <span className="hex">
      <code title={value} aria-label={value}>
        {short}
      </code>
      {copy && (
        <button
          type="button"
          className="copy"
          aria-label={`Copy ${value}`}
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(
              () => {
                setCopied(true);
                window.setTimeout(() => setCopied(false), 1200);
              },
              () => undefined,
            );
          }}
        >
          {copied ? (
            <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true">
              <path d="M2 8.5l4 4 8-9" fill="none" stroke="currentColor" strokeWidth="2" />
            </svg>
          ) : (
            <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true">
              <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
              <path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11" fill="none" stroke="currentColor" strokeWidth="1.5" />
            </svg>
          )}
        </button>
      )}
    </span>
  );
}

export function AddressLink({ address }: { address: string | null | undefined }) {
  if (!address) return <span className="muted">—</span>;
  return (
    <span className="hex">
      <a href={`#/operators/${address.toLowerCase()}`} title={address}>
        <code>{shortAddress(address)}</code>
      </a>
    </span>
  );
}

/** A transaction hash, linked to the chain's explorer when the config names one. */
export function TxHash({ hash }: { hash: string | null | undefined }) {
  const { config } = useChain();
  if (!hash) return <span className="muted">—</span>;
  if (config.explorerUrl) {
    return (
      <span className="hex">
        <a href={`${config.explorerUrl.replace(/\/$/, '')}/tx/${hash}`} target="_blank" rel="noreferrer" title={hash}>
          <code>{shortHash(hash)}</code>
        </a>
      </span>
    );
  }
  return <Hex value={hash} />;
}

export function Time({ value }: { value: number | null | undefined }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  return <time dateTime={new Date(value * 1000).toISOString()}>{formatTimestamp(value)}</time>;
}

export function Countdown({ to, label }: { to: number; label?: string }) {
  const now = useNow(1000);
  return (
    <span className={`countdown ${to - now <= 0 ? 'over' : ''}`} aria-label={label ? `${label} ${formatCountdown(to, now)}` : undefined}>
      {formatCountdown(to, now)}
    </span>
  );
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>
        {value}
        {hint && <span className="hint">{hint}</span>}
      </dd>
    </div>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className="bar" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Pager({ total, limit, offset, onChange }: { total: number; limit: number; offset: number; onChange: (offset: number) => void }) {
  if (total <= limit) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.ceil(total / limit);
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="button secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        ← Newer
      </button>
      <span aria-live="polite">
        Page {page} of {pages}
      </span>
      <button type="button" className="button secondary" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        Older →
      </button>
    </nav>
  );
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-title">
      <h1 tabIndex={-1} id="page-heading">
        {children}
      </h1>
      {actions && <div className="actions">{actions}</div>}
    </div>
  );
}
