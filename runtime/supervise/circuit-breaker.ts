// One function's circuit breaker. Closed: calls go through and their outcomes feed the rules.
// Open: calls are refused (they go to the fallback, or fail fast) until the cool-down is over.
// Half-open: a limited number of probe calls go through; if all succeed the circuit closes, the
// first failure opens it again. Each call carries the admission it got, so an answer is only
// ever taken for a probe's if the call was let through as one.
import { performance } from 'node:perf_hooks';
import { createWindow, type OutcomeWindow } from './outcome-window.js';
import type { ResolvedBreaker } from './options.js';
import type { CircuitState } from './circuit-state.js';


/** What admit() answers. */
export const REFUSED = 0;
export const ADMITTED = 1;
export const PROBE = 2;
export type Admission = typeof REFUSED | typeof ADMITTED | typeof PROBE;

export type StateChange = (from: CircuitState, to: CircuitState, reason: string) => void;

export class CircuitBreaker {
  state: CircuitState = 'closed';
  /** Why the circuit last changed state. */
  reason = 'never tripped';
  opened = 0;
  private consecutiveFailures = 0;
  private openUntil = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private readonly errorWindow: OutcomeWindow | null;
  private readonly latencyWindow: OutcomeWindow | null;

  constructor(private readonly rules: ResolvedBreaker, private readonly changed: StateChange) {
    this.errorWindow = rules.errorRate ? createWindow(rules.errorRate.window) : null;
    this.latencyWindow = rules.latency ? createWindow(rules.latency.window) : null;
  }

  admit(): Admission {
    if (this.state === 'closed') return ADMITTED;
    if (this.state === 'open') {
      if (performance.now() < this.openUntil) return REFUSED;
      this.probeSuccesses = 0;
      this.move('half-open', `cool-down of ${this.rules.coolDownMs}ms over`);
    }
    if (this.probesInFlight + this.probeSuccesses >= this.rules.halfOpenProbes) return REFUSED;
    this.probesInFlight++;
    return PROBE;
  }

  retryInMs(): number {
    return this.state === 'open' ? Math.max(0, this.openUntil - performance.now()) : 0;
  }

  /** The call returned (or threw an error that is not a failure). `durationMs` is NaN when untimed. */
  succeeded(admission: Admission, durationMs: number, now: number): void {
    const latency = this.rules.latency;
    const slow = latency !== null && durationMs > latency.maxMs;
    if (admission === PROBE) {
      this.probesInFlight--;
      if (this.state !== 'half-open') return; // another probe already decided
      if (slow) this.trip(`probe took ${durationMs.toFixed(2)}ms, over ${latency.maxMs}ms`);
      else if (++this.probeSuccesses >= this.rules.halfOpenProbes) {
        this.move('closed', `${plural(this.probeSuccesses, 'probe call')} succeeded`);
      }
      return;
    }
    if (this.state !== 'closed') return; // only calls let through while closed feed the rules
    this.consecutiveFailures = 0;
    this.errorWindow?.record(false, slow, now);
    if (this.latencyWindow !== null) {
      this.latencyWindow.record(false, slow, now);
      if (slow) this.checkLatency();
    }
  }

  /** The call failed (per the rules' isFailure): `what` names the failure for the reason text. */
  failed(admission: Admission, what: string, durationMs: number, now: number): void {
    if (admission === PROBE) {
      this.probesInFlight--;
      if (this.state === 'half-open') this.trip(`probe failed: ${what}`);
      return;
    }
    if (this.state !== 'closed') return;
    const latency = this.rules.latency;
    const slow = latency !== null && durationMs > latency.maxMs;
    if (++this.consecutiveFailures >= this.rules.consecutiveTraps) {
      this.trip(`${plural(this.consecutiveFailures, 'failure')} in a row (last: ${what})`);
      return;
    }
    const errors = this.errorWindow;
    if (errors !== null) {
      errors.record(true, slow, now);
      const { threshold, minCalls } = this.rules.errorRate!;
      if (errors.calls >= minCalls && errors.failures / errors.calls >= threshold) {
        this.trip(`error rate ${percent(errors.failures / errors.calls)} >= ${percent(threshold)} over ${errors.calls} calls (last: ${what})`);
        return;
      }
    }
    if (this.latencyWindow !== null) {
      this.latencyWindow.record(true, slow, now);
      if (slow) this.checkLatency();
    }
  }

  /** A call that never reached C (e.g. a bad argument): frees its probe slot, decides nothing. */
  released(admission: Admission): void {
    if (admission === PROBE) this.probesInFlight--;
  }

  /** The p-th percentile (nearest rank) exceeds maxMs exactly when more than n - ceil(p/100 n) calls were slower. */
  private checkLatency(): void {
    const window = this.latencyWindow!;
    const { percentile, maxMs, minCalls } = this.rules.latency!;
    if (window.calls >= minCalls && window.slow > window.calls - Math.ceil((percentile / 100) * window.calls)) {
      this.trip(`p${percentile} latency over ${maxMs}ms: ${window.slow} of ${window.calls} calls slower`);
    }
  }

  private trip(reason: string): void {
    this.openUntil = performance.now() + this.rules.coolDownMs;
    this.opened++;
    this.move('open', reason);
  }

  private move(to: CircuitState, reason: string): void {
    const from = this.state;
    this.state = to;
    this.reason = reason;
    this.consecutiveFailures = 0;
    this.errorWindow?.clear();
    this.latencyWindow?.clear();
    this.changed(from, to, reason);
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}
