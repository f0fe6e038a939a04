/** `verbatim ls`: filtering runs by start time and sorting them by a field or a final value. */
import type { RunSummary } from '../runs/store.js';
import { UsageError } from '../errors.js';
import { finalResults } from './inspect.js';

/** A run's start time in ms since the epoch, read from its id (ids begin with the UTC start time). */
export function runStart(id: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(\d{3})/.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** --since: an ISO date or time (2026-11-28, 2026-11-28T07:00Z) or an age (90s, 30m, 2h, 7d). */
export function sinceFlag(value: string | undefined, now = Date.now()): number | undefined { // non-numeric: filters runs listed by start time
  if (value === undefined) return undefined;
  const age = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value);
  if (age) return now - Number(age[1]) * UNITS[age[2]!]!;
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageError(`Expected --since to be an ISO date or time or an age like 30m, 2h, 7d. Received: --since ${value}`);
  return time;
}

const FIELDS = ['id', 'name', 'seed', 'status'] as const;

/**
 * Sorts by 'id' (start time, the default), 'name', 'seed' (numerically), 'status', or the name
 * of a final metric or custom value (ascending, runs without it and NaN last); '-' in front
 * reverses.
 */
export function sortRuns(runs: readonly RunSummary[], key = 'id'): RunSummary[] {
  const descending = key.startsWith('-');
  const field = descending ? key.slice(1) : key;
  if (field === '') throw new UsageError(`Expected --sort to name a field (${FIELDS.join(', ')}) or a metric. Received: --sort ${key}`);
  const recorded = (r: RunSummary) => finalResults(r)[field];
  const valueOf = (r: RunSummary): number | bigint | string | undefined => {
    // Seeds are integers of any size: as numbers, those above 2^53 would compare rounded.
    if (field === 'seed') return r.seed === null || !/^-?\d+$/.test(r.seed) ? undefined : BigInt(r.seed);
    if ((FIELDS as readonly string[]).includes(field)) return (r[field as (typeof FIELDS)[number]] ?? undefined) as string | undefined;
    const v = recorded(r);
    return typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
  };
  const keyed = runs.map((r) => ({ r, v: valueOf(r) }));
  // A metric every run recorded as NaN is still recorded (ls shows it): the order is then the listing's.
  if (!FIELDS.includes(field as never) && runs.every((r) => typeof recorded(r) !== 'number')) {
    throw new UsageError(`Expected --sort to name a field (${FIELDS.join(', ')}) or a recorded metric. Received: --sort ${key}`);
  }
  return keyed.sort((a, b) => {
    if (a.v === undefined || b.v === undefined) return a.v === b.v ? 0 : a.v === undefined ? 1 : -1;
    const order = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
    return descending ? -order : order;
  }).map(({ r }) => r);
}
