/**
 * `verbatim run`'s live progress: per running repeat its fit, epoch, loss and an ETA, read from
 * the run's own records (epochs.jsonl, fits.jsonl) as the child writes them, so the child needs
 * no extra channel; and, across repeats, a running summary of the final metric. On a terminal
 * one line is redrawn in place; with --progress elsewhere, a line per change.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '../runs/statistics.js';

interface EpochLine {
  fit: number;
  epoch: number;
  logs?: Record<string, number | null>;
}

/**
 * The records appended to a JSONL file since the last call: the display reads only what is new
 * every quarter second, so a run of a million epochs costs it no more than a short one. A line
 * not complete yet waits for its end; a line that does not parse is skipped.
 */
export class JsonlTail<T> {
  private offset = 0;
  /** The bytes after the last line end read so far (a line being written). */
  private partial = Buffer.alloc(0);
  private inode: number | undefined;

  constructor(private readonly file: string) {}

  /** The new records; fromStart when the file was replaced (a resume cut it back) and is read again from its start. */
  read(): { records: T[]; fromStart: boolean } {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return { records: [], fromStart: false };
    }
    // A resume cuts records back by writing a new file in the old one's place.
    const { size, ino } = fstatSync(fd);
    const fromStart = size < this.offset || (this.inode !== undefined && ino !== this.inode);
    this.inode = ino;
    if (fromStart) [this.offset, this.partial] = [0, Buffer.alloc(0)];
    const chunks = [this.partial];
    try {
      for (;;) {
        const chunk = Buffer.alloc(1 << 16);
        const n = readSync(fd, chunk, 0, chunk.length, this.offset);
        if (n === 0) break;
        chunks.push(chunk.subarray(0, n));
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
    const bytes = Buffer.concat(chunks);
    // Only whole lines are decoded: a character cut between two reads is whole in the next.
    const end = bytes.lastIndexOf(0x0a) + 1;
    this.partial = Buffer.from(bytes.subarray(end));
    const records = bytes.subarray(0, end).toString('utf8').split('\n').flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as T] : [];
      } catch {
        return [];
      }
    });
    return { records, fromStart };
  }
}

const seconds = (ms: number) => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`);

/** One repeat's progress, read from its run's records. Times are wall-clock milliseconds, for the terminal's progress line only (non-numeric). */
export class RunProgress {
  /** The line last shown. */
  last = '';
  private readonly epochs: JsonlTail<EpochLine>;
  private readonly fits: JsonlTail<{ fit: number; options?: { epochs?: number } }>;
  /** The last epoch record (after the fits' initial ones) and each fit's planned epochs. */
  private lastEpoch: EpochLine | undefined;
  private readonly planned = new Map<number, number | undefined>();
  /** Epochs trained by this process since paceFrom, the time the display began counting them (the start, unless records were there). */
  private trained = 0;
  private paceFrom: number;
  private looked = false;

  constructor(readonly index: number, dir: string, private readonly startedAt: number) {
    this.paceFrom = startedAt;
    this.epochs = new JsonlTail(join(dir, 'epochs.jsonl'));
    this.fits = new JsonlTail(join(dir, 'fits.jsonl'));
  }

  /** The repeat's state as a line: "[2/30] fit 1 epoch 7/20 loss 0.0312 ETA 4.1s". */
  line(total: number, now: number): string {
    const epochs = this.epochs.read();
    // Records there when the display first looks, or when a resume replaced the file (cut back to
    // its backups), were trained by an earlier process: the pace counts only the epochs after them.
    const earlier = !this.looked || epochs.fromStart;
    this.looked = true;
    if (earlier) [this.trained, this.lastEpoch] = [0, undefined];
    if (earlier && epochs.records.length > 0) this.paceFrom = now;
    for (const e of epochs.records) {
      if (e.epoch === 0) continue;
      this.lastEpoch = e;
      if (!earlier) this.trained++;
    }
    for (const f of this.fits.read().records) if (f.options) this.planned.set(f.fit, f.options.epochs);
    const last = this.lastEpoch;
    if (!last) return `[${this.index + 1}/${total}] starting (${seconds(now - this.startedAt)})`;
    const planned = this.planned.get(last.fit);
    const loss = last.logs?.loss;
    const lossText = loss === undefined ? '' : ` loss ${loss === null ? 'NaN' : Number(loss.toPrecision(4))}`;
    // The ETA of the current fit, from the pace of the epochs trained here (none yet: no ETA).
    const eta = planned && planned > last.epoch && this.trained > 0 ? ` ETA ${seconds(((now - this.paceFrom) / this.trained) * (planned - last.epoch))}` : '';
    return `[${this.index + 1}/${total}] fit ${last.fit} epoch ${last.epoch}${planned ? `/${planned}` : ''}${lossText}${eta}`;
  }
}

/** The running summary of one metric over the runs finished so far: one value per seed (its first run's). */
export function liveSummary(metric: string, seedValues: readonly number[], done: number, total: number): string {
  const finite = seedValues.filter(Number.isFinite);
  if (finite.length === 0) return `${done}/${total} done`;
  const s = summarize(finite);
  const f = (v: number) => String(Number(v.toPrecision(4)));
  // The samples are the seeds (a seed's repeats are bit-identical); one seed has no interval.
  if (finite.length === 1) return `${done}/${total} done: ${metric} ${f(s.mean)} (one seed)`;
  return `${done}/${total} done: ${metric} over ${finite.length} seeds mean ${f(s.mean)} ± ${f((s.ci95[1] - s.ci95[0]) / 2)} (95% CI), median ${f(s.median)}, min ${f(s.min)}, max ${f(s.max)}`;
}

export class ProgressDisplay {
  private readonly running = new Map<number, RunProgress>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = '';
  private summary = '';

  constructor(private readonly total: number, private readonly write: (text: string) => void, private readonly terminal: boolean) {}

  started(index: number, dir: string): void {
    this.running.set(index, new RunProgress(index, dir, Date.now())); // non-numeric: elapsed time for the progress display
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
      const text = r.line(this.total, now);
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
