// results.md: the machine, the targets, then one table per section (median and p99 per call).
import type { Machine } from '../machine.js';
import type { Measurement, Section } from '../measure.js';
import { KERNEL_PATHS } from '../suites/kernels.js';
import { formatDuration, formatRatio } from './format.js';
import type { Summary } from './summary.js';

const SECTION_TITLES: Record<Section, string> = {
  call: 'Call overhead: one add_i32 call per path',
  bulk: 'Bulk data: bytes in and out (echo), bytes in (sum_u8)',
  kernel: 'Compute kernels',
  sandbox: 'The sandbox itself (issue 3): typed binding vs raw export, arena marshalling vs a copy by hand',
  recovery: 'Recovery: from a crash to the next good answer',
};

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** Rows: cases; columns: paths; cells: median (p99). */
function sectionTable(measurements: readonly Measurement[]): string {
  const cases = [...new Set(measurements.map((m) => m.case))];
  const paths = [...new Set(measurements.map((m) => m.path))];
  const rows = cases.map((name) => [name, ...paths.map((path) => {
    const found = measurements.find((m) => m.case === name && m.path === path);
    return found ? `${formatDuration(found.medianNs)} (p99 ${formatDuration(found.p99Ns)})` : '';
  })]);
  return table(['case', ...paths], rows);
}

function kernelTable(summary: Summary): string {
  const builds = [KERNEL_PATHS.wasm, KERNEL_PATHS.simd, KERNEL_PATHS.strict, KERNEL_PATHS.native];
  const rows = summary.kernels.map((row) => [
    row.kernel, ...builds.map((build) => formatDuration(row.ns[build]!)),
    ...[KERNEL_PATHS.wasm, KERNEL_PATHS.simd, KERNEL_PATHS.strict].map((build) => formatRatio(row.overNative[build]!)),
  ]);
  return table(['kernel', ...builds.map((build) => `${build} (median)`), 'wasm / native', 'simd / native', 'strict / native'], rows);
}

export function renderMarkdown(machine: Machine, measurements: readonly Measurement[], summary: Summary): string {
  const findings = table(['', 'measured', 'goal', ''], summary.findings.map((finding) => [
    finding.name, finding.measured, finding.goal ?? '', finding.met === undefined ? '' : finding.met ? 'met' : '**not met**',
  ]));
  const sections = (Object.keys(SECTION_TITLES) as Section[]).map((section) => {
    const rows = measurements.filter((m) => m.section === section);
    if (rows.length === 0) return '';
    return `## ${SECTION_TITLES[section]}\n\n${section === 'kernel' ? kernelTable(summary) : sectionTable(rows)}\n`;
  });
  return `# cbox benchmark results

${machine.cpu}, ${machine.cores} cores, ${machine.memory} RAM; ${machine.os}; Node ${machine.node} (V8 ${machine.v8}); ${machine.clang}. Run ${machine.date}.
Medians and p99 per call from tinybench; calls of a few ns are timed in batches (p99 is then that of batch means).
The native path has no isolation: a crash there ends the process.

## Targets and ratios

${findings}

${sections.filter(Boolean).join('\n')}`;
}
