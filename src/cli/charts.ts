/**
 * The report's charts as Vega-Lite specifications, compiled to Vega and rendered to SVG in Node
 * (vega's headless View.toSVG), so the report shows them without running any script. The same
 * compiled specs are embedded for the browser, where the inlined vega runtime replaces each
 * picture with a live view: tooltips on hover, zoom (wheel) and pan (drag), double-click resets.
 */
import { printable } from './inspect.js';

export interface CurvePoint {
  run: string;
  label: string;
  epoch: number;
  value: number;
}

export interface FinalPoint {
  run: string;
  label: string;
  seed: string;
  value: number;
  /** A deterministic vertical offset, so that equal values do not hide each other. */
  jitter: number;
}

export interface Chart {
  /** The compiled Vega specification (data inlined). */
  vega: object;
  svg: string;
}

const AXIS = { labelFontSize: 12, titleFontSize: 13, labelOverlap: true, grid: true, tickCount: 6, labelFlush: true };
const CONFIG = { axis: AXIS, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 }, view: { stroke: '#ccc' }, font: 'system-ui, sans-serif' };
const ZOOM = [{ name: 'zoom', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }];

/** Names vega will not take as titles (they become object keys: constructor, toString, __proto__...). */
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'then', 'prototype']);
/**
 * A metric's or value's name as a title, shown as the other commands show it: control characters
 * and line separators escaped (vega writes titles into the code of its tooltips, where a newline
 * in a name, `vb.runs.log('a\nb', ...)`, was a parse error that stopped the report).
 */
const safeTitle = (name: string) => {
  const shown = printable(name);
  return RESERVED.has(shown) ? `${shown} (value)` : shown;
};

/** One fit's curves of one metric: one line per run, epochs on x. */
export function curveSpec(points: readonly CurvePoint[], metric: string, title: string, runCount: number): object {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: printable(title), fontSize: 13, anchor: 'start' },
    width: 360, height: 220, config: CONFIG,
    data: { values: points },
    params: ZOOM,
    mark: { type: 'line', point: points.length <= 400 ? { size: 18 } : false, strokeWidth: 1.5, tooltip: true, clip: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title: safeTitle(metric), scale: { zero: false }, axis: { format: '~g' } },
      color: { field: 'label', type: 'nominal', title: 'run (seed)', legend: runCount > 12 ? null : { orient: 'bottom', columns: 2 } },
      detail: { field: 'run' },
      tooltip: [{ field: 'label', title: 'run' }, { field: 'epoch' }, { field: 'value', title: safeTitle(metric), format: '.6~g' }],
    },
  };
}

/** The final values of a metric across runs: a box (quartiles, whiskers to min and max) and every run as a point. */
export function distributionSpec(points: readonly FinalPoint[], metric: string): object {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `final ${printable(metric)} across ${points.length} runs`, fontSize: 13, anchor: 'start' },
    width: 420, height: 110, config: CONFIG,
    data: { values: points },
    layer: [
      {
        mark: { type: 'boxplot', extent: 'min-max', size: 44, color: '#c9d9ee', median: { color: '#223' }, rule: { color: '#446' }, ticks: false },
        encoding: { x: { field: 'value', type: 'quantitative', title: safeTitle(metric), scale: { zero: false, padding: 12 }, axis: { format: '~g' } } },
      },
      {
        params: ZOOM.map((z) => ({ ...z, select: { ...z.select, encodings: ['x'] } })),
        mark: { type: 'point', filled: true, size: 46, opacity: 0.85, tooltip: true },
        encoding: {
          x: { field: 'value', type: 'quantitative' },
          y: { field: 'jitter', type: 'quantitative', axis: null, scale: { domain: [-1, 1] } },
          color: { field: 'seed', type: 'nominal', title: 'seed', legend: points.length > 12 ? null : { orient: 'right' } },
          tooltip: [{ field: 'label', title: 'run' }, { field: 'value', title: safeTitle(metric), format: '.6~g' }],
        },
      },
    ],
  };
}

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');

/** Compiles and renders the specs; vega is loaded only when a report is built. */
export async function renderCharts(specs: readonly object[]): Promise<Chart[]> {
  const vega: Vega = await import('vega');
  const { compile }: VegaLite = await import('vega-lite');
  const charts: Chart[] = [];
  for (const spec of specs) {
    const compiled = compile(spec as Parameters<VegaLite['compile']>[0]).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    charts.push({ vega: compiled, svg: await view.toSVG() });
    view.finalize();
  }
  return charts;
}

/** The vega runtime (one minified file), inlined so the report stays offline. */
export async function vegaRuntime(): Promise<string> {
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  const { readFileSync } = await import('node:fs');
  const entry = createRequire(import.meta.url).resolve('vega');
  return readFileSync(join(dirname(entry), 'vega.min.js'), 'utf8');
}
