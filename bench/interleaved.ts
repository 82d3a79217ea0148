// Times several ways of making the same call in one run, interleaved: each round times one batch of
// every contender, the order rotating from round to round. On a shared machine the load changes
// within seconds; taking turns call batch by call batch keeps such a change out of the ratios,
// which one tinybench task after another cannot. Batches are sized per contender so that one
// sample lasts about `sampleNs`, long against the clock read and short against a load change.

export interface Contender {
  readonly path: string;
  /** One call; its answer is ignored (it was checked before timing). */
  readonly run: () => unknown;
}

export interface InterleavedOptions {
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly sampleNs: number;
}

export interface Timing {
  readonly path: string;
  /** Per call, in nanoseconds: the median and the fastest of the rounds' batch means. */
  readonly medianNs: number;
  readonly minNs: number;
  readonly batch: number;
  readonly samples: number;
}

const MAX_BATCH = 1 << 20;

function timeBatch(run: () => unknown, batch: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) run();
  return Number(process.hrtime.bigint() - started);
}

/** The smallest power-of-two batch that lasts at least sampleNs (after one batch to warm up). */
function batchFor(run: () => unknown, sampleNs: number): number {
  let batch = 1;
  timeBatch(run, batch);
  while (batch < MAX_BATCH && timeBatch(run, batch) < sampleNs) batch *= 2;
  return batch;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function timeInterleaved(contenders: readonly Contender[], options: InterleavedOptions): Timing[] {
  const batches = contenders.map((contender) => batchFor(contender.run, options.sampleNs));
  const samples: number[][] = contenders.map(() => []);
  for (let round = -options.warmupRounds; round < options.rounds; round++) {
    for (let turn = 0; turn < contenders.length; turn++) {
      const index = (turn + round + options.warmupRounds) % contenders.length;
      const ns = timeBatch(contenders[index]!.run, batches[index]!) / batches[index]!;
      if (round >= 0) samples[index]!.push(ns);
    }
  }
  return contenders.map((contender, index) => ({
    path: contender.path, medianNs: median(samples[index]!), minNs: Math.min(...samples[index]!), batch: batches[index]!, samples: options.rounds,
  }));
}
