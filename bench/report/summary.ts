// From raw measurements to what the README needs: the ratios the issues set targets for, and the
// kernels table (each build's time against native).
import type { Measurement, Section } from '../measure.js';
import { CALL_CASE, PATHS } from '../suites/call-overhead.js';
import { KERNEL_PATHS } from '../suites/kernels.js';
import { RECOVERY_CASES, RECOVERY_PATHS } from '../suites/recovery.js';
import { RAW_COPY, SANDBOX_CASES } from '../suites/sandbox-costs.js';
import { formatDuration, formatRatio, geomean } from './format.js';

export interface Finding {
  readonly name: string;
  /** What was measured, as text ("3.10x", "41.2 µs"). */
  readonly measured: string;
  readonly value: number;
  readonly goal?: string;
  readonly met?: boolean;
}

export interface KernelRow {
  readonly kernel: string;
  readonly ns: Readonly<Record<string, number>>;
  /** Each wasm build's median time divided by native's. */
  readonly overNative: Readonly<Record<string, number>>;
}

export interface Summary {
  readonly findings: readonly Finding[];
  readonly kernels: readonly KernelRow[];
}

class Lookup {
  constructor(private readonly measurements: readonly Measurement[]) {}
  get(section: Section, name: string, path: string): Measurement {
    const found = this.measurements.find((m) => m.section === section && m.case === name && m.path === path);
    if (!found) throw new Error(`bench: no measurement for ${section} / ${name} / ${path}`);
    return found;
  }
}

function ratio(name: string, value: number, goal?: { text: string; met: (value: number) => boolean }): Finding {
  return { name, value, measured: formatRatio(value), ...(goal ? { goal: goal.text, met: goal.met(value) } : {}) };
}

function duration(name: string, ns: number, goal?: { text: string; met: (value: number) => boolean }): Finding {
  return { name, value: ns, measured: formatDuration(ns), ...(goal ? { goal: goal.text, met: goal.met(ns) } : {}) };
}

export function kernelRows(measurements: readonly Measurement[]): KernelRow[] {
  const kernels = measurements.filter((m) => m.section === 'kernel');
  return [...new Set(kernels.map((m) => m.case))].map((kernel) => {
    const ns = Object.fromEntries(kernels.filter((m) => m.case === kernel).map((m) => [m.path, m.medianNs]));
    const native = ns[KERNEL_PATHS.native]!;
    const overNative = Object.fromEntries([KERNEL_PATHS.wasm, KERNEL_PATHS.simd, KERNEL_PATHS.strict].map((path) => [path, ns[path]! / native]));
    return { kernel, ns, overNative };
  });
}

export function summarize(measurements: readonly Measurement[]): Summary {
  const m = new Lookup(measurements);
  const kernels = kernelRows(measurements);
  const typed = m.get('call', CALL_CASE, PATHS.typed).medianNs;
  const postMessage = m.get('call', CALL_CASE, PATHS.postMessage).medianNs;
  const pool = m.get('call', CALL_CASE, PATHS.pool).medianNs;
  const child = m.get('call', CALL_CASE, PATHS.child).medianNs;
  const overKernels = (path: string): number => geomean(kernels.map((row) => row.overNative[path]!));
  const spare = m.get('recovery', RECOVERY_CASES.trap, RECOVERY_PATHS.spare);
  const noSpare = m.get('recovery', RECOVERY_CASES.trap, RECOVERY_PATHS.noSpare);
  const findings: Finding[] = [
    ratio('typed wasm call / raw export call (kernels add_i32)', typed / m.get('call', CALL_CASE, PATHS.raw).medianNs, { text: '<= 2x', met: (v) => v <= 2 }),
    ratio('typed wasm call / raw export call (zoo add)', m.get('sandbox', SANDBOX_CASES.add, PATHS.typed).medianNs / m.get('sandbox', SANDBOX_CASES.add, PATHS.raw).medianNs, { text: '<= 2x', met: (v) => v <= 2 }),
    ratio('N-API call / typed wasm call (add_i32)', m.get('call', CALL_CASE, PATHS.native).medianNs / typed, { text: '>= 5x', met: (v) => v >= 5 }),
    ratio('pool call / typed wasm call (add_i32)', pool / typed),
    ratio('pool call / bare postMessage round trip', pool / postMessage),
    ratio('child-process call / typed wasm call (add_i32)', child / typed),
    ratio('child-process call / bare postMessage round trip', child / postMessage),
    ratio('echo 1 KiB: typed binding / copied by hand', m.get('sandbox', SANDBOX_CASES.echo, PATHS.typed).medianNs / m.get('sandbox', SANDBOX_CASES.echo, RAW_COPY).medianNs),
    // The default build has SIMD on (cbox build --no-simd turns it off); strict builds too.
    ratio('kernels: wasm (default build, SIMD) / native, geomean', overKernels(KERNEL_PATHS.simd), { text: '<= 1.2x', met: (v) => v <= 1.2 }),
    ratio('kernels: wasm without SIMD (--no-simd) / native, geomean', overKernels(KERNEL_PATHS.wasm)),
    ratio('kernels: strict / default wasm, geomean (strict mode cost)', overKernels(KERNEL_PATHS.strict) / overKernels(KERNEL_PATHS.simd)),
    duration('trap, then next good call: p50 with warm spare', spare.medianNs, { text: '<= 50 µs', met: (v) => v <= 50_000 }),
    duration('trap, then next good call: p99 with warm spare', spare.p99Ns),
    duration('trap, then next good call: p50 without spare', noSpare.medianNs),
    duration('trap, then next good call: p99 without spare', noSpare.p99Ns),
    duration('pool: deadline hit to next answer, p50 (warm spare worker ready)', m.get('recovery', RECOVERY_CASES.deadline, RECOVERY_PATHS.poolSpare).medianNs),
    duration('pool: deadline hit to next answer, p50 (deadlines back to back)', m.get('recovery', RECOVERY_CASES.deadline, RECOVERY_PATHS.poolBurst).medianNs),
    duration('child process: native crash to first answer, p50', m.get('recovery', RECOVERY_CASES.childCrash, RECOVERY_PATHS.child).medianNs),
  ];
  return { findings, kernels };
}
