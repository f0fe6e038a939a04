/**
 * `verbatim run`'s live progress: per running repeat its fit, epoch, loss and an ETA, read from
 * the run's own records (epochs.jsonl, fits.jsonl) as the child writes them, so the child needs
 * no extra channel; and, across repeats, a running summary of the final metric. On a terminal
 * one line is redrawn in place; with --progress elsewhere, a line per change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '../runs/statistics.js';

interface Running {
  index: number;
  dir: string;
  startedAt: number;
  last: string;
}

interface EpochLine {
  fit: number;
  epoch: number;
  logs?: Record<string, number | null>;
}

function lines<T>(file: string): T[] {
  try {
    return readFileSync(file, 'utf8').split('\n').flatMap((l) => {
      try {
        return l.trim() ? [JSON.parse(l) as T] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

const seconds = (ms: number) => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`);

/** One repeat's state as a line: "[2/30] fit 1 epoch 7/20 loss 0.0312 ETA 4.1s". */
export function progressLine(index: number, total: number, dir: string, elapsedMs: number): string {
  const epochs = lines<EpochLine>(join(dir, 'epochs.jsonl')).filter((e) => e.epoch > 0);
  const last = epochs.at(-1);
  if (!last) return `[${index + 1}/${total}] starting (${seconds(elapsedMs)})`;
  const fit = lines<{ fit: number; options?: { epochs?: number } }>(join(dir, 'fits.jsonl')).find((f) => f.fit === last.fit && f.options);
  const planned = fit?.options?.epochs;
  const loss = last.logs?.loss;
  const lossText = loss === undefined ? '' : ` loss ${loss === null ? 'NaN' : Number(loss.toPrecision(4))}`;
  // The ETA of the current fit, from the pace of all epochs so far.
  const eta = planned && planned > last.epoch ? ` ETA ${seconds((elapsedMs / epochs.length) * (planned - last.epoch))}` : '';
  return `[${index + 1}/${total}] fit ${last.fit} epoch ${last.epoch}${planned ? `/${planned}` : ''}${lossText}${eta}`;
}

/** The running summary of one metric over the runs finished so far. */
export function liveSummary(metric: string, values: readonly number[], total: number): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return `${values.length}/${total} done`;
  const s = summarize(finite);
  const f = (v: number) => String(Number(v.toPrecision(4)));
  return `${values.length}/${total} done: ${metric} mean ${f(s.mean)} ± ${f((s.ci95[1] - s.ci95[0]) / 2)} (95% CI), median ${f(s.median)}, min ${f(s.min)}, max ${f(s.max)}`;
}

export class ProgressDisplay {
  private readonly running = new Map<number, Running>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = '';
  private summary = '';

  constructor(private readonly total: number, private readonly write: (text: string) => void, private readonly terminal: boolean) {}

  started(index: number, dir: string): void {
    this.running.set(index, { index, dir, startedAt: Date.now(), last: '' }); // non-numeric: elapsed time for the progress display
    this.timer ??= setInterval(() => this.refresh(), 250);
    this.refresh();
  }

  finished(index: number, summary?: string): void {
    this.running.delete(index);
    if (summary !== undefined) this.summary = summary;
    if (this.running.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.clear();
    if (summary !== undefined && !this.terminal) this.write(`summary ${summary}\n`);
    this.refresh();
  }

  /** Removes the live line before other output is written. */
  clear(): void {
    if (this.terminal && this.shown) this.write('\r\x1b[K');
    this.shown = '';
  }

  private refresh(): void {
    const now = Date.now(); // non-numeric: ETA shown on the terminal
    const parts = [...this.running.values()].map((r) => {
      const text = progressLine(r.index, this.total, r.dir, now - r.startedAt);
      if (!this.terminal && text !== r.last && !text.includes('starting')) this.write(`progress ${text}\n`);
      r.last = text;
      return text;
    });
    if (!this.terminal) return;
    const line = [...parts, ...(this.summary ? [this.summary] : [])].join('  |  ');
    const width = (process.stderr as { columns?: number }).columns || 120;
    this.clear();
    if (line) {
      this.shown = line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
      this.write(this.shown);
    }
  }
}
