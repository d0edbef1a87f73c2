// A dispute game's descent rebuilt from its moves (the DisputeGame events the backend stores),
// level by level: the four bisections (steps, graph nodes, output elements, instructions), the proof
// moves between them, both chess clocks (from the indexed game), and the one-step verdict. Pure
// (unit-tested).

import type { Dispute, Move } from './api';
import { COLLATERAL_KIND_NAMES, GAME_STATUS_NAMES, LEVEL_NAMES, RESOLUTION_NAMES, type LevelName, type PartyName } from './generated/protocolEnums';

export { LEVEL_NAMES };

export type DescentKey = Extract<LevelName, 'STEPS' | 'SEGMENT_STEPS' | 'NODES' | 'ELEMENT' | 'INSTRUCTION'>;

export const DESCENTS: { key: DescentKey; title: string; leaves: string; found: string }[] = [
  { key: 'STEPS', title: 'Steps', leaves: 'trace leaves h₀…h_S (states committed at checkpoint steps, zero between)', found: 'step' },
  { key: 'SEGMENT_STEPS', title: 'Interval steps', leaves: 'states hₐ…hᵢ of the opened interval, hashed during the game', found: 'step' },
  { key: 'NODES', title: 'Graph nodes', leaves: 'node outputs of the step', found: 'node' },
  { key: 'ELEMENT', title: 'Elements', leaves: 'output leaves (8 float32 lanes each)', found: 'element' },
  { key: 'INSTRUCTION', title: 'Instructions', leaves: "intermediates of the element's program", found: 'instruction' },
];

export interface Round {
  /** First leaf still in dispute (inclusive). */
  lo: number;
  /** Last leaf still in dispute (exclusive). */
  hi: number;
  position: number;
  height: number;
  tx: string;
  timestamp: number;
  blockNumber: number;
}

export interface DescentLevel {
  key: DescentKey;
  title: string;
  leaves: string;
  state: 'pending' | 'active' | 'done';
  leafCount: number | null;
  height: number | null;
  startTx?: string;
  rounds: Round[];
  /** What the descent found (step t, node n, element e, instruction i). */
  found: number | null;
  foundLabel: string;
  foundTx?: string;
  /** STEPS only: the interval [start, end] its leaf opened (h_start agreed, h_end differs). */
  interval?: { start: number; end: number };
  /** The two parties' claims at the found leaf (float32 bits for element and instruction). */
  claims?: { operator: string | number; challenger: string | number; kind: 'root' | 'bits' };
}

export interface Verdict {
  instruction: number;
  opcode: number;
  operands: number[];
  result: number;
  claimOperator: number;
  claimChallenger: number;
  tx: string;
  /** Which claim the chain's result matched. */
  matches: 'operator' | 'challenger' | 'neither';
}

export interface Resolution {
  status: string;
  resolution: string;
  level: string;
  winner: string | null;
  loser: string | null;
  tx: string;
  timestamp: number;
}

export interface Clocks {
  maxClock: number;
  usedChallenger: number;
  usedOperator: number;
  onTurn: PartyName | null;
  /** Last second the party on turn may move. */
  deadline: number | null;
}

/** How the game was backed: queued for the operator's collateral, funded (and with what), or
 *  closed while queued (withdrawn by its challenger, or moot). */
export interface Funding {
  queued: { position: number; tx: string; timestamp: number } | null;
  funded: { kind: string; amount: string; tx: string; timestamp: number } | null;
  withdrawn: { moot: boolean; tx: string; timestamp: number } | null;
}

export interface DescentView {
  levels: DescentLevel[];
  proofs: Move[];
  verdict: Verdict | null;
  resolved: Resolution | null;
  clocks: Clocks;
  funding: Funding;
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A move's level name, from the stored name or the event's `level` argument. */
export function moveLevel(move: Move): string | null {
  if (move.args.level !== undefined && move.args.level !== null) {
    const raw = move.args.level;
    if (typeof raw === 'string' && !/^[0-9]+$/.test(raw)) return raw;
    return LEVEL_NAMES[n(raw)] ?? null;
  }
  return move.level;
}

/** The leaves [lo, hi) under node (height, position), clipped to the tree's real leaves. */
export function interval(position: number, height: number, leafCount: number | null): { lo: number; hi: number } {
  const width = 2 ** height;
  const lo = position * width;
  const hi = lo + width;
  return { lo, hi: leafCount === null ? hi : Math.min(hi, Math.max(leafCount, lo + 1)) };
}

export function buildDescent(
  game: Pick<Dispute, 'status' | 'max_clock' | 'used_challenger' | 'used_operator' | 'move_deadline' | 'turn'> & Partial<Pick<Dispute, 'operator' | 'challenger'>>,
  moves: Move[],
): DescentView {
  const levels = new Map<DescentKey, DescentLevel>();
  for (const d of DESCENTS) {
    levels.set(d.key, { key: d.key, title: d.title, leaves: d.leaves, state: 'pending', leafCount: null, height: null, rounds: [], found: null, foundLabel: d.found });
  }
  const proofs: Move[] = [];
  let verdict: Verdict | null = null;
  let resolved: Resolution | null = null;
  const clocks: Clocks = {
    maxClock: game.max_clock,
    usedChallenger: game.used_challenger,
    usedOperator: game.used_operator,
    onTurn: game.turn === 'CHALLENGER' || game.turn === 'OPERATOR' ? game.turn : null,
    deadline: game.move_deadline,
  };
  let current: DescentLevel | undefined;
  const funding: Funding = { queued: null, funded: null, withdrawn: null };

  for (const move of moves) {
    const a = move.args;
    const level = moveLevel(move);
    switch (move.name) {
      case 'DescentStarted': {
        const lv = levels.get(level as DescentKey);
        if (!lv) break;
        if (current && current !== lv && current.state === 'active') current.state = 'done';
        lv.state = 'active';
        lv.leafCount = n(a.leafCount);
        lv.height = n(a.height);
        lv.startTx = move.tx_hash;
        lv.rounds = [{ lo: 0, hi: lv.leafCount, position: 0, height: lv.height, tx: move.tx_hash, timestamp: move.timestamp, blockNumber: move.block_number }];
        lv.claims = { operator: String(a.rootOperator ?? ''), challenger: String(a.rootChallenger ?? ''), kind: 'root' };
        current = lv;
        break;
      }
      case 'Bisected': {
        const lv = levels.get(level as DescentKey) ?? current;
        if (!lv) break;
        const position = n(a.position);
        const height = n(a.height);
        const { lo, hi } = interval(position, height, lv.leafCount);
        lv.rounds.push({ lo, hi, position, height, tx: move.tx_hash, timestamp: move.timestamp, blockNumber: move.block_number });
        lv.claims = { operator: String(a.rootOperator ?? ''), challenger: String(a.rootChallenger ?? ''), kind: 'root' };
        break;
      }
      case 'SegmentFound': {
        // the step descent ended at a committed step whose interval holds uncommitted states
        const lv = levels.get('STEPS')!;
        const start = n(a.segmentStart);
        const end = start + n(a.segmentLeaves) - 1;
        lv.state = 'done';
        lv.found = end - 1;
        lv.interval = { start, end };
        lv.foundTx = move.tx_hash;
        lv.claims = { operator: String(a.stateOperator), challenger: String(a.stateChallenger), kind: 'root' };
        break;
      }
      case 'SegmentCommitted':
        proofs.push(move);
        break;
      case 'StepFound':
      case 'NodeFound':
      case 'ElementFound':
      case 'InstructionFound': {
        const inInterval = move.name === 'StepFound' && levels.get('STEPS')!.interval !== undefined;
        const key: DescentKey =
          move.name === 'StepFound' ? (inInterval ? 'SEGMENT_STEPS' : 'STEPS') : move.name === 'NodeFound' ? 'NODES' : move.name === 'ElementFound' ? 'ELEMENT' : 'INSTRUCTION';
        const lv = levels.get(key)!;
        lv.state = 'done';
        lv.found = n(a[lv.foundLabel]);
        lv.foundTx = move.tx_hash;
        if (move.name === 'StepFound') lv.claims = { operator: String(a.nextStateOperator), challenger: String(a.nextStateChallenger), kind: 'root' };
        if (move.name === 'NodeFound') lv.claims = { operator: String(a.outputOperator), challenger: String(a.outputChallenger), kind: 'root' };
        if (move.name === 'ElementFound') lv.claims = { operator: n(a.valueOperator), challenger: n(a.valueChallenger), kind: 'bits' };
        if (move.name === 'InstructionFound') lv.claims = { operator: n(a.claimOperator), challenger: n(a.claimChallenger), kind: 'bits' };
        if (lv.leafCount === null) {
          // A one-leaf tree never starts a visible descent; the found index is the whole story.
          lv.leafCount = 1;
          lv.height = 0;
        }
        break;
      }
      case 'StepStarted':
      case 'NodeStarted':
      case 'OutputRootRevealed':
      case 'IntermediatesCommitted':
        proofs.push(move);
        break;
      case 'OneStepExecuted': {
        const result = n(a.result);
        const claimOperator = n(a.claimOperator);
        const claimChallenger = n(a.claimChallenger);
        const operands = Array.isArray(a.operands) ? (a.operands as unknown[]).map(n) : [];
        verdict = {
          instruction: n(a.instruction),
          opcode: n(a.opcode),
          operands,
          result,
          claimOperator,
          claimChallenger,
          tx: move.tx_hash,
          matches: result === claimOperator ? 'operator' : result === claimChallenger ? 'challenger' : 'neither',
        };
        proofs.push(move);
        break;
      }
      case 'GameResolved': {
        const status = typeof a.status === 'string' && !/^[0-9]+$/.test(a.status) ? a.status : GAME_STATUS_NAMES[n(a.status)] ?? String(a.status);
        const resolution = typeof a.resolution === 'string' && !/^[0-9]+$/.test(a.resolution) ? a.resolution : RESOLUTION_NAMES[n(a.resolution)] ?? String(a.resolution);
        resolved = {
          status,
          resolution,
          level: moveLevel(move) ?? '',
          winner: (a.winner as string | undefined) ?? null,
          loser: (a.loser as string | undefined) ?? null,
          tx: move.tx_hash,
          timestamp: move.timestamp,
        };
        // A timeout ends the game when the loser's clock is spent; the indexed game records used time
        // only at turn starts, so spend it here.
        if (resolution === 'TIMEOUT' && resolved.loser) {
          const loser = resolved.loser.toLowerCase();
          if (loser === game.challenger?.toLowerCase()) clocks.usedChallenger = clocks.maxClock;
          else if (loser === game.operator?.toLowerCase()) clocks.usedOperator = clocks.maxClock;
        }
        clocks.onTurn = null;
        clocks.deadline = null;
        for (const lv of levels.values()) if (lv.state === 'active') lv.state = 'done';
        break;
      }
      case 'GameQueued':
        funding.queued = { position: n(a.position), tx: move.tx_hash, timestamp: move.timestamp };
        break;
      case 'GameFunded': {
        const kind = typeof a.kind === 'string' && !/^[0-9]+$/.test(a.kind) ? a.kind : COLLATERAL_KIND_NAMES[n(a.kind)] ?? String(a.kind);
        funding.funded = { kind, amount: String(a.amount ?? '0'), tx: move.tx_hash, timestamp: move.timestamp };
        break;
      }
      case 'GameWithdrawn':
        funding.withdrawn = { moot: a.moot === true || a.moot === 'true' || a.moot === 1, tx: move.tx_hash, timestamp: move.timestamp };
        clocks.onTurn = null;
        clocks.deadline = null;
        // Nothing was played: a descent begun at the open never had a move.
        for (const lv of levels.values()) if (lv.state === 'active') lv.state = 'pending';
        break;
      default:
        break;
    }
  }
  if (game.status !== 'ACTIVE') {
    clocks.onTurn = null;
  }
  return { levels: [...levels.values()], proofs, verdict, resolved, clocks, funding };
}

/** Seconds left on a party's clock at `now` (the party on turn loses time as it thinks). */
export function clockLeft(clocks: Clocks, party: PartyName, now: number): number {
  const used = party === 'CHALLENGER' ? clocks.usedChallenger : clocks.usedOperator;
  if (clocks.onTurn === party && clocks.deadline !== null) return Math.max(0, clocks.deadline - now);
  return Math.max(0, clocks.maxClock - used);
}
