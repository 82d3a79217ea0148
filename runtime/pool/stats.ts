// Pool statistics: what callers waited for and what the C code took, per worker slot and for
// the whole pool, in the same HDR-histogram summaries (microseconds) as a library's stats().
import { emptyTrapCounts, type TrapKind } from '../errors.js';
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

/** Answers kept before a recording pass (per slot). */
const PENDING_ANSWERS = 1024;

/**
 * The counters one worker slot (or the whole pool) keeps; a slot's counts also go to the pool's.
 * Answer times are recorded in passes: a histogram record() interleaved with message handling
 * costs several times what it does in a loop (measured: ~0.6 µs of a ~10 µs round trip), so an
 * answer only appends its times, and they are recorded when the buffer fills or a snapshot is taken.
 */
export class CallCounters {
  private calls = 0;
  private timeouts = 0;
  private aborts = 0;
  private respawns = 0;
  private readonly traps: Record<TrapKind, number> = emptyTrapCounts();
  private readonly wait = new LatencyRecorder();
  private readonly run = new LatencyRecorder();
  /** [waitMs, runMs] per answer not yet recorded. */
  private readonly pending = new Float64Array(2 * PENDING_ANSWERS);
  private pendingAnswers = 0;

  constructor(private readonly total?: CallCounters) {}

  answered(waitMs: number, runMs: number): void {
    const at = 2 * this.pendingAnswers++;
    this.pending[at] = waitMs;
    this.pending[at + 1] = runMs;
    if (this.pendingAnswers === PENDING_ANSWERS) this.flush();
  }

  trapped(kind: TrapKind): void {
    this.traps[kind]++;
    if (kind === 'timeout') this.timeouts++;
    this.total?.trapped(kind);
  }

  aborted(): void {
    this.aborts++;
    this.total?.aborted();
  }

  respawned(): void {
    this.respawns++;
    this.total?.respawned();
  }

  /** Records the pending answers (here and in the total). */
  flush(): void {
    for (let at = 0; at < 2 * this.pendingAnswers; at += 2) {
      this.record(this.pending[at]!, this.pending[at + 1]!);
      this.total?.record(this.pending[at]!, this.pending[at + 1]!);
    }
    this.pendingAnswers = 0;
  }

  private record(waitMs: number, runMs: number): void {
    this.calls++;
    // Cross-thread clocks agree to a few µs: a call sent to an idle worker may show a wait just below 0.
    this.wait.record(waitMs > 0 ? waitMs : 0);
    this.run.record(runMs);
  }

  /** For a slot: call after recording; for the total: after flushing every slot. */
  snapshot(): CallCounts {
    this.flush();
    return {
      calls: this.calls, timeouts: this.timeouts, aborts: this.aborts, traps: { ...this.traps }, respawns: this.respawns,
      wait: this.wait.summary(), run: this.run.summary(),
    };
  }
}
