// Which call a worker is running, and since when, in shared memory: the pool reads it to
// enforce deadlines from the moment a call really starts (not when it was sent), to know after
// a worker dies which sent calls never started (safe to run elsewhere), and to describe the
// sandbox in a timeout report without asking the (stuck) worker.
//
// The worker writes it before every call; the pool reads it from another thread. A version
// counter (odd while a write is under way) makes each read a consistent snapshot.
//
// After each call the worker also leaves the call's start and run time in a ring with one entry
// per call a worker may hold at once, so its reply carries nothing but the answer: the pool
// reads the times when the reply arrives, before that entry can be reused.

/** The sandbox's state at the start of the call now running (or last run). */
export interface CallStart {
  /** 1 for the first call the worker ran, 2 for the second, ... (0: none yet). */
  readonly call: number;
  /** The last call that returned: equal to `call` when the worker is between calls. */
  readonly finished: number;
  /** epochMs() when it started. */
  readonly startedAt: number;
  readonly generation: number;
  readonly memoryBytes: number;
  readonly memoryHighWater: number;
  readonly callsSinceStart: number;
}

const FIELDS = ['call', 'startedAt', 'generation', 'memoryBytes', 'memoryHighWater', 'callsSinceStart', 'finished'] as const;
const MAX_READ_ATTEMPTS = 1000;
const VERSION_BYTES = 8; // Int32 version, padded so the Float64 fields are aligned

export class CallProgress {
  private readonly version: Int32Array;
  private readonly fields: Float64Array;
  /** [startedAt, runMs] per ring entry; call n uses entry n % entries. */
  private readonly times: Float64Array;
  private readonly entries: number;

  /** Pool side: shared memory for a worker that holds at most `inFlight` calls at once. */
  static create(inFlight: number): CallProgress {
    return new CallProgress(new SharedArrayBuffer(VERSION_BYTES + (FIELDS.length + 2 * inFlight) * Float64Array.BYTES_PER_ELEMENT));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.version = new Int32Array(buffer, 0, 1);
    this.fields = new Float64Array(buffer, VERSION_BYTES, FIELDS.length);
    this.times = new Float64Array(buffer, VERSION_BYTES + FIELDS.length * Float64Array.BYTES_PER_ELEMENT);
    this.entries = this.times.length / 2;
  }

  /** Worker side: a call is starting. */
  begin(startedAt: number, generation: number, memoryBytes: number, callsSinceStart: number): void {
    const fields = this.fields;
    Atomics.add(this.version, 0, 1);
    fields[0]! += 1;
    fields[1] = startedAt;
    fields[2] = generation;
    fields[3] = memoryBytes;
    fields[4] = Math.max(fields[4]!, memoryBytes);
    fields[5] = callsSinceStart;
    Atomics.add(this.version, 0, 1);
  }

  /**
   * Worker side: the call returned after `runMs` (before its reply is posted). `finished` is
   * outside the version protocol: one monotonic value, and a stale read only makes the reader
   * think the call still runs.
   */
  end(runMs: number): void {
    const call = this.fields[0]!;
    const entry = (call % this.entries) * 2;
    this.times[entry] = this.fields[1]!;
    this.times[entry + 1] = runMs;
    this.fields[6] = call;
  }

  /** Pool side, once call number `call` has answered: when it started (epochMs()). */
  startedAt(call: number): number {
    return this.times[(call % this.entries) * 2]!;
  }

  /** Pool side, once call number `call` has answered: how long it ran (ms). */
  runMs(call: number): number {
    return this.times[(call % this.entries) * 2 + 1]!;
  }

  /** Pool side: a consistent snapshot (a writer that died mid-write leaves the version odd: take what is there). */
  read(): CallStart {
    for (let attempt = 0; ; attempt++) {
      const before = Atomics.load(this.version, 0);
      const [call, startedAt, generation, memoryBytes, memoryHighWater, callsSinceStart, finished] = this.fields;
      const settled = (before & 1) === 0 && Atomics.load(this.version, 0) === before;
      if (settled || attempt >= MAX_READ_ATTEMPTS) {
        return { call: call!, finished: finished!, startedAt: startedAt!, generation: generation!, memoryBytes: memoryBytes!, memoryHighWater: memoryHighWater!, callsSinceStart: callsSinceStart! };
      }
    }
  }
}
