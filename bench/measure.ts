// Every timed case runs under tinybench. Calls too short for a clock read (a few ns) are timed in
// batches: one tinybench sample is `batch` calls and the statistics are divided by it. Cases that
// must not time their preparation (waiting for a warm spare to be made) return tinybench's
// overriddenDuration, measured with the bench's own clock.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';

export type Section = 'call' | 'bulk' | 'kernel' | 'sandbox' | 'recovery';

export interface Measurement {
  readonly section: Section;
  readonly case: string;
  readonly path: string;
  /** Per call (or per operation), in nanoseconds. */
  readonly medianNs: number;
  readonly p99Ns: number;
  readonly meanNs: number;
  readonly samples: number;
  /** Calls per sample (1 unless batched); for a batched case p99 is that of batch means. */
  readonly batch: number;
}

export interface CaseSpec {
  readonly case: string;
  readonly path: string;
  /** One call; may return a promise (it is awaited) or { overriddenDuration } (ms, from suite.now()). */
  readonly run: () => unknown;
  /** Repeat a synchronous `run` this many times per sample (for calls of a few ns). */
  readonly batch?: number;
  /** Calls one `run` makes itself (e.g. many calls in flight at once); per-call times divide by it. */
  readonly callsPerRun?: number;
}

export interface SuiteOptions {
  /** Milliseconds per case (tinybench `time`); cases also run at least `iterations` times. */
  readonly time: number;
  readonly iterations?: number;
  readonly warmupTime?: number;
}

/** Each case starts from a collected heap, so one case's garbage is not another's GC pause.
 * gc() is exposed at run time, not by --expose-gc, which worker threads (the pool's) refuse. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export class Suite {
  private readonly bench: Bench;
  private readonly cases = new Map<string, CaseSpec>();

  constructor(readonly section: Section, options: SuiteOptions) {
    this.bench = new Bench({
      name: section, time: options.time, iterations: options.iterations ?? 16,
      warmupTime: options.warmupTime ?? options.time / 4, warmupIterations: 4,
      timestampProvider: 'hrtimeNow', throws: true,
    });
  }

  /** The bench's clock, in milliseconds. */
  get now(): () => number {
    return this.bench.now;
  }

  add(spec: CaseSpec): this {
    const name = `${spec.case} | ${spec.path}`;
    if (this.cases.has(name)) throw new Error(`bench: case "${name}" added twice`);
    const batch = spec.batch ?? 1;
    const call = spec.run;
    this.cases.set(name, spec);
    this.bench.add(name, batch === 1 ? call : () => {
      for (let i = 0; i < batch; i++) call();
    }, { beforeAll: collectGarbage });
    return this;
  }

  async run(): Promise<Measurement[]> {
    this.bench.addEventListener('cycle', (event) => process.stderr.write(`  ${this.section}: ${event.task?.name}\n`));
    await this.bench.run();
    return this.bench.tasks.map((task) => {
      const spec = this.cases.get(task.name)!;
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`bench: ${task.name} did not complete (${result.state})`);
      const batch = (spec.batch ?? 1) * (spec.callsPerRun ?? 1);
      const ns = (ms: number): number => (ms * 1e6) / batch;
      return {
        section: this.section, case: spec.case, path: spec.path, batch, samples: result.latency.samplesCount,
        medianNs: ns(result.latency.p50), p99Ns: ns(result.latency.p99), meanNs: ns(result.latency.mean),
      };
    });
  }
}
