// Formatting helpers: amounts, addresses, hashes, times, durations, float32 bits. Pure functions
// (unit-tested in test/format.test.ts); nothing here touches the DOM or the network.

const WEI_PER_ETH = 10n ** 18n;

/** A bigint from a wei amount as the API writes it (a decimal string), a number or a bigint. */
export function toWei(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite amount: ${value}`);
    return BigInt(Math.trunc(value));
  }
  if (!/^-?[0-9]+$/.test(value.trim())) throw new Error(`not a wei amount: ${JSON.stringify(value)}`);
  return BigInt(value.trim());
}

/**
 * Wei as ETH with at most `decimals` fractional digits (truncated toward zero, trailing zeros dropped),
 * thousands separated: 1500000000000000000 -> "1.5 ETH".
 */
export function formatEth(
  value: string | number | bigint | null | undefined,
  { decimals = 4, unit = true }: { decimals?: number; unit?: boolean } = {},
): string {
  const wei = toWei(value);
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const whole = abs / WEI_PER_ETH;
  const fraction = abs % WEI_PER_ETH;
  const fracText = fraction.toString().padStart(18, '0').slice(0, Math.max(0, decimals)).replace(/0+$/, '');
  let text = groupThousands(whole.toString());
  if (fracText) text += `.${fracText}`;
  else if (fraction > 0n && whole === 0n) {
    // Too small to show at this precision: say so rather than print 0.
    text = `<${decimals > 0 ? `0.${'0'.repeat(decimals - 1)}1` : '1'}`;
  }
  const sign = negative ? '-' : '';
  return `${sign}${text}${unit ? ' ETH' : ''}`;
}

/** "1234567" -> "1,234,567". */
export function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Parses a user-typed ETH amount ("1", "0.25", "1,000.5") into wei; null if it is not a
 * non-negative decimal with at most 18 fractional digits.
 */
export function parseEth(text: string): bigint | null {
  const clean = text.trim().replace(/,/g, '').replace(/_/g, '');
  const match = /^([0-9]+)?(?:\.([0-9]*))?$/.exec(clean);
  if (!clean || !match || (match[1] === undefined && !match[2])) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > 18) return null;
  return BigInt(whole) * WEI_PER_ETH + BigInt(fraction.padEnd(18, '0') || '0');
}

/** 0x1234…abcd (keeps `lead` hex digits after 0x and `tail` at the end). */
export function shortHex(value: string | null | undefined, lead = 4, tail = 4): string {
  if (!value) return '—';
  if (!value.startsWith('0x') || value.length <= 2 + lead + tail + 1) return value;
  return `${value.slice(0, 2 + lead)}…${value.slice(-tail)}`;
}

export const shortAddress = (address: string | null | undefined) => shortHex(address, 4, 4);
export const shortHash = (hash: string | null | undefined) => shortHex(hash, 6, 4);

export function isAddress(value: string): boolean {
  return /^0x[0-9a-fA-F]{40}$/.test(value);
}

export function isHash(value: string): boolean {
  return /^0x[0-9a-fA-F]{64}$/.test(value);
}

export const ZERO_HASH = `0x${'0'.repeat(64)}`;

/** Same account? (case-insensitive; false if either is missing). */
export function sameAddress(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.toLowerCase() === b.toLowerCase();
}

/** A size in bytes as "512 B", "1.5 KiB", "256 MiB" (binary units, at most one decimal). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${text} ${units[unit]}`;
}

/** A duration in seconds as "2d 3h", "4h 05m", "12m 30s", "45s" (two units at most). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const negative = seconds < 0;
  let s = Math.floor(Math.abs(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let text: string;
  if (d > 0) text = `${d}d ${h}h`;
  else if (h > 0) text = `${h}h ${String(m).padStart(2, '0')}m`;
  else if (m > 0) text = `${m}m ${String(s).padStart(2, '0')}s`;
  else text = `${s}s`;
  return negative ? `-${text}` : text;
}

/** Countdown text to `deadline` (unix s) from `now` (unix s): "in 4m 10s", or "ended 2m 03s ago". */
export function formatCountdown(deadline: number, now: number): string {
  const left = deadline - now;
  if (left > 0) return `in ${formatDuration(left)}`;
  if (left === 0) return 'now';
  return `ended ${formatDuration(-left)} ago`;
}

/** Relative time of a past (or future) unix second: "5m 02s ago", "in 3h 00m". */
export function formatAgo(timestamp: number, now: number): string {
  const delta = now - timestamp;
  if (Math.abs(delta) < 1) return 'just now';
  return delta > 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

/** A unix second as local "2026-11-22 14:05:09" (ISO-like, 24 h). */
export function formatTimestamp(timestamp: number | null | undefined): string {
  if (timestamp === null || timestamp === undefined || !Number.isFinite(timestamp)) return '—';
  const d = new Date(timestamp * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Compact number: 1234 -> "1,234"; 0.000123 -> "1.230e-4"; 12.3456 -> "12.35". */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+∞' : '-∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(digits - 1);
  if (Number.isInteger(value)) return groupThousands(String(value));
  return String(Number(value.toPrecision(digits)));
}

/** The float32 whose IEEE-754 bits are `bits` (a uint32, as the contracts emit it). */
export function float32FromBits(bits: number | string | bigint): number {
  const n = Number(typeof bits === 'bigint' ? bits : BigInt(bits));
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`not uint32 bits: ${bits}`);
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, n);
  return view.getFloat32(0);
}

/** The uint32 IEEE-754 bits of the float32 nearest to `value`. */
export function float32Bits(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return view.getUint32(0);
}

/** "0x3f800000 (1)" — bits in hex and the float32 value, shortest decimal that round-trips as float32. */
export function formatFloat32Bits(bits: number | string | bigint): string {
  const n = Number(typeof bits === 'bigint' ? bits : BigInt(bits));
  const hex = `0x${n.toString(16).padStart(8, '0')}`;
  return `${hex} (${float32ToString(float32FromBits(n))})`;
}

/** Shortest decimal that reads back to the same float32 ("0.1", not "0.10000000149011612"). */
export function float32ToString(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Infinity' : '-Infinity';
  if (Object.is(value, -0)) return '-0';
  for (let precision = 1; precision <= 9; precision++) {
    const text = value.toPrecision(precision);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

/** Opcode names of the one-step prover (tribunal.repops.Opcode, docs/protocol.md "RepOps: primitives and op programs"; never renumbered). */
export const OPCODES: Record<number, string> = {
  1: 'ADD',
  2: 'SUB',
  3: 'MUL',
  4: 'DIV',
  5: 'SQRT',
  6: 'MAX',
  7: 'MIN',
  8: 'SELECT',
  9: 'LT',
  10: 'LE',
  11: 'EQ',
  12: 'NEG',
  13: 'ABS',
  14: 'COPY',
};

export function opcodeName(op: number | string): string {
  const n = Number(op);
  return OPCODES[n] ?? `op ${n}`;
}

/** Title case of an API enum name: "CHALLENGER_WON" -> "Challenger won". */
export function humanize(name: string | null | undefined): string {
  if (!name) return '—';
  const words = name.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
