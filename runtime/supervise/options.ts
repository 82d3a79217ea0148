// What a user can ask of supervision at load(): breakers, fallbacks, proactive recycling,
// latency statistics and OpenTelemetry. Everything is off unless asked for, so a library loaded
// without these options calls straight into its invokers. Checked once, at load, into the
// resolved shapes the hot path reads.
import { CboxError, CboxLoadError, CboxTrap } from '../errors.js';
import type { Library } from '../library-api.js';
import { parseSize } from '../sizes.js';
import { parseDuration } from './duration.js';

/** A sliding window: a duration (500 = ms, "500ms", "10s", "1m") or the last N calls. */
export type WindowSpec = number | string | { readonly calls: number };

export interface ErrorRateRule {
  /** Failed share of calls (0 < threshold <= 1) at or above which the circuit opens. */
  readonly threshold: number;
  readonly window: WindowSpec;
  /** No verdict before the window holds this many calls (default 20). */
  readonly minCalls?: number;
}

export interface LatencyRule {
  /** The percentile watched, e.g. 99 for p99 (0 < percentile < 100). */
  readonly percentile: number;
  /** The circuit opens when that percentile of call durations in the window exceeds this. */
  readonly maxMs: number;
  readonly window: WindowSpec;
  /** No verdict before the window holds this many calls (default: enough for the percentile to mean something, at least 20). */
  readonly minCalls?: number;
}

export interface BreakerRules {
  /** Open after this many failed calls in a row. */
  readonly consecutiveTraps?: number;
  readonly errorRate?: ErrorRateRule;
  readonly latency?: LatencyRule;
  /** How long the circuit stays open before letting probe calls through (default 5000). */
  readonly coolDownMs?: number;
  /** Probe calls that must succeed in a row, while half-open, to close the circuit (default 1). */
  readonly halfOpenProbes?: number;
  /** Which thrown errors count as failures (default: CboxTrap, i.e. the C code crashed or timed out). */
  readonly isFailure?: (error: unknown) => boolean;
}

export interface BreakerOptions<T = unknown> extends BreakerRules {
  /** Per-function rules, merged key by key over the shared ones; false: no breaker for that function. */
  readonly functions?: { readonly [K in keyof T]?: BreakerRules | false };
}

/**
 * Where a call goes when its circuit is open, or when it failed (a trap): a JS function with the
 * export's signature, or another loaded library with the same export (an older version, a
 * native-engine load of the same binding). '*' names a library for every export without its own.
 */
export type Fallbacks<T = unknown> =
  & { readonly [K in keyof T]?: T[K] | Library<unknown> }
  & { readonly '*'?: Library<unknown> };

export interface RecyclePolicy {
  /** Replace the sandbox instance after this many calls (bounds what a slow leak can take). */
  readonly afterCalls?: number;
  /** Replace it after a call leaves its linear memory larger than this (bytes or "48MiB"). */
  readonly memoryHighWater?: number | string;
}

export interface StatsOptions {
  /** Time calls and keep p50/p90/p99 per function in stats() (costs two clock reads per timed call). */
  readonly latency?: boolean;
  /** Time only every Nth call for the statistics (default 1: every call). */
  readonly sampleEvery?: number;
}

export interface TelemetryOptions {
  /** A span per call through @opentelemetry/api's global tracer provider (default true). */
  readonly tracing?: boolean;
  /** cbox.calls, cbox.traps, cbox.recycles, cbox.call.duration, cbox.memory.bytes (default true). */
  readonly metrics?: boolean;
}

export interface SupervisionOptions<T = unknown> {
  readonly breaker?: BreakerOptions<T>;
  readonly fallback?: Fallbacks<T>;
  readonly recycle?: RecyclePolicy;
  readonly stats?: StatsOptions;
  /** OpenTelemetry (opt-in; register the SDK's providers before load). */
  readonly telemetry?: boolean | TelemetryOptions;
}

/** The option names SupervisionOptions adds to load(). */
export const SUPERVISION_OPTION_NAMES = ['breaker', 'fallback', 'recycle', 'stats', 'telemetry'] as const satisfies readonly (keyof SupervisionOptions)[];

export type ResolvedWindow = { readonly kind: 'time'; readonly ms: number } | { readonly kind: 'count'; readonly calls: number };

export interface ResolvedBreaker {
  readonly consecutiveTraps: number;
  readonly errorRate: { readonly threshold: number; readonly window: ResolvedWindow; readonly minCalls: number } | null;
  readonly latency: { readonly percentile: number; readonly maxMs: number; readonly window: ResolvedWindow; readonly minCalls: number } | null;
  readonly coolDownMs: number;
  readonly halfOpenProbes: number;
  readonly isFailure: (error: unknown) => boolean;
}

export interface ResolvedRecycle {
  readonly afterCalls: number;
  readonly memoryHighWater: number;
}

export interface ResolvedStats {
  readonly latency: boolean;
  readonly sampleEvery: number;
}

export interface ResolvedTelemetry {
  readonly tracing: boolean;
  readonly metrics: boolean;
}

const DEFAULT_COOL_DOWN_MS = 5000;
const DEFAULT_MIN_CALLS = 20;

export const isTrap = (error: unknown): boolean => error instanceof CboxTrap;

function badOption(message: string): CboxLoadError {
  return new CboxLoadError('bad-option', message);
}

/** Runs a parser from sizes.ts / duration.ts, turning its RangeError into a load error. */
function checked<V>(read: () => V): V {
  try {
    return read();
  } catch (error) {
    throw error instanceof CboxError ? error : badOption((error as Error).message);
  }
}

function positiveInteger(value: number | undefined, what: string, fallback?: number): number {
  const chosen = value ?? fallback;
  if (chosen === undefined || !Number.isSafeInteger(chosen) || chosen < 1) throw badOption(`${what} must be a whole number >= 1, got ${value}`);
  return chosen;
}

function resolveWindow(spec: WindowSpec, what: string): ResolvedWindow {
  if (typeof spec === 'object' && spec !== null) return { kind: 'count', calls: positiveInteger(spec.calls, `${what}.calls`) };
  return { kind: 'time', ms: checked(() => parseDuration(spec, what)) };
}

/** The rules one function's breaker runs on, or null when it has none. */
export function resolveBreaker(shared: BreakerOptions<any> | undefined, fn: string): ResolvedBreaker | null {
  if (!shared) return null;
  const own = (shared.functions as Record<string, BreakerRules | false> | undefined)?.[fn];
  if (own === false) return null;
  const rules: BreakerRules = { ...shared, ...own };
  const where = own ? `breaker.functions.${fn}` : 'breaker';
  const { errorRate, latency } = rules;
  if (rules.consecutiveTraps === undefined && !errorRate && !latency) {
    throw badOption(`${where}: give at least one rule (consecutiveTraps, errorRate or latency)`);
  }
  if (errorRate && !(errorRate.threshold > 0 && errorRate.threshold <= 1)) {
    throw badOption(`${where}.errorRate.threshold must be a fraction in (0, 1], got ${errorRate.threshold}`);
  }
  if (latency && !(latency.percentile > 0 && latency.percentile < 100)) {
    throw badOption(`${where}.latency.percentile must be between 0 and 100 (e.g. 99), got ${latency.percentile}`);
  }
  if (latency && !(latency.maxMs >= 0)) throw badOption(`${where}.latency.maxMs must be a number of milliseconds >= 0, got ${latency.maxMs}`);
  const coolDownMs = rules.coolDownMs ?? DEFAULT_COOL_DOWN_MS;
  if (!(coolDownMs >= 0)) throw badOption(`${where}.coolDownMs must be >= 0, got ${coolDownMs}`);
  return {
    consecutiveTraps: rules.consecutiveTraps === undefined ? Number.POSITIVE_INFINITY : positiveInteger(rules.consecutiveTraps, `${where}.consecutiveTraps`),
    errorRate: errorRate ? {
      threshold: errorRate.threshold,
      window: resolveWindow(errorRate.window, `${where}.errorRate.window`),
      minCalls: positiveInteger(errorRate.minCalls, `${where}.errorRate.minCalls`, DEFAULT_MIN_CALLS),
    } : null,
    latency: latency ? {
      percentile: latency.percentile,
      maxMs: latency.maxMs,
      window: resolveWindow(latency.window, `${where}.latency.window`),
      // p99 needs 100 calls before one slow call in a hundred can be told from the percentile.
      minCalls: positiveInteger(latency.minCalls, `${where}.latency.minCalls`, Math.max(DEFAULT_MIN_CALLS, Math.ceil(100 / (100 - latency.percentile)))),
    } : null,
    coolDownMs,
    halfOpenProbes: positiveInteger(rules.halfOpenProbes, `${where}.halfOpenProbes`, 1),
    isFailure: rules.isFailure ?? isTrap,
  };
}

export function resolveRecycle(policy: RecyclePolicy | undefined): ResolvedRecycle | null {
  if (!policy || (policy.afterCalls === undefined && policy.memoryHighWater === undefined)) return null;
  return {
    afterCalls: policy.afterCalls === undefined ? Number.POSITIVE_INFINITY : positiveInteger(policy.afterCalls, 'recycle.afterCalls'),
    memoryHighWater: policy.memoryHighWater === undefined
      ? Number.POSITIVE_INFINITY
      : checked(() => parseSize(policy.memoryHighWater!, 'recycle.memoryHighWater')),
  };
}

export function resolveStats(options: StatsOptions | undefined): ResolvedStats {
  return { latency: options?.latency ?? false, sampleEvery: positiveInteger(options?.sampleEvery, 'stats.sampleEvery', 1) };
}

export function resolveTelemetry(option: boolean | TelemetryOptions | undefined): ResolvedTelemetry {
  if (option === undefined || option === false) return { tracing: false, metrics: false };
  if (option === true) return { tracing: true, metrics: true };
  return { tracing: option.tracing ?? true, metrics: option.metrics ?? true };
}

/** The fallback for one export, as a plain function, or null. '*' covers the exports its library has. */
export function resolveFallback(fallbacks: Fallbacks<any> | undefined, fn: string): ((...args: unknown[]) => unknown) | null {
  const own = (fallbacks as Record<string, unknown> | undefined)?.[fn];
  if (typeof own === 'function') return own as (...args: unknown[]) => unknown;
  const target = (own ?? fallbacks?.['*']) as (Record<string, unknown> & { name?: string }) | undefined;
  if (target === undefined || target === null) return null;
  const method = target[fn];
  if (typeof method === 'function') return method as (...args: unknown[]) => unknown;
  if (own === undefined) return null;
  throw badOption(`fallback for ${fn}: ${target.name ?? 'the library given'} has no export ${fn}`);
}
