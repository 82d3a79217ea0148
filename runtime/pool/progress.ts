// Which call a worker is running, and since when, in shared memory: the pool reads it to
// enforce deadlines from the moment a call really starts (not when it was sent), to know after
// a worker dies which sent calls never started (safe to run elsewhere), and to describe the
// sandbox in a timeout report without asking the (stuck) worker.
//
// The worker writes it before every call; the pool reads it from another thread. A version
// counter (odd while a write is under way) makes each read a consistent snapshot.

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
  static readonly byteLength = VERSION_BYTES + FIELDS.length * Float64Array.BYTES_PER_ELEMENT;
  private readonly version: Int32Array;
  private readonly fields: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(CallProgress.byteLength)) {
    this.version = new Int32Array(buffer, 0, 1);
    this.fields = new Float64Array(buffer, VERSION_BYTES, FIELDS.length);
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
   * Worker side: the call returned (before its reply is posted). Outside the version protocol:
   * one monotonic value, and a stale read only makes the reader think the call still runs.
   */
  end(): void {
    this.fields[6] = this.fields[0]!;
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
