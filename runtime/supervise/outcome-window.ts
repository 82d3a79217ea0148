// Sliding windows of call outcomes for the breaker's rate rules: how many calls, how many failed,
// how many were slow. A count window (the last N calls) needs no clock. A time window keeps ten
// buckets of a tenth of the window each; it reads the clock on every failure or slow call but
// only on every 8th good call (a clock read costs about as much as a wasm call), so a good call
// may land in the bucket before its own: the window is exact to a tenth of its length.
import { performance } from 'node:perf_hooks';
import type { ResolvedWindow } from './options.js';

const FAILED = 1;
const SLOW = 2;
const TIME_BUCKETS = 10;
const CLOCK_EVERY = 8;

export interface OutcomeWindow {
  readonly calls: number;
  readonly failures: number;
  readonly slow: number;
  /** One call's outcome; `now` is performance.now() when the caller has it, else NaN. */
  record(failed: boolean, slow: boolean, now: number): void;
  clear(): void;
}

export function createWindow(shape: ResolvedWindow): OutcomeWindow {
  return shape.kind === 'count' ? new CountWindow(shape.calls) : new TimeWindow(shape.ms);
}

class CountWindow implements OutcomeWindow {
  calls = 0;
  failures = 0;
  slow = 0;
  private readonly ring: Uint8Array;
  private next = 0;

  constructor(size: number) {
    this.ring = new Uint8Array(size);
  }

  record(failed: boolean, slow: boolean): void {
    if (this.calls === this.ring.length) this.forget(this.ring[this.next]!);
    else this.calls++;
    const flags = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    this.ring[this.next] = flags;
    this.failures += flags & FAILED;
    this.slow += flags >> 1;
    this.next = this.next + 1 === this.ring.length ? 0 : this.next + 1;
  }

  private forget(flags: number): void {
    this.failures -= flags & FAILED;
    this.slow -= flags >> 1;
  }

  clear(): void {
    this.calls = this.failures = this.slow = this.next = 0;
  }
}

class TimeWindow implements OutcomeWindow {
  calls = 0;
  failures = 0;
  slow = 0;
  private readonly bucketMs: number;
  private readonly bucketCalls = new Float64Array(TIME_BUCKETS);
  private readonly bucketFailures = new Float64Array(TIME_BUCKETS);
  private readonly bucketSlow = new Float64Array(TIME_BUCKETS);
  /** Number of the bucket-length interval since the clock's origin that the head bucket holds. */
  private epoch: number;
  private unclocked = 0;

  constructor(windowMs: number) {
    this.bucketMs = windowMs / TIME_BUCKETS;
    this.epoch = Math.floor(performance.now() / this.bucketMs);
  }

  record(failed: boolean, slow: boolean, now: number): void {
    if (!Number.isNaN(now)) this.advance(now);
    else if (failed || slow || ++this.unclocked === CLOCK_EVERY) this.advance(performance.now());
    const head = this.epoch % TIME_BUCKETS;
    this.bucketCalls[head]! += 1;
    this.calls++;
    if (failed) { this.bucketFailures[head]! += 1; this.failures++; }
    if (slow) { this.bucketSlow[head]! += 1; this.slow++; }
  }

  /** Moves the head to the bucket of `now`, emptying the buckets that left the window. */
  private advance(now: number): void {
    this.unclocked = 0;
    const epoch = Math.floor(now / this.bucketMs);
    const expired = Math.min(epoch - this.epoch, TIME_BUCKETS);
    for (let step = 1; step <= expired; step++) this.empty((this.epoch + step) % TIME_BUCKETS);
    if (epoch > this.epoch) this.epoch = epoch;
  }

  private empty(bucket: number): void {
    this.calls -= this.bucketCalls[bucket]!;
    this.failures -= this.bucketFailures[bucket]!;
    this.slow -= this.bucketSlow[bucket]!;
    this.bucketCalls[bucket] = this.bucketFailures[bucket] = this.bucketSlow[bucket] = 0;
  }

  clear(): void {
    for (let bucket = 0; bucket < TIME_BUCKETS; bucket++) this.empty(bucket);
  }
}
