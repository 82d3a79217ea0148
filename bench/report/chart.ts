// chart.svg: the story at a glance, rendered headless (vega-lite -> vega -> SVG, no canvas).
// Four panels: per-call cost by path, bulk data by size and path, crash recovery (log scales,
// bars from 1 ns), and each wasm build's kernel time over native's (bars from 1 = as fast as
// native, log scale so 2x slower and 2x faster look alike).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Measurement } from '../measure.js';
import { formatDuration } from './format.js';
import type { Summary } from './summary.js';

const WIDTH = 460;
const LOG_AXIS = { type: 'log', domainMin: 1 } as const;
const NS_TITLE = 'median ns per call (log scale); red tick: p99';
/** One colour per path or build in every panel. */
const PALETTE: Record<string, string> = {
  'wasm typed binding': '#4c78a8', 'native (N-API)': '#f58518', 'child process (IPC)': '#e45756', 'pool (worker thread)': '#54a24b',
  wasm: '#4c78a8', 'wasm simd': '#72b7b2', 'wasm strict': '#b279a2',
};

function colors(names: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(names)];
  return { domain, range: domain.map((name, i) => PALETTE[name] ?? ['#9d755d', '#bab0ac', '#eeca3b'][i % 3]!) };
}

interface DurationRow { readonly label: string; readonly group: string; readonly series: string; readonly median: number; readonly p99: number; readonly text: string; readonly base: 1 }

function rows(measurements: readonly Measurement[], label: (m: Measurement) => string): DurationRow[] {
  return measurements.map((m) => ({ label: label(m), group: m.case, series: m.path, median: m.medianNs, p99: m.p99Ns, text: formatDuration(m.medianNs), base: 1 }));
}

/** One bar per row, cheapest first, labelled with its median. */
function logBars(title: string, data: DurationRow[]): object {
  return {
    title, width: WIDTH, data: { values: [...data].sort((a, b) => a.median - b.median) },
    encoding: { y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 360 } } },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' }, encoding: { x: { field: 'median', type: 'quantitative', scale: LOG_AXIS, title: NS_TITLE }, x2: { field: 'base' } } },
      { mark: { type: 'tick', color: '#e45756', thickness: 2 }, encoding: { x: { field: 'p99', type: 'quantitative' } } },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { x: { field: 'median', type: 'quantitative' }, text: { field: 'text' } } },
    ],
  };
}

/** Bars grouped by case (rows) and coloured by path. */
function groupedLogBars(title: string, data: DurationRow[]): object {
  return {
    title, width: WIDTH, height: { step: 9 }, data: { values: data },
    mark: 'bar',
    encoding: {
      y: { field: 'group', type: 'nominal', sort: null, title: null },
      yOffset: { field: 'series', type: 'nominal' },
      x: { field: 'median', type: 'quantitative', scale: LOG_AXIS, title: 'median ns per call (log scale)' },
      x2: { field: 'base' },
      color: { field: 'series', type: 'nominal', title: 'path', scale: colors(data.map((row) => row.series)), legend: { orient: 'bottom', columns: 2, labelLimit: 360 } },
    },
  };
}

export function chartSpec(measurements: readonly Measurement[], summary: Summary): TopLevelSpec {
  const ratios = summary.kernels.flatMap((row) => Object.entries(row.overNative).map(([build, ratio]) => ({ kernel: row.kernel, build, ratio, one: 1 })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'cbox: what isolation costs, per path', subtitle: 'the native path has no isolation: a crash there ends the process' },
    vconcat: [
      logBars('Call overhead: add_i32(1, 2)', rows(measurements.filter((m) => m.section === 'call'), (m) => m.path)),
      groupedLogBars('Bulk data: bytes through each path', rows(measurements.filter((m) => m.section === 'bulk'), (m) => m.path)),
      {
        title: 'Compute kernels: time / native time (log scale; left of 1: faster than native)', width: WIDTH, height: { step: 9 },
        layer: [
          {
            data: { values: ratios }, mark: 'bar',
            encoding: {
              y: { field: 'kernel', type: 'nominal', title: null, sort: null, axis: { labelLimit: 360 } },
              yOffset: { field: 'build', type: 'nominal' },
              x: { field: 'ratio', type: 'quantitative', scale: { type: 'log', domain: [0.25, 32], nice: false }, title: 'wasm build time / native time (log scale)' },
              x2: { field: 'one' },
              color: { field: 'build', type: 'nominal', title: 'build', scale: colors(ratios.map((row) => row.build)), legend: { orient: 'bottom' } },
            },
          },
          { data: { values: [{ one: 1 }] }, mark: { type: 'rule', color: 'black', strokeDash: [4, 3] }, encoding: { x: { field: 'one', type: 'quantitative' } } },
        ],
      },
      logBars('Recovery: from a crash to the next good answer', rows(measurements.filter((m) => m.section === 'recovery'), (m) => m.path)),
    ],
    resolve: { scale: { color: 'independent', x: 'independent', y: 'independent', yOffset: 'independent' } },
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

export async function renderChart(measurements: readonly Measurement[], summary: Summary): Promise<string> {
  const view = new vega.View(vega.parse(compile(chartSpec(measurements, summary)).spec), { renderer: 'none' });
  return view.toSVG();
}
