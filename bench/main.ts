// `npm run bench`: every suite in one process and one run, so the ratios between paths hold;
// then bench/results/results.json, results.md and chart.svg. The markdown is printed as well.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openContext } from './context.js';
import { describeMachine } from './machine.js';
import type { Measurement } from './measure.js';
import { resultsDir } from './paths.js';
import { renderChart } from './report/chart.js';
import { renderMarkdown } from './report/markdown.js';
import { summarize } from './report/summary.js';
import { bulkData } from './suites/bulk-data.js';
import { callOverhead } from './suites/call-overhead.js';
import { computeKernels } from './suites/kernels.js';
import { recovery } from './suites/recovery.js';
import { sandboxCosts } from './suites/sandbox-costs.js';

const started = Date.now();
const machine = describeMachine();
const context = await openContext();
const measurements: Measurement[] = [];
try {
  for (const suite of [callOverhead, sandboxCosts, bulkData, computeKernels, recovery]) measurements.push(...await suite(context));
} finally {
  await context.close();
}
const summary = summarize(measurements);
const markdown = renderMarkdown(machine, measurements, summary);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'results.json'), `${JSON.stringify({ machine, measurements, summary }, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'results.md'), markdown);
writeFileSync(path.join(resultsDir, 'chart.svg'), await renderChart(measurements, summary));
console.log(markdown);
console.log(`\nbench: ${measurements.length} cases in ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${path.relative(process.cwd(), resultsDir)}/`);
