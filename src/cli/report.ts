/**
 * The HTML report: one self-contained file (inline SVG and CSS, no network) with every run's
 * loss and metric curves overlaid, the distribution of each final metric across runs (a strip
 * plot with a box), the summary statistics, the environments, and notes where runs of the same
 * seed differed.
 */
import { summarize } from '../runs/statistics.js';
import { firstDivergence, type RunDetails } from './inspect.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const W = 460;
const H = 260;
const M = { left: 56, right: 12, top: 16, bottom: 36 };

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number) => String(Number(v.toPrecision(4)));

function scale(min: number, max: number, from: number, to: number): (v: number) => number {
  const span = max - min || 1;
  return (v) => from + ((v - min) / span) * (to - from);
}

function axes(xMin: number, xMax: number, yMin: number, yMax: number, xLabel: string): string {
  const y = scale(yMin, yMax, H - M.bottom, M.top);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => yMin + t * (yMax - yMin));
  return [
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" class="axis"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" class="axis"/>`,
    ...ticks.map((v) => `<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text><line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`),
    `<text x="${M.left}" y="${H - 12}">${fmt(xMin)}</text><text x="${W - M.right}" y="${H - 12}" text-anchor="end">${fmt(xMax)}</text>`,
    `<text x="${(W + M.left) / 2}" y="${H - 4}" text-anchor="middle">${escape(xLabel)}</text>`,
  ].join('');
}

/** One plot per metric: the metric over epochs, one line per run. */
function curves(runs: readonly RunDetails[], metric: string): string {
  const series = runs.map((r) => r.epochs.filter((e) => e.epoch > 0 && e.logs[metric] !== undefined).map((e, i) => [i + 1, e.logs[metric]!] as const));
  const points = series.flat();
  if (points.length === 0) return '';
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]).filter(Number.isFinite);
  const [xMin, xMax, yMin, yMax] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const x = scale(xMin, xMax, M.left, W - M.right);
  const y = scale(yMin, yMax, H - M.bottom, M.top);
  const lines = series.map((s, i) => (s.length === 0 ? '' : `<polyline class="curve" data-run="${escape(runs[i]!.summary.id)}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${s.filter(([, v]) => Number.isFinite(v)).map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`));
  return `<figure><figcaption>${escape(metric)} by epoch</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" class="plot" data-metric="${escape(metric)}">${axes(xMin, xMax, yMin, yMax, 'epoch')}${lines.join('')}</svg></figure>`;
}

/** The final values of a metric across runs: a box (quartiles, median) with every run as a dot. */
function strip(runs: readonly RunDetails[], metric: string): string {
  const values = runs.map((r) => r.summary.finalMetrics[metric]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (values.length === 0) return '';
  const sorted = [...values].sort((a, b) => a - b);
  // Quantiles by linear interpolation between order statistics.
  const q = (p: number) => {
    const at = p * (sorted.length - 1);
    const lower = Math.floor(at);
    return sorted[lower]! + (at - lower) * ((sorted[Math.min(lower + 1, sorted.length - 1)] ?? sorted[lower]!) - sorted[lower]!);
  };
  const lo = sorted[0]!;
  const hi = sorted.at(-1)!;
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
  const x = scale(lo - pad, hi + pad, M.left, W - M.right);
  const h = 120;
  const box = `<rect class="box" x="${x(q(0.25))}" y="30" width="${Math.max(1, x(q(0.75)) - x(q(0.25)))}" height="50" fill="#dde7f3" stroke="#446"/>`
    + `<line x1="${x(q(0.5))}" x2="${x(q(0.5))}" y1="30" y2="80" stroke="#223" stroke-width="2"/>`
    + `<line x1="${x(lo)}" x2="${x(hi)}" y1="55" y2="55" stroke="#446"/>`;
  const dots = values.map((v, i) => `<circle class="dot" cx="${x(v).toFixed(1)}" cy="${40 + ((i * 7) % 30)}" r="4" fill="${COLORS[i % COLORS.length]}" fill-opacity="0.8"/>`).join('');
  const labels = `<text x="${M.left}" y="${h - 8}">${fmt(lo - pad)}</text><text x="${W - M.right}" y="${h - 8}" text-anchor="end">${fmt(hi + pad)}</text>`;
  return `<figure><figcaption>final ${escape(metric)} across ${values.length} runs</figcaption><svg viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" class="plot strip" data-metric="${escape(metric)}">${box}${dots}${labels}</svg></figure>`;
}

function htmlTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  return `<table><thead><tr>${head!.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function renderReport(runs: readonly RunDetails[]): string {
  const metrics = [...new Set(runs.flatMap((r) => r.epochs.flatMap((e) => Object.keys(e.logs))))];
  const finals = [...new Set(runs.flatMap((r) => Object.keys(r.summary.finalMetrics)))];
  const stats = finals.map((m) => {
    const values = runs.map((r) => r.summary.finalMetrics[m]).filter((v): v is number => v !== undefined);
    const s = summarize(values);
    return [m, String(s.n), fmt(s.mean), fmt(s.std), fmt(s.median), fmt(s.min), fmt(s.max), `[${fmt(s.ci95[0])}, ${fmt(s.ci95[1])}]`];
  });
  const bySeed = new Map<string, RunDetails[]>();
  for (const r of runs) {
    const seed = String(r.run.seed ?? '');
    (bySeed.get(seed) ?? bySeed.set(seed, []).get(seed)!).push(r);
  }
  const notes = [...bySeed].filter(([, g]) => g.length > 1).map(([seed, g]) => {
    const differing = g.filter((r) => firstDivergence(g[0]!.epochs, r.epochs) !== undefined).map((r) => r.summary.id);
    return differing.length === 0 ? `Seed ${seed}: ${g.length} runs, bit-identical.` : `Seed ${seed}: runs differ from ${g[0]!.summary.id}: ${differing.join(', ')}.`;
  });
  const environmentKeys = ['node', 'platform', 'arch', 'cpuModel', 'cores', 'backend', 'threads', 'kernelSha256', 'verbatimVersion', 'seed', 'seedSource', 'determinism', 'lockfile'];
  const environments = htmlTable([
    ['run', 'name', ...environmentKeys],
    ...runs.map((r) => [r.summary.id, r.summary.name ?? '', ...environmentKeys.map((k) => {
      const v = r.manifest[k];
      if (k === 'lockfile') return v && typeof v === 'object' ? `sha256 ${String((v as { sha256: string }).sha256).slice(0, 12)}` : 'none';
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    })]),
  ]);
  const legend = runs.map((r, i) => `<span class="key"><i style="background:${COLORS[i % COLORS.length]}"></i>${escape(r.summary.id)} (seed ${escape(String(r.run.seed ?? '?'))})</span>`).join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>verbatim report: ${runs.length} runs</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
figure{display:inline-block;margin:8px 16px 8px 0}figcaption{font-weight:600;margin-bottom:4px}
svg text{font-size:11px;fill:#444}.axis{stroke:#333}.grid{stroke:#eee}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
.key{display:inline-block;margin-right:12px;font-size:12px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.notes li{margin:2px 0}
</style></head><body>
<h1>verbatim report: ${runs.length} runs</h1>
<p>${legend}</p>
<h2>Curves</h2>
${metrics.map((m) => curves(runs, m)).join('\n')}
<h2>Final metrics across runs</h2>
${finals.map((m) => strip(runs, m)).join('\n')}
<h2>Summary statistics</h2>
${stats.length ? htmlTable([['metric', 'n', 'mean', 'std', 'median', 'min', 'max', '95% CI of the mean'], ...stats]) : '<p>No metrics were recorded.</p>'}
<h2>Notes</h2>
<ul class="notes">${(notes.length ? notes : ['No two runs share a seed.']).map((n) => `<li>${escape(n)}</li>`).join('')}</ul>
<h2>Environments</h2>
${environments}
</body></html>
`;
}
