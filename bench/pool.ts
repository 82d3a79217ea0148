// The worker pool against what it is built from and what it replaces: round trips of one call
// at a time (raw postMessage echo of a number and of messages shaped like the pool's, comlink
// echo, pool add, piscina add), and throughput of many small calls with many in flight (pool vs
// piscina running the same wasm add; raw postMessage and comlink echoes as references). Prints a
// table and writes bench/results/pool.json.
//
// Run after `npm run build`: node dist-dev/bench-pool.js (npm run bench builds it). The file plays four roles, chosen at start:
// the bench (main thread), the round-trip timer (a child process pinned to one CPU, see
// pinnedRoundTrips), the echo worker (workerData.role 'echo'), and piscina's task module
// (piscina imports this file in its workers and calls the default export).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker, isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Piscina } from 'piscina';
import { createPool, load, type Library } from 'cbox';
import { binding as zooBinding, type ZooExports } from '../wasm-modules/zoo.js';

const THREADS = 2;
const TOTAL_CALLS = 100_000;
const IN_FLIGHT = 10_000;
const THROUGHPUT_RUNS = 3;
const ROUNDS = 20;
const CALLS_PER_ROUND = 1000;
/** Set in the pinned child process that times the round trips. */
const ROUND_TRIPS_CHILD = 'CBOX_BENCH_POOL_ROUND_TRIPS';

interface EchoPorts { readonly raw: MessagePort; readonly comlink: MessagePort }
interface Echo { echo(value: number): number }

// ---- worker roles ----

let piscinaZoo: Library<ZooExports> | undefined;
if (Piscina.isWorkerThread) piscinaZoo = await load(zooBinding, { logger: null });

/** piscina's task: the same wasm add the pool runs. */
export default function add({ a, b }: { a: number; b: number }): number {
  return piscinaZoo!.add(a, b);
}

/** The raw echo answers a number with itself, and a pool-shaped call [fnIndex, a, b] with a number, as a pool worker would. */
function serveEcho({ raw, comlink }: EchoPorts): void {
  raw.on('message', (value: unknown) => raw.postMessage(typeof value === 'number' ? value : 3));
  Comlink.expose({ echo: (value: number) => value } satisfies Echo, nodeEndpoint(comlink));
}

// ---- main thread ----

interface Result {
  readonly name: string;
  readonly median_us?: number;
  readonly p99_us?: number;
  readonly ops_per_s?: number;
  /** Round trip: this / raw postMessage. Throughput: this / piscina. */
  readonly ratio?: number;
  /** Round trips: timed with every thread on one CPU (see pinnedRoundTrips). */
  readonly cpu_pinned?: boolean;
}

/** A worker echoing on a raw port and through comlink; calls resolve in order. */
class EchoWorker {
  private readonly thread: Worker;
  private readonly raw: MessagePort;
  private readonly waiting: ((value: unknown) => void)[] = [];
  readonly comlink: Comlink.Remote<Echo>;

  constructor() {
    const raw = new MessageChannel();
    const comlink = new MessageChannel();
    const ports: EchoPorts = { raw: raw.port2, comlink: comlink.port2 };
    this.thread = new Worker(new URL(import.meta.url), { workerData: { role: 'echo', ports }, transferList: [raw.port2, comlink.port2] });
    this.raw = raw.port1;
    this.raw.on('message', (value) => this.waiting.shift()!(value));
    this.comlink = Comlink.wrap<Echo>(nodeEndpoint(comlink.port1));
  }

  echo(value: unknown): Promise<unknown> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.raw.postMessage(value);
    });
  }

  async close(): Promise<void> {
    this.raw.close();
    await this.thread.terminate();
  }
}

/**
 * Per-call round trips in µs, each case timed in ROUNDS short rounds taken in turn. On a shared
 * machine a thread's wake-up latency switches between modes (~7 µs and ~60 µs here); taking the
 * cases in turn exposes all of them to the same mix, so their ratios hold where back-to-back
 * runs (one harness task after another) compare one mode with another.
 */
async function roundTrips(cases: Record<string, () => Promise<unknown>>): Promise<Record<string, number[]>> {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      for (let i = 0; i < CALLS_PER_ROUND; i++) {
        const start = performance.now();
        await run();
        samples[name]!.push((performance.now() - start) * 1000);
      }
    }
  }
  return samples;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Calls per second for TOTAL_CALLS calls kept IN_FLIGHT at a time (best of THROUGHPUT_RUNS). */
async function throughput(call: (i: number) => Promise<unknown>): Promise<number> {
  let best = 0;
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    let started = 0;
    const start = performance.now();
    const lane = async (): Promise<void> => {
      while (started < TOTAL_CALLS) await call(started++);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    best = Math.max(best, TOTAL_CALLS / ((performance.now() - start) / 1000));
  }
  return best;
}

function format(value: number | undefined, digits: number): string {
  return value === undefined ? '' : value.toFixed(digits);
}

/** What is measured: echo workers (raw and comlink), the pool and piscina, all with THREADS threads. */
async function openSubjects() {
  const echoes = Array.from({ length: THREADS }, () => new EchoWorker());
  const pool = await createPool(zooBinding, { threads: THREADS, maxQueue: IN_FLIGHT, logger: null });
  const piscina = new Piscina({ filename: import.meta.url, minThreads: THREADS, maxThreads: THREADS, maxQueue: IN_FLIGHT });
  await Promise.all([...echoes.map((echo) => echo.echo(0)), ...echoes.map((echo) => echo.comlink.echo(0)), pool.add(0, 0), piscina.run({ a: 0, b: 0 })]);
  return {
    echoes, pool, piscina,
    close: () => Promise.all([pool.close(), piscina.destroy(), ...echoes.map((echo) => echo.close())]),
  };
}

async function measureRoundTrips(cpuPinned: boolean): Promise<Result[]> {
  const { echoes, pool, piscina, close } = await openSubjects();
  const echo = echoes[0]!;
  const samples = await roundTrips({
    'raw postMessage echo': () => echo.echo(1),
    'raw postMessage, pool-shaped messages': () => echo.echo([0, 1, 2]),
    'comlink echo': () => echo.comlink.echo(1),
    'cbox pool add': () => pool.add(1, 2),
    'piscina add': () => piscina.run({ a: 1, b: 2 }),
  });
  await close();
  const medians = Object.values(samples).map((times) => percentile(times.sort((a, b) => a - b), 50));
  return Object.entries(samples).map(([name, sorted], index) => ({
    name: `round trip: ${name}`, median_us: medians[index]!, p99_us: percentile(sorted, 99), ratio: medians[index]! / medians[0]!, cpu_pinned: cpuPinned,
  }));
}

/**
 * Round trips are timed in a child process pinned to one CPU (taskset). On a small VM, a message
 * to a thread parked on the other, idle vCPU costs a ~60 µs wake-up, or nothing when the
 * scheduler happened to put both threads on one CPU; that lottery swamps the per-call costs
 * compared here. Pinned, every case pays the same two context switches per round trip, and the
 * differences are the work each path does. Without taskset, they are timed here, unpinned.
 */
async function pinnedRoundTrips(): Promise<Result[]> {
  const child = spawnSync('taskset', ['--cpu-list', '0', process.execPath, fileURLToPath(import.meta.url)], {
    env: { ...process.env, [ROUND_TRIPS_CHILD]: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.error || child.status !== 0) {
    console.error(`bench: pinned run unavailable (${child.error?.message ?? `exit ${child.status}`}); timing round trips unpinned`);
    return measureRoundTrips(false);
  }
  return JSON.parse(child.stdout) as Result[];
}

async function measureThroughput(): Promise<Result[]> {
  const { echoes, pool, piscina, close } = await openSubjects();
  const rates = {
    raw: await throughput((i) => echoes[i % THREADS]!.echo(i)),
    comlink: await throughput((i) => echoes[i % THREADS]!.comlink.echo(i)),
    pool: await throughput((i) => pool.add(i, 1)),
    piscina: await throughput((i) => piscina.run({ a: i, b: 1 })),
  };
  await close();
  const label = `${TOTAL_CALLS / 1000}k calls, ${IN_FLIGHT / 1000}k in flight, ${THREADS} threads`;
  return [
    { name: `throughput: raw postMessage echo (${label})`, ops_per_s: rates.raw, ratio: rates.raw / rates.piscina },
    { name: `throughput: comlink echo (${label})`, ops_per_s: rates.comlink, ratio: rates.comlink / rates.piscina },
    { name: `throughput: cbox pool add (${label})`, ops_per_s: rates.pool, ratio: rates.pool / rates.piscina },
    { name: `throughput: piscina add (${label})`, ops_per_s: rates.piscina, ratio: 1 },
  ];
}

async function main(): Promise<void> {
  const results = [...await pinnedRoundTrips(), ...await measureThroughput()];
  console.table(results.map((r) => ({
    case: r.name, 'median µs': format(r.median_us, 1), 'p99 µs': format(r.p99_us, 1), 'calls/s': format(r.ops_per_s, 0), ratio: format(r.ratio, 2),
  })));
  console.log(`ratio: round trip / raw postMessage round trip${results[0]?.cpu_pinned ? ' (all threads on one CPU)' : ''}; throughput / piscina throughput`);
  const resultsDir = path.join(fileURLToPath(new URL('..', import.meta.url)), 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'pool.json'), `${JSON.stringify(results, null, 2)}\n`);
}

if (isMainThread) {
  if (process.env[ROUND_TRIPS_CHILD]) process.stdout.write(JSON.stringify(await measureRoundTrips(true)));
  else await main();
} else if ((workerData as { role?: string } | null)?.role === 'echo') {
  serveEcho((workerData as { ports: EchoPorts }).ports);
}
