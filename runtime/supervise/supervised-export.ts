// The function a supervised library exposes for one C export: asks the breaker, times the call
// only when something needs the time, routes failures and refusals to the fallback, counts,
// traces, and recycles the sandbox when the recycling policy says so.
import { performance } from 'node:perf_hooks';
import { CboxArgumentError, CboxTrap } from '../errors.js';
import type { FunctionStats } from '../library-api.js';
import { ADMITTED, REFUSED, type Admission, type CircuitBreaker } from './circuit-breaker.js';
import { CircuitOpenError } from './circuit-open-error.js';
import type { LatencyRecorder } from './latency-recorder.js';
import type { ExportTelemetry } from './telemetry.js';

type AnyFunction = (...args: unknown[]) => unknown;
type Span = ReturnType<ExportTelemetry['start']>;


export interface ExportSupervision {
  readonly library: string;
  readonly fn: string;
  readonly invoke: AnyFunction;
  readonly generation: () => number;
  readonly breaker: CircuitBreaker | null;
  readonly isFailure: (error: unknown) => boolean;
  readonly fallback: AnyFunction | null;
  /** Durations for stats(), taken every `sampleEvery` calls. */
  readonly latency: LatencyRecorder | null;
  readonly sampleEvery: number;
  /** Every call must be timed (a latency rule, or the duration metric). */
  readonly timeEveryCall: boolean;
  readonly telemetry: ExportTelemetry | null;
  /** Proactive recycling check, run after each successful call. */
  readonly afterCall: (() => void) | null;
}

export class SupervisedExport {
  private calls = 0;
  private failures = 0;
  private fallbacks = 0;
  private refused = 0;
  private untilSample: number;

  constructor(private readonly s: ExportSupervision) {
    this.untilSample = s.sampleEvery;
  }

  /** The function users call in place of the raw invoker (a closure: no source text is generated). */
  bind(): AnyFunction {
    const x = this;
    const invoke = this.s.invoke;
    const supervised = function supervised(...args: unknown[]): unknown {
      const admission = x.admit();
      if (admission === REFUSED) return x.refuse(args);
      const span = x.startSpan();
      const start = x.startTime();
      let result;
      try { result = invoke(...args); } catch (error) { return x.settleError(error, args, admission, start, span); }
      return x.settleValue(result, admission, start, span);
    };
    return Object.defineProperty(supervised, 'name', { value: this.s.fn });
  }

  /** @internal (the supervised function) */
  admit(): Admission {
    this.calls++;
    return this.s.breaker === null ? ADMITTED : this.s.breaker.admit();
  }

  /** @internal (the supervised function) */
  startSpan(): Span {
    return this.s.telemetry?.start(this.s.generation());
  }

  /** @internal (the supervised function): performance.now() when this call is timed, else NaN. */
  startTime(): number {
    return this.shouldTime() ? performance.now() : Number.NaN;
  }

  private shouldTime(): boolean {
    if (this.s.timeEveryCall) return true;
    if (this.s.latency === null || --this.untilSample > 0) return false;
    this.untilSample = this.s.sampleEvery;
    return true;
  }

  /** @internal (the supervised function) */
  settleValue(value: unknown, admission: Admission, start: number, span: Span): unknown {
    const s = this.s;
    const now = Number.isNaN(start) ? start : performance.now();
    const duration = now - start;
    s.breaker?.succeeded(admission, duration, now);
    if (s.latency !== null && !Number.isNaN(duration)) s.latency.record(duration);
    s.telemetry?.end(span, 'ok', undefined, duration);
    s.afterCall?.();
    return value;
  }

  /** @internal (the supervised function) */
  settleError(error: unknown, args: unknown[], admission: Admission, start: number, span: Span): unknown {
    const s = this.s;
    const now = Number.isNaN(start) ? start : performance.now();
    const duration = now - start;
    if (error instanceof CboxArgumentError) {
      // Never reached C: tells the breaker nothing.
      s.breaker?.released(admission);
      s.telemetry?.end(span, 'error', error, duration);
      throw error;
    }
    if (s.latency !== null && !Number.isNaN(duration)) s.latency.record(duration);
    if (!s.isFailure(error)) {
      s.breaker?.succeeded(admission, duration, now);
      s.telemetry?.end(span, error instanceof CboxTrap ? 'trap' : 'error', error, duration);
      throw error;
    }
    this.failures++;
    s.breaker?.failed(admission, error instanceof CboxTrap ? `trap ${error.kind}` : (error as Error)?.name ?? String(error), duration, now);
    if (s.fallback === null) {
      s.telemetry?.end(span, error instanceof CboxTrap ? 'trap' : 'error', error, duration);
      throw error;
    }
    this.fallbacks++;
    s.telemetry?.end(span, 'fallback', error, duration);
    return s.fallback(...args);
  }

  /** @internal (the supervised function): the circuit is open; the fallback answers, or the caller learns at once. */
  refuse(args: unknown[]): unknown {
    const s = this.s;
    const breaker = s.breaker!;
    if (s.fallback !== null) {
      this.fallbacks++;
      s.telemetry?.end(s.telemetry.start(s.generation()), 'fallback', undefined, Number.NaN);
      return s.fallback(...args);
    }
    this.refused++;
    const error = new CircuitOpenError(s.library, s.fn, breaker.retryInMs(), breaker.reason);
    s.telemetry?.end(s.telemetry.start(s.generation()), 'circuit-open', error, Number.NaN);
    throw error;
  }

  stats(): FunctionStats {
    const { breaker, latency } = this.s;
    return {
      calls: this.calls,
      failures: this.failures,
      fallbacks: this.fallbacks,
      refused: this.refused,
      ...(breaker ? { breaker: { state: breaker.state, reason: breaker.reason, opened: breaker.opened, retryInMs: breaker.retryInMs() } } : {}),
      ...(latency ? { latency: latency.summary() } : {}),
    };
  }
}
