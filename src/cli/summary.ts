/**
 * What `verbatim run` prints after its runs, locally or through the queue: summary statistics per
 * final metric, and whether runs of the same seed were bit-identical (across which workers and
 * machines, for queued runs; otherwise where they first diverge and how their environments differ).
 */
import { summarize } from '../runs/statistics.js';
import { afterTrainingDifferences, environmentDifferences, firstDivergence, lengthText, repeatedSeeds, summaryValues, table, type RunDetails, type SeedValues } from './inspect.js';

const f = (v: number) => String(Number(v.toPrecision(6)));

export const STATISTICS_HEADER = ['metric', 'seeds', 'mean', 'std', 'median', 'min', 'max', '95% CI of the mean'];

/**
 * One row of a statistics table. The samples are the seeds (repeats of a seed are bit-identical
 * by construction: counted as samples, they would narrow the interval falsely); one seed has no
 * spread and no interval.
 */
function statisticsRow(name: string, { values, runs, disagreeing }: SeedValues): string[] {
  const s = summarize(values);
  const nonFinite = values.filter((v) => !Number.isFinite(v)).length;
  const notes = [
    ...(runs !== values.length ? [`${runs} runs`] : []),
    ...(nonFinite ? [`${nonFinite} non-finite`] : []),
    ...(disagreeing ? [`repeats of ${disagreeing} seed(s) differ: their first run counted`] : []),
  ];
  const count = `${values.length}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  if (values.length === 1) return [name, count, f(s.mean), '-', f(s.median), f(s.min), f(s.max), 'none: one seed'];
  return [name, count, f(s.mean), f(s.std), f(s.median), f(s.min), f(s.max), `[${f(s.ci95[0])}, ${f(s.ci95[1])}]`];
}

/** Per final metric and custom value (or only `metric`): the rows of the summary statistics across the runs' seeds. */
export function statisticsRows(runs: readonly RunDetails[], metric?: string): string[][] {
  return [...summaryValues(runs, metric)].map(([name, values]) => statisticsRow(name, values));
}

/** Why there are no statistics: no run completed, or the completed runs recorded nothing (by that name). */
export function noStatisticsText(runs: readonly RunDetails[], metric?: string): string {
  const unfinished = runs.filter((r) => r.summary.status !== 'completed').length;
  if (unfinished === runs.length) return `no run completed (${unfinished} did not): statistics are of completed runs only`;
  if (metric === undefined) return 'no completed run recorded a metric or value';
  const recorded = [...summaryValues(runs).keys()].sort();
  return `no completed run recorded a metric or value named ${metric}; ${recorded.length ? `they recorded ${recorded.join(', ')}` : 'they recorded none'}`;
}

/** Per final metric and custom value (or only `metric`): the summary statistics across the runs. */
export function statisticsTable(runs: readonly RunDetails[], metric?: string): string {
  const rows = statisticsRows(runs, metric);
  return rows.length ? table([STATISTICS_HEADER, ...rows]) : `(${noStatisticsText(runs, metric)})`;
}

/** Where a queued run ran: the worker (host and process) and its machine. */
export interface Placement {
  worker: string;
  host: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function placementLabel(placements: readonly Placement[]): string {
  const workers = new Set(placements.map((p) => p.worker)).size;
  const hosts = new Set(placements.map((p) => p.host)).size;
  return `${plural(workers, 'worker')} on ${plural(hosts, 'machine')}`;
}

/**
 * One line per seed run to completion more than once: bit-identical or not; a divergence names the
 * two runs, its first epoch (or the results after training that differ) and the environment
 * fields that differ. With `placement` (queued runs), the workers and machines the runs came from,
 * and a last line that sums up across every worker when all agree.
 */
export function sameSeedReport(runs: readonly RunDetails[], placement?: (run: RunDetails) => Placement | undefined): string[] {
  const repeated = repeatedSeeds(runs);
  const lines = repeated.map(([seed, group]) => {
    // Evaluation results and custom values are results too: a run whose results differ is not bit-identical.
    const divergent = group.find((r) => firstDivergence(group[0]!, r) !== undefined || afterTrainingDifferences(group[0]!, r).length > 0);
    const where = placement ? group.map(placement).filter((p) => p !== undefined) : [];
    const across = where.length ? ` across ${placementLabel(where)}` : '';
    if (!divergent) return `seed ${seed}: ${group.length} runs, bit-identical${across}`;
    const first = firstDivergence(group[0]!, divergent);
    const at = first === undefined ? afterTrainingDifferences(group[0]!, divergent).join('; ')
      : first === 'length' ? lengthText(group[0]!, divergent)
        : `first divergence at fit ${first.fit}, epoch ${first.epoch}: ${first.what.join(', ')} differ`;
    const environment = environmentDifferences(group[0]!, divergent);
    const worker = (r: RunDetails) => placement?.(r)?.worker;
    const named = (r: RunDetails) => `${r.summary.id}${worker(r) ? ` (${worker(r)})` : ''}`;
    return `seed ${seed}: ${group.length} runs${across}, NOT bit-identical: ${named(group[0]!)} and ${named(divergent)}: ${at}; environment differences: ${environment.length ? environment.join('; ') : 'none recorded'}`;
  });
  if (placement && repeated.length && lines.every((l) => !l.includes('NOT bit-identical'))) {
    const where = repeated.flatMap(([, group]) => group.map(placement).filter((p) => p !== undefined));
    lines.push(`bit-identical across ${placementLabel(where)}: every seed run more than once gave the same digests and metric bits`);
  }
  return lines;
}
