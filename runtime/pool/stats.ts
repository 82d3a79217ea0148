// Pool statistics: what callers waited for and what the C code took, per worker slot and for
// the whole pool, in the same HDR-histogram summaries (microseconds) as a library's stats().
import { TRAP_KINDS, type TrapKind } from '../errors.js';
import { LatencyRecorder, type LatencySummary } from '../supervise/latency-recorder.js';

export interface CallCounts {
  /** Calls a worker answered (with a value or an error). */
  readonly calls: number;
  /** Calls that ran past their deadline (also counted in traps.timeout). */
  readonly timeouts: number;
  /** Calls cancelled by their AbortSignal, queued or running. */
  readonly aborts: number;
  readonly traps: Readonly<Record<TrapKind, number>>;
  /** Worker threads replaced after a timeout, abort or crash. */
  readonly respawns: number;
  /** Queue wait: from the call to the moment it started on a worker. */
  readonly wait: LatencySummary;
  /** Run time on the worker (marshalling and the C call). */
  readonly run: LatencySummary;
}

export interface PoolWorkerStats extends CallCounts {
  readonly slot: number;
  /** threadId of the worker serving the slot now. */
  readonly threadId: number;
  /** Calls sent to it and not answered yet. */
  readonly inFlight: number;
}

export interface PoolStats extends CallCounts {
  readonly name: string;
  readonly threads: number;
  /** Worker threads alive now: one per slot, the warm spare, and any still shutting down. */
  readonly liveWorkers: number;
  readonly spareReady: boolean;
  readonly queued: number;
  readonly inFlight: number;
  readonly closed: boolean;
  readonly workers: readonly PoolWorkerStats[];
}

/** The counters one worker slot (or the whole pool) keeps. */
export class CallCounters {
  calls = 0;
  timeouts = 0;
  aborts = 0;
  respawns = 0;
  readonly traps = Object.fromEntries(TRAP_KINDS.map((kind) => [kind, 0])) as Record<TrapKind, number>;
  private readonly wait = new LatencyRecorder();
  private readonly run = new LatencyRecorder();

  answered(waitMs: number, runMs: number): void {
    this.calls++;
    this.wait.record(waitMs);
    this.run.record(runMs);
  }

  trapped(kind: TrapKind): void {
    this.traps[kind]++;
    if (kind === 'timeout') this.timeouts++;
  }

  snapshot(): CallCounts {
    return {
      calls: this.calls, timeouts: this.timeouts, aborts: this.aborts, traps: { ...this.traps }, respawns: this.respawns,
      wait: this.wait.summary(), run: this.run.summary(),
    };
  }
}
