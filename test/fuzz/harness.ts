// Runs fuzz cases in worker threads, so that a case that kills its thread, or hangs in spite of
// load()'s start-up deadline, is recorded (the worker is terminated and replaced) instead of
// stopping the run.
import { buildSync } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { root } from '../helpers.js';
import type { Outcome } from './load-case.js';

export interface FuzzCase {
  /** Which generator made it (the first word: bytes, stamp, corpus), and how to make it again (seed and index). */
  readonly label: string;
  readonly bytes: Uint8Array;
}

export type Result = Outcome | { readonly kind: 'hang' } | { readonly kind: 'crash'; readonly error: string };

export interface Report {
  readonly cases: number;
  readonly seconds: number;
  readonly loaded: number;
  /** CboxLoadError codes and how often each ended a case. */
  readonly refused: Readonly<Record<string, number>>;
  /** Per generator (the label's first word): how its cases ended (a code, loaded, raw, unsafe, hang, crash). */
  readonly bySource: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Cases that did not end in a CboxLoadError or a safe load, with their labels. */
  readonly raw: readonly { label: string; error: string }[];
  readonly unsafe: readonly { label: string; detail: string }[];
  readonly hangs: readonly string[];
  readonly crashes: readonly { label: string; error: string }[];
}

/**
 * The worker entry bundled from source (TypeScript, `cbox` = runtime/index.ts), one per process, in
 * dist-dev/fuzz/: from there it finds node_modules and the runtime finds its own worker scripts in dist/.
 */
function bundleWorker(): string {
  const outfile = path.join(root, 'dist-dev', 'fuzz', `load-worker-${process.pid}.mjs`);
  mkdirSync(path.dirname(outfile), { recursive: true });
  buildSync({
    entryPoints: [path.join(root, 'test', 'fuzz', 'load-worker.ts')], outfile, bundle: true, platform: 'node', format: 'esm',
    target: 'node20', packages: 'external', alias: { cbox: path.join(root, 'runtime', 'index.ts') }, logLevel: 'warning',
  });
  return outfile;
}

export interface RunOptions {
  /** Worker threads in parallel. */
  readonly workers: number;
  /** A case with no answer after this long is a hang: far above load()'s start-up deadline, as the machine may be busy. */
  readonly watchdogMs: number;
  /** Called after each case (progress). */
  readonly onResult?: (done: number) => void;
}

export async function runCases(cases: Iterable<FuzzCase>, options: RunOptions): Promise<Report> {
  const started = performance.now();
  const script = bundleWorker();
  const iterator = cases[Symbol.iterator]();
  const refused: Record<string, number> = {};
  const bySource: Record<string, Record<string, number>> = {};
  const raw: { label: string; error: string }[] = [];
  const unsafe: { label: string; detail: string }[] = [];
  const hangs: string[] = [];
  const crashes: { label: string; error: string }[] = [];
  let loaded = 0;
  let done = 0;

  const record = (label: string, result: Result): void => {
    done++;
    const source = (bySource[label.split(/[ :]/, 1)[0]!] ??= {});
    const outcome = result.kind === 'refused' ? result.code : result.kind;
    source[outcome] = (source[outcome] ?? 0) + 1;
    switch (result.kind) {
      case 'refused': refused[result.code] = (refused[result.code] ?? 0) + 1; break;
      case 'loaded': loaded++; break;
      case 'raw': raw.push({ label, error: result.error }); break;
      case 'unsafe': unsafe.push({ label, detail: result.detail }); break;
      case 'hang': hangs.push(label); break;
      case 'crash': crashes.push({ label, error: result.error }); break;
    }
    options.onResult?.(done);
  };

  /** One lane: a worker that takes the next case when it has answered the last. */
  const lane = async (): Promise<void> => {
    let worker: Worker | null = null;
    let id = 0;
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const { label, bytes } = next.value;
      worker ??= new Worker(script);
      const current = worker;
      const result = await new Promise<Result>((resolve) => {
        const caseId = ++id;
        const timer = setTimeout(() => resolve({ kind: 'hang' }), options.watchdogMs);
        const settle = (value: Result): void => {
          clearTimeout(timer);
          current.off('message', onMessage).off('error', onError).off('exit', onExit);
          resolve(value);
        };
        const onMessage = (message: { id: number; outcome: Outcome }): void => { if (message.id === caseId) settle(message.outcome); };
        const onError = (error: Error): void => settle({ kind: 'crash', error: `${error.name}: ${error.message}` });
        const onExit = (code: number): void => settle({ kind: 'crash', error: `worker exited with code ${code}` });
        current.on('message', onMessage).on('error', onError).on('exit', onExit);
        current.postMessage({ id: caseId, bytes });
      });
      if (result.kind === 'hang' || result.kind === 'crash') {
        await current.terminate();
        worker = null;
      }
      record(label, result);
    }
    await worker?.terminate();
  };

  try {
    await Promise.all(Array.from({ length: options.workers }, lane));
  } finally {
    rmSync(script, { force: true });
  }
  return { cases: done, seconds: (performance.now() - started) / 1000, loaded, refused, bySource, raw, unsafe, hangs, crashes };
}

export function formatReport(report: Report): string {
  const codes = Object.entries(report.refused).sort((a, b) => b[1] - a[1]).map(([code, count]) => `${code} ${count}`).join(', ');
  const lines = [
    `${report.cases} cases in ${report.seconds.toFixed(1)} s: ${report.loaded} loaded, ${report.cases - report.loaded - report.raw.length - report.unsafe.length - report.hangs.length - report.crashes.length} refused (${codes}), ` +
      `${report.raw.length} raw errors, ${report.unsafe.length} unsafe loads, ${report.hangs.length} hangs, ${report.crashes.length} dead workers`,
    ...Object.entries(report.bySource).map(([source, outcomes]) => `  ${source}: ${Object.entries(outcomes).sort((a, b) => b[1] - a[1]).map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`),
    ...report.raw.slice(0, 20).map(({ label, error }) => `  raw   ${label}: ${error}`),
    ...report.unsafe.slice(0, 20).map(({ label, detail }) => `  unsafe ${label}: ${detail}`),
    ...report.hangs.slice(0, 20).map((label) => `  hang  ${label}`),
    ...report.crashes.slice(0, 20).map(({ label, error }) => `  dead  ${label}: ${error}`),
  ];
  return lines.join('\n');
}
