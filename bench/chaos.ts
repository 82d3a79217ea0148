// Chaos soak: drives the real zoo module with good calls (add, greet, echo, a counter behind a
// handle; on the sandbox, the strict build and the worker pool) and injects a fault of every kind
// at a given rate: each crash fixture, a runaway call stopped by the pool's deadline, memory
// exhaustion, and reloads mid-traffic (library and pool; switched, refused by the probe, refused
// for another ABI).
// Every good answer is checked against JS; every fault must come back classified as its kind
// and the next good call on the same path must work. The load runs in a child process, whose
// exit is checked too. Prints a table, writes bench/results/chaos.md, exits 1 if a check fails.
//
//   npm run chaos -- --calls 100000 --fault-rate 0.05 [--seed 1]
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CboxLoadError, CboxTrap, createPool, load, type Library, type Pool, type TrapKind } from 'cbox';
import { binding as kernelsBinding } from '../wasm-modules/kernels.js';
import { seededRandom } from './seeded-random.js';
import { binding as strictBinding } from '../wasm-modules/zoo-strict.js';
import { binding as zooBinding, type ZooExports } from '../wasm-modules/zoo.js';
import { describeMachine } from './machine.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const YIELD_EVERY = 64; // calls between event-loop turns (spare instances and workers are made there)
const POOL_DEADLINE_MS = 10;
const LETTERS = [...'abcxyz ÄÖü✓漢字🙂'];

interface Settings { readonly calls: number; readonly faultRate: number; readonly seed: number }

/** Where a call runs: the sandboxed library, its strict build, or the worker pool. */
type Path = 'zoo' | 'strict' | 'pool';

interface Fault {
  readonly name: string;
  /** What the caller must get. */
  readonly expect: string;
  readonly path: Path;
  /** Makes the fault happen; true when the outcome was classified as expected. */
  readonly inject: (chaos: Chaos) => Promise<boolean> | boolean;
}

interface KindResult { name: string; expect: string; injected: number; classified: number; recovered: number; recoveryUs: number[] }

interface ChildReport {
  readonly kinds: { name: string; expect: string; injected: number; classified: number; recovered: number; p50Us: number; p99Us: number }[];
  readonly good: { made: number; lost: number; examples: string[] };
  readonly rss: { start: number; end: number };
  readonly seconds: number;
}

function trapOf(call: () => unknown, kind: TrapKind, check: (trap: CboxTrap) => boolean = () => true): boolean {
  try {
    call();
  } catch (error) {
    return error instanceof CboxTrap && error.kind === kind && check(error);
  }
  return false;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (error: unknown) => error);
}

class Chaos {
  readonly random: () => number;
  private readonly lost: string[] = [];
  goodCalls = 0;

  constructor(readonly zoo: Library<ZooExports>, readonly strict: Library<ZooExports>, readonly pool: Pool<ZooExports>, seed: number) {
    this.random = seededRandom(seed);
  }

  get lostCalls(): number {
    return this.lost.length;
  }

  get lostExamples(): string[] {
    return this.lost.slice(0, 5);
  }

  private int32(): number {
    return (this.random() * 2 ** 32) | 0;
  }

  private text(): string {
    return Array.from({ length: Math.floor(this.random() * 24) }, () => LETTERS[Math.floor(this.random() * LETTERS.length)]).join('');
  }

  private bytes(): Uint8Array {
    return Uint8Array.from({ length: Math.floor(this.random() * 4096) }, () => Math.floor(this.random() * 256));
  }

  /** One good call on `path`, its answer checked against JS; false (and counted lost) if it was wrong or threw. */
  async good(path: Path): Promise<boolean> {
    this.goodCalls++;
    const library = path === 'strict' ? this.strict : this.zoo;
    const pick = this.random();
    let what = '';
    try {
      if (path === 'pool') {
        const [a, b] = [this.int32(), this.int32()];
        what = `pool add(${a}, ${b})`;
        const name = this.text();
        const [sum, greeting] = await Promise.all([this.pool.add(a, b), this.pool.greet(name)]);
        return this.check(sum === ((a + b) | 0) && greeting === `hello, ${name}`, what);
      }
      if (pick < 0.4) {
        const [a, b] = [this.int32(), this.int32()];
        what = `${path} add(${a}, ${b})`;
        return this.check(library.add(a, b) === ((a + b) | 0), what);
      }
      if (pick < 0.65) {
        const name = this.text();
        what = `${path} greet(${JSON.stringify(name)})`;
        return this.check(library.greet(name) === `hello, ${name}`, what);
      }
      if (pick < 0.9) {
        const data = this.bytes();
        what = `${path} echo(${data.length} bytes)`;
        return this.check(Buffer.from(library.echo(data)).equals(data), what);
      }
      const start = BigInt(this.int32()) * 4294967296n;
      const deltas = [BigInt(this.int32()), BigInt(this.int32()), BigInt(this.int32())];
      what = `${path} counter from ${start}`;
      const counter = library.counter_new(start)!;
      let expected = start;
      let right = true;
      for (const delta of deltas) {
        expected = BigInt.asIntN(64, expected + delta);
        right &&= library.counter_add(counter, delta) === expected;
      }
      library.counter_free(counter);
      return this.check(right, what);
    } catch (error) {
      return this.check(false, `${what} threw ${(error as Error).message}`);
    }
  }

  private check(right: boolean, what: string): boolean {
    if (!right) this.lost.push(what);
    return right;
  }

  /** A trap on the sandboxed library must also have replaced the instance. */
  trapOn(library: Library<ZooExports>, call: (lib: Library<ZooExports>) => unknown, kind: TrapKind, check?: (trap: CboxTrap) => boolean): boolean {
    const generation = library.generation;
    return trapOf(() => call(library), kind, check) && library.generation > generation;
  }

  /** A reload started mid-traffic: good calls go on (on the old module) while it compiles. */
  async reloadDuring(reload: Promise<number>): Promise<unknown> {
    for (let i = 0; i < 3; i++) await this.good('zoo');
    return reload.then((generation) => generation, (error: unknown) => error);
  }
}

const zooTrap = (call: (zoo: Library<ZooExports>) => unknown, kind: TrapKind, check?: (trap: CboxTrap) => boolean) =>
  (chaos: Chaos): boolean => chaos.trapOn(chaos.zoo, call, kind, check);

const FAULTS: readonly Fault[] = [
  { name: 'wild pointer write', expect: 'trap out-of-bounds', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_oob_write(), 'out-of-bounds') },
  { name: 'NULL write (strict build)', expect: 'trap null-dereference', path: 'strict', inject: (chaos) => chaos.trapOn(chaos.strict, (zoo) => zoo.crash_null_write(), 'null-dereference') },
  { name: 'stack overflow', expect: 'trap stack-overflow', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_stack_overflow(-1), 'stack-overflow') },
  { name: 'abort()', expect: 'trap abort', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_abort(), 'abort') },
  { name: 'exit(3)', expect: 'trap exit, code 3', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_exit(3), 'exit', (trap) => trap.exitCode === 3) },
  { name: '__builtin_trap()', expect: 'trap unreachable', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_trap(), 'unreachable') },
  { name: 'divide by zero', expect: 'trap divide-by-zero', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_div_zero(1, 0), 'divide-by-zero') },
  { name: 'INT_MIN / -1', expect: 'trap integer-overflow', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_int_overflow(-2147483648, -1), 'integer-overflow') },
  { name: 'mistyped indirect call', expect: 'trap indirect-call', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_bad_indirect_call(), 'indirect-call') },
  { name: 'memory exhaustion', expect: 'trap out-of-memory', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_oom(), 'out-of-memory') },
  { name: 'heap corruption', expect: 'trap out-of-bounds (in dlfree)', path: 'zoo', inject: zooTrap((zoo) => zoo.crash_double_free(), 'out-of-bounds', (trap) => trap.cStack.includes('dlfree')) },
  {
    name: 'runaway call (pool deadline)', expect: 'trap timeout', path: 'pool',
    inject: async (chaos) => {
      // Good calls ride along on the pool: the one stopped must be the only one lost.
      const [stopped, ...others] = await Promise.all([
        rejection(chaos.pool.call('spin', [], { timeoutMs: POOL_DEADLINE_MS })),
        chaos.good('pool'), chaos.good('pool'),
      ]);
      return stopped instanceof CboxTrap && stopped.kind === 'timeout' && others.every(Boolean);
    },
  },
  {
    name: 'reload mid-traffic', expect: 'switched: new generation', path: 'zoo',
    inject: async (chaos) => {
      const before = chaos.zoo.generation;
      const generation = await chaos.reloadDuring(chaos.zoo.reload(zooBinding, { probe: (candidate: Library<ZooExports>) => { if (candidate.add(2, 3) !== 5) throw new Error('add'); } }));
      return typeof generation === 'number' && generation > before && chaos.zoo.generation === generation;
    },
  },
  {
    name: 'pool reload mid-traffic', expect: 'switched, no call lost', path: 'pool',
    inject: async (chaos) => {
      // Calls in flight finish on the old workers; the rest run on the new ones.
      const [switched, ...answers] = await Promise.all([
        chaos.pool.reload(zooBinding).then(() => true, () => false),
        chaos.good('pool'), chaos.good('pool'), chaos.good('pool'),
      ]);
      return switched && answers.every(Boolean);
    },
  },
  {
    name: 'reload, probe fails', expect: 'CboxLoadError reload-probe-failed', path: 'zoo',
    inject: async (chaos) => {
      const before = chaos.zoo.generation;
      const error = await chaos.reloadDuring(chaos.zoo.reload(zooBinding, { probe: () => { throw new Error('chaos: the probe says no'); } }));
      return error instanceof CboxLoadError && error.code === 'reload-probe-failed' && chaos.zoo.generation === before;
    },
  },
  {
    name: 'reload, other ABI', expect: 'CboxLoadError abi-mismatch', path: 'zoo',
    inject: async (chaos) => {
      const error = await chaos.reloadDuring(chaos.zoo.reload(kernelsBinding.wasm));
      return error instanceof CboxLoadError && error.code === 'abi-mismatch';
    },
  },
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The load itself (in the child process). */
async function soak(settings: Settings): Promise<ChildReport> {
  const started = performance.now();
  const zoo = await load(zooBinding, { logger: null, memoryLimit: '16MiB' });
  const strict = await load(strictBinding as typeof zooBinding, { logger: null });
  const pool = await createPool(zooBinding, { threads: 2, logger: null });
  const chaos = new Chaos(zoo, strict, pool, settings.seed);
  const results: KindResult[] = FAULTS.map(({ name, expect }) => ({ name, expect, injected: 0, classified: 0, recovered: 0, recoveryUs: [] }));
  const rssStart = process.memoryUsage.rss();
  let faults = 0;
  for (let call = 0; call < settings.calls; call++) {
    if (call % YIELD_EVERY === 0) await new Promise(setImmediate);
    if (chaos.random() >= settings.faultRate) {
      const pick = chaos.random();
      await chaos.good(pick < 0.9 ? 'zoo' : pick < 0.95 ? 'strict' : 'pool');
      continue;
    }
    // Faults take turns, so every kind is injected about as often at any rate.
    const index = faults++ % FAULTS.length;
    const fault = FAULTS[index]!;
    const result = results[index]!;
    const faultStart = performance.now();
    result.injected++;
    if (await fault.inject(chaos)) result.classified++;
    // Recovered: the next call on the same path is a good one and answers right.
    call++;
    if (await chaos.good(fault.path)) {
      result.recovered++;
      result.recoveryUs.push((performance.now() - faultStart) * 1000);
    }
  }
  await pool.close();
  const rssEnd = process.memoryUsage.rss();
  zoo.close();
  strict.close();
  return {
    kinds: results.map(({ recoveryUs, ...counts }) => {
      const sorted = recoveryUs.sort((a, b) => a - b);
      return { ...counts, p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99) };
    }),
    good: { made: chaos.goodCalls, lost: chaos.lostCalls, examples: chaos.lostExamples },
    rss: { start: rssStart, end: rssEnd },
    seconds: (performance.now() - started) / 1000,
  };
}

/** Runs the soak in a child process: its report, and how it ended. */
function runChild(argv: readonly string[]): Promise<{ report: ChildReport | null; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report: ChildReport | null = null;
    child.on('message', (message) => { report = message as ChildReport; });
    child.on('exit', (code, signal) => resolve({ report, code, signal }));
  });
}

function round(us: number): string {
  return Number.isNaN(us) ? '-' : us >= 100 ? String(Math.round(us)) : us.toFixed(1);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function table(settings: Settings, report: ChildReport | null, deaths: number, failures: readonly string[]): string {
  const machine = describeMachine();
  const lines = [
    '# Chaos soak',
    '',
    `\`npm run chaos -- --calls ${settings.calls} --fault-rate ${settings.faultRate} --seed ${settings.seed}\` on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, ${machine.date.slice(0, 10)}.`,
    '',
    'Recovery: from the start of the faulting call until the next good call on the same path has answered correctly.',
    '',
    '| fault kind | expected | injected | classified correctly | recovered | p50 recovery (µs) | p99 recovery (µs) |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...(report?.kinds ?? []).map((kind) => `| ${kind.name} | ${kind.expect} | ${kind.injected} | ${kind.classified} | ${kind.recovered} | ${round(kind.p50Us)} | ${round(kind.p99Us)} |`),
    '',
    '| good calls | good calls lost | process deaths | RSS start | RSS end | duration |',
    '|---:|---:|---:|---:|---:|---:|',
    report
      ? `| ${report.good.made} | ${report.good.lost} | ${deaths} | ${mib(report.rss.start)} | ${mib(report.rss.end)} | ${report.seconds.toFixed(1)} s |`
      : `| - | - | ${deaths} | - | - | - |`,
    '',
    failures.length === 0 ? 'All checks passed.' : `FAILED:\n${failures.map((failure) => `- ${failure}`).join('\n')}`,
    '',
  ];
  return lines.join('\n');
}

function checks(report: ChildReport | null, deaths: number, exit: string): string[] {
  const failures: string[] = [];
  if (deaths > 0) failures.push(`the child process running the load died (${exit})`);
  if (!report) return [...failures, 'no report from the child process'];
  for (const kind of report.kinds) {
    if (kind.classified !== kind.injected) failures.push(`${kind.name}: ${kind.injected - kind.classified} of ${kind.injected} not classified as ${kind.expect}`);
    if (kind.recovered !== kind.injected) failures.push(`${kind.name}: ${kind.injected - kind.recovered} of ${kind.injected} not followed by a working call`);
  }
  if (report.good.lost > 0) failures.push(`${report.good.lost} good calls lost, e.g. ${report.good.examples.join('; ')}`);
  return failures;
}

function readSettings(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    args: [...argv],
    options: { calls: { type: 'string', default: '100000' }, 'fault-rate': { type: 'string', default: '0.05' }, seed: { type: 'string', default: '1' }, child: { type: 'boolean' } },
  });
  const settings = { calls: Number(values.calls), faultRate: Number(values['fault-rate']), seed: Number(values.seed) };
  if (!Number.isSafeInteger(settings.calls) || settings.calls < 1) throw new Error(`--calls must be a whole number >= 1, got ${values.calls}`);
  if (!(settings.faultRate >= 0 && settings.faultRate <= 1)) throw new Error(`--fault-rate must be between 0 and 1, got ${values['fault-rate']}`);
  if (!Number.isSafeInteger(settings.seed)) throw new Error(`--seed must be a whole number, got ${values.seed}`);
  return settings;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const settings = readSettings(argv);
  if (argv.includes('--child')) {
    const report = await soak(settings);
    await new Promise((resolve) => process.send!(report, resolve));
    process.disconnect();
    return 0;
  }
  console.log(`chaos: ${settings.calls} calls, fault rate ${settings.faultRate}, seed ${settings.seed} (in a child process)...`);
  const { report, code, signal } = await runChild(argv);
  const deaths = code === 0 && signal === null ? 0 : 1;
  const failures = checks(report, deaths, `exit code ${code}, signal ${signal}`);
  const text = table(settings, report, deaths, failures);
  console.log(`\n${text}`);
  const resultsDir = path.join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'chaos.md'), text);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
