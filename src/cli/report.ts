/**
 * The HTML report: one self-contained, offline file. Charts are drawn with Vega-Lite and
 * rendered to inline SVG when the report is built, so they show with scripts disabled; the
 * inlined vega runtime then makes them live (hover tooltips, wheel zoom, drag pan). Sections:
 * curves (one panel per fit and metric, a line per run), the distribution of every final metric
 * and custom value (a box and the runs as points), summary statistics, "same seed, different
 * bits" with each divergence's diff, and the environment (shared fields once, then per run only
 * the fields that differ).
 */
import { noStatisticsText, STATISTICS_HEADER, statisticsRows } from './summary.js';
import { weightDifferences } from './snapshots.js';
import { valueFromBits } from '../runs/values.js';
import { curveSpec, distributionSpec, renderCharts, vegaRuntime, type CurvePoint, type FinalPoint } from './charts.js';
import {
  compareData, configOf, environmentDifferences, fieldDifferences, finalResults, firstDivergence, lengthText, repeatedSeeds, summaryValues, afterTrainingDifferences, VOLATILE_ENVIRONMENT, layersText,
  type EpochRecord, type RunDetails,
} from './inspect.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A run as the charts label it: its seed and the end of its id (ids share their start). */
export function runLabel(r: RunDetails): string {
  return `seed ${String(r.run.seed ?? '?')} · ${r.summary.id.slice(-6)}`;
}

/** A metric's exact value at an epoch: from its float32 bits when recorded (NaN and Inf survive JSON that way). */
function metricValue(e: EpochRecord, metric: string): number | undefined {
  const bits = e.logBits?.[metric];
  if (typeof bits === 'string' && /^[0-9a-f]{8}$/.test(bits)) return valueFromBits(bits);
  const v = e.logs?.[metric];
  return typeof v === 'number' ? v : undefined;
}

function htmlTable(rows: readonly (readonly string[])[], className = ''): string {
  const [head, ...body] = rows;
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${head!.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

interface Panel {
  kind: 'curve' | 'distribution';
  metric: string;
  fit?: number;
  spec: object;
  /** Values that could not be drawn (NaN, Inf). */
  nonFinite: number;
}

function curvePanels(runs: readonly RunDetails[]): Panel[] {
  const metrics = [...new Set(runs.flatMap((r) => r.epochs.flatMap((e) => Object.keys(e.logs ?? {}))))];
  const fits = [...new Set(runs.flatMap((r) => r.epochs.map((e) => e.fit)))].sort((a, b) => a - b);
  const panels: Panel[] = [];
  for (const metric of metrics) {
    for (const fit of fits) {
      const points: CurvePoint[] = [];
      let nonFinite = 0;
      for (const r of runs) {
        for (const e of r.epochs) {
          if (e.fit !== fit || e.epoch === 0) continue;
          const value = metricValue(e, metric);
          if (value === undefined) continue;
          if (Number.isFinite(value)) points.push({ run: r.summary.id, label: runLabel(r), epoch: e.epoch, value });
          else nonFinite++;
        }
      }
      if (points.length === 0 && nonFinite === 0) continue;
      const title = fits.length > 1 ? `${metric}, fit ${fit + 1} of ${fits.length}` : `${metric} by epoch`;
      panels.push({ kind: 'curve', metric, fit, spec: curveSpec(points, metric, title, runs.length), nonFinite });
    }
  }
  return panels;
}

function distributionPanels(runs: readonly RunDetails[], metric?: string): Panel[] {
  const finals = summaryValues(runs, metric);
  return [...finals.keys()].map((name) => {
    const points: FinalPoint[] = [];
    let nonFinite = 0;
    runs.forEach((r) => {
      const v = finalResults(r.summary)[name];
      if (typeof v !== 'number') return;
      if (!Number.isFinite(v)) return void nonFinite++;
      // The golden-ratio sequence spreads the points evenly over the band, the same on every build.
      const jitter = ((points.length * 0.6180339887498949) % 1) * 1.4 - 0.7;
      points.push({ run: r.summary.id, label: runLabel(r), seed: String(r.run.seed ?? '?'), value: v, jitter });
    });
    return { kind: 'distribution' as const, metric: name, spec: distributionSpec(points, name), nonFinite };
  });
}

const diffAnchor = (a: RunDetails, b: RunDetails) => `diff-${a.summary.id}-${b.summary.id}`.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * Runs of the same seed, script and arguments whose bits differ: each against the group's first
 * run, with its diff (runs of other scripts or arguments were asked for other things).
 */
function sameSeedSection(runs: readonly RunDetails[]): string {
  const groups = repeatedSeeds(runs);
  if (groups.length === 0) return '<p class="same-seed-summary">No seed was run to completion more than once (with the same script and arguments).</p>';
  const items: string[] = [];
  const diffs: string[] = [];
  for (const [seed, [first, ...others]] of groups) {
    const differing = others.filter((r) => firstDivergence(first!, r) !== undefined || afterTrainingDifferences(first!, r).length > 0);
    if (differing.length === 0) {
      items.push(`<li>Seed ${escape(seed)}: ${others.length + 1} runs, bit-identical.</li>`);
      continue;
    }
    for (const r of differing) {
      const d = firstDivergence(first!, r);
      const afterTraining = afterTrainingDifferences(first!, r);
      const where = d === undefined ? afterTraining.join('; ') : d === 'length' ? lengthText(first!, r)
        : `first divergence at fit ${d.fit}, epoch ${d.epoch}${d.epoch === 0 ? ' (initial weights)' : ''}: ${d.what.join(', ')}`;
      items.push(`<li class="different">Seed ${escape(seed)}: <code>${escape(r.summary.id)}</code> differs from <code>${escape(first!.summary.id)}</code>, ${escape(where)}. <a href="#${diffAnchor(first!, r)}">diff</a></li>`);
      const lines = [
        `$ verbatim diff ${first!.summary.id} ${r.summary.id}`,
        `environment: ${environmentDifferences(first!, r).join('; ') || 'no differences'}`,
        `config: ${fieldDifferences(configOf(first!), configOf(r)).join('; ') || 'no differences'}`,
        `data content: ${compareData(first!, r).content.join('; ') || 'the same examples'}`,
        `data order: ${compareData(first!, r).order.join('; ') || 'no differences beyond the content'}`,
        ...(d === undefined ? [] : afterTraining),
        where,
        ...(d !== undefined && d !== 'length' ? [`layers that differ: ${layersText(d.layers)}`, ...weightDifferences(first!, r, d.fit, d.epoch).map((l) => `  ${l}`)] : []),
      ];
      diffs.push(`<section class="diff" id="${diffAnchor(first!, r)}"><h3>${escape(first!.summary.id)} vs ${escape(r.summary.id)}</h3><pre>${escape(lines.join('\n'))}</pre></section>`);
    }
  }
  return `<ul class="same-seed">${items.join('')}</ul>${diffs.join('')}`;
}

const display = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The environment once: the fields every run shares, then per run only those that differ. */
function environmentSection(runs: readonly RunDetails[]): string {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.manifest)))].filter((k) => !VOLATILE_ENVIRONMENT.includes(k)).sort();
  const dependencyCount = (r: RunDetails) => Object.keys((r.manifest.dependencies as object | undefined) ?? {}).length;
  const value = (r: RunDetails, k: string) => (k === 'dependencies' ? `${dependencyCount(r)} resolved (the lists differ; verbatim diff names them)` : display(r.manifest[k]));
  const shared = keys.filter((k) => runs.every((r) => display(r.manifest[k]) === display(runs[0]!.manifest[k])));
  const differing = keys.filter((k) => !shared.includes(k));
  const sharedTable = htmlTable([['field', 'value (all runs)'], ...shared.map((k) => [k, k === 'dependencies' ? `${dependencyCount(runs[0]!)} resolved, the same in every run` : display(runs[0]!.manifest[k])])], 'environment-shared');
  const perRun = differing.length === 0
    ? '<p class="environment-same">Every run shares this environment.</p>'
    : htmlTable([['run', ...differing], ...runs.map((r) => [runLabel(r), ...differing.map((k) => value(r, k))])], 'environment-differences');
  return `${sharedTable}<h3>Differences between runs</h3>${perRun}`;
}

export interface ReportOptions {
  /** Only this final metric or custom value in the distributions and statistics. */
  metric?: string;
}

export async function renderReport(runs: readonly RunDetails[], options: ReportOptions = {}): Promise<string> {
  const curves = curvePanels(runs);
  const distributions = distributionPanels(runs, options.metric);
  const panels = [...curves, ...distributions];
  const charts = await renderCharts(panels.map((p) => p.spec));
  const figure = (p: Panel, i: number) => `<figure class="chart ${p.kind}" data-chart="${i}" data-metric="${escape(p.metric)}"${p.fit !== undefined ? ` data-fit="${p.fit}"` : ''}><div class="picture">${charts[i]!.svg}</div>${p.nonFinite ? `<figcaption class="non-finite">${p.nonFinite} non-finite value(s) (NaN or Inf) not drawn</figcaption>` : ''}</figure>`;
  const byMetric = new Map<string, string[]>();
  curves.forEach((p, i) => (byMetric.get(p.metric) ?? byMetric.set(p.metric, []).get(p.metric)!).push(figure(p, i)));
  const stats = statisticsRows(runs, options.metric);
  const names = [...new Set(runs.map((r) => r.summary.name ?? ''))].filter(Boolean);
  const specs = JSON.stringify(charts.map((c) => c.vega)).replace(/</g, '\\u003c');
  const runtime = await vegaRuntime();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>verbatim report: ${runs.length} runs</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1600px}h1{font-size:21px}h2{font-size:17px;margin-top:30px;border-bottom:1px solid #ddd}h3{font-size:14px}
.panels{display:flex;flex-wrap:wrap;gap:12px 20px}figure{margin:0}figure.chart .picture{min-height:120px}
.non-finite{color:#a33;font-size:12px}
table{border-collapse:collapse;font-size:12px;margin:6px 0}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}td{max-width:520px;overflow-wrap:anywhere}
.different{color:#8a1c1c}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}.hint{color:#666;font-size:12px}
</style></head><body>
<h1>verbatim report: ${runs.length} runs${names.length ? ` (${escape(names.join(', '))})` : ''}</h1>
<p class="hint">Hover a point for its values; scroll over a chart to zoom, drag to pan, double-click to reset.</p>
<h2>Curves</h2>
${curves.length ? [...byMetric].map(([m, figures]) => `<h3>${escape(m)}</h3><div class="panels">${figures.join('')}</div>`).join('\n') : '<p>No epochs were recorded.</p>'}
<h2>Final metrics and values across runs</h2>
<div class="panels">${distributions.map((p, i) => figure(p, curves.length + i)).join('')}</div>
<h2>Summary statistics</h2>
<p class="hint">One sample per seed: the repeats of a seed are bit-identical by construction, not further samples.</p>
${stats.length ? htmlTable([STATISTICS_HEADER, ...stats], 'statistics') : `<p>${escape(noStatisticsText(runs, options.metric))}.</p>`}
<h2>Same seed, different bits</h2>
${sameSeedSection(runs)}
<h2>Environment</h2>
${environmentSection(runs)}
<h2>Runs</h2>
${htmlTable([['run', 'label', 'name', 'seed', 'status'], ...runs.map((r) => [r.summary.id, runLabel(r), r.summary.name ?? '', String(r.run.seed ?? ''), r.summary.status])], 'runs')}
<script type="application/json" id="vega-specs">${specs}</script>
<script>${runtime}</script>
<script>
(function () {
  if (typeof vega === 'undefined') return;
  var specs = JSON.parse(document.getElementById('vega-specs').textContent);
  document.querySelectorAll('figure.chart').forEach(function (figure) {
    var picture = figure.querySelector('.picture');
    var live = document.createElement('div');
    var view = new vega.View(vega.parse(specs[Number(figure.dataset.chart)]), { renderer: 'svg', container: live, hover: true });
    view.runAsync().then(function () {
      picture.replaceChildren(live);
      figure.classList.add('live');
    });
  });
})();
</script>
</body></html>
`;
}
