// Per-function call durations for stats(): node's native HDR histogram (perf_hooks), recording
// nanoseconds, read out as microsecond percentiles. Recording costs ~15 ns; the clock reads
// around the call cost more, which is why timing is opt-in (stats.latency) and can be sampled.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Call durations in microseconds, since load. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export class LatencyRecorder {
  private readonly histogram: RecordableHistogram = createHistogram();

  record(durationMs: number): void {
    this.histogram.record(Math.max(1, Math.round(durationMs * 1e6)));
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const micros = (ns: number): number => Math.round(ns) / 1000;
    return {
      count: h.count,
      p50: micros(h.percentile(50)),
      p90: micros(h.percentile(90)),
      p99: micros(h.percentile(99)),
      max: micros(h.count === 0 ? 0 : h.max),
      mean: micros(h.count === 0 ? 0 : h.mean),
    };
  }
}
