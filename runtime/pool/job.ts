// One call on its way through the pool: queued, then sent to a worker, then settled.
/** What a job needs of the worker running it (a PoolWorker), without importing it. */
export interface JobRunner {
  readonly slot: number;
  abort(job: Job): void;
}

export interface Job {
  readonly fnIndex: number;
  readonly args: unknown[];
  /** Deadline from the moment it starts running; Infinity for none. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  /** Move (not copy) the bytes arguments' buffers to the worker. */
  readonly transfer: boolean;
  /** epochMs() when it was called. */
  readonly enqueuedAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  /** Its number in the sequence of calls sent to its worker (1, 2, ...); 0 while queued. */
  seq: number;
  /** The worker it was sent to; undefined while queued. */
  worker: JobRunner | undefined;
  /** Removes the abort listener once the job is settled. */
  unlisten: (() => void) | undefined;
}

/** Settles a job once (a reply racing a timeout or an abort loses); true if this call did. */
export function settle(job: Job, outcome: 'resolve' | 'reject', value: unknown): boolean {
  if (job.settled) return false;
  job.settled = true;
  job.unlisten?.();
  job[outcome](value);
  return true;
}
