// Supervision of one loaded library: builds, from the load options, the supervised function for
// every export (breaker, fallback, timing, telemetry, proactive recycling). When no option asks
// for any of it, there is nothing to build and the library keeps its raw invokers.
import { CboxLoadError } from '../errors.js';
import type { Sandbox } from '../sandbox.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { LatencyRecorder } from './latency-recorder.js';
import {
  isTrap, resolveBreaker, resolveFallback, resolveRecycle, resolveStats, resolveTelemetry, type SupervisionOptions,
} from './options.js';
import { recycleCheck } from './recycle-policy.js';
import type { FunctionStats } from '../library-api.js';
import { SupervisedExport } from './supervised-export.js';
import { LibraryTelemetry } from './telemetry.js';

type AnyFunction = (...args: unknown[]) => unknown;

export interface Supervision {
  /** The supervised function for every export, by name. */
  readonly exports: Readonly<Record<string, AnyFunction>>;
  stats(): Record<string, FunctionStats>;
  close(): void;
}

export function wantsSupervision(options: SupervisionOptions<any>): boolean {
  return options.breaker !== undefined || options.fallback !== undefined || resolveRecycle(options.recycle) !== null
    || options.stats?.latency === true || (options.telemetry !== undefined && options.telemetry !== false);
}

function checkNames(names: readonly string[], where: string, exports: Readonly<Record<string, unknown>>): void {
  const unknown = names.filter((name) => !(name in exports));
  if (unknown.length > 0) throw new CboxLoadError('bad-option', `${where} names ${unknown.join(', ')}, which the library does not export`);
}

/**
 * Wraps a sandbox's invokers as the options ask; null when they ask for nothing.
 * `engineOf` names the engine an export runs on (for traces).
 */
export function supervise(sandbox: Sandbox, invokers: Readonly<Record<string, AnyFunction>>, options: SupervisionOptions<any>, engineOf: (fn: string) => string): Supervision | null {
  if (!wantsSupervision(options)) return null;
  checkNames(Object.keys(options.breaker?.functions ?? {}), 'breaker.functions', invokers);
  checkNames(Object.keys(options.fallback ?? {}).filter((name) => name !== '*'), 'fallback', invokers);
  const library = sandbox.name;
  const recycle = resolveRecycle(options.recycle);
  const stats = resolveStats(options.stats);
  const resolvedTelemetry = resolveTelemetry(options.telemetry);
  const telemetry = resolvedTelemetry.tracing || resolvedTelemetry.metrics ? new LibraryTelemetry(library, resolvedTelemetry, () => sandbox.current.memoryBytes) : null;
  const reporting = telemetry?.active === true;
  const rules = new Map(Object.keys(invokers).map((fn) => [fn, resolveBreaker(options.breaker, fn)]));
  const fallbacks = new Map(Object.keys(invokers).map((fn) => [fn, resolveFallback(options.fallback, fn)]));
  const anyBreaker = [...rules.values()].some((rule) => rule !== null);
  const anyFallback = [...fallbacks.values()].some((fallback) => fallback !== null);
  if (!anyBreaker && !anyFallback && !recycle && !stats.latency && !reporting) return null; // e.g. telemetry without an SDK
  const countRecycle = (): void => telemetry!.recycled();
  if (telemetry?.instruments) sandbox.events.on('recycle', countRecycle);
  const afterCall = recycle ? recycleCheck(sandbox, recycle) : null;
  const generation = (): number => sandbox.generation;

  const supervised = new Map<string, SupervisedExport>();
  const exports: Record<string, AnyFunction> = {};
  for (const [fn, invoke] of Object.entries(invokers)) {
    const rule = rules.get(fn)!;
    const breaker = rule
      ? new CircuitBreaker(rule, (from, to, reason) => sandbox.events.emit('breaker', { library, function: fn, from, to, reason }))
      : null;
    const exportTelemetry = reporting ? telemetry!.forExport(fn, engineOf(fn)) : null;
    const one = new SupervisedExport({
      library,
      fn,
      invoke,
      generation,
      breaker,
      isFailure: rule?.isFailure ?? isTrap,
      fallback: fallbacks.get(fn)!,
      latency: stats.latency ? new LatencyRecorder() : null,
      sampleEvery: stats.sampleEvery,
      timeEveryCall: rule?.latency != null || exportTelemetry?.timesCalls === true,
      telemetry: exportTelemetry,
      afterCall,
    });
    supervised.set(fn, one);
    exports[fn] = one.bind();
  }
  return {
    exports,
    stats: () => Object.fromEntries([...supervised].map(([fn, one]) => [fn, one.stats()])),
    close: () => {
      sandbox.events.off('recycle', countRecycle);
      telemetry?.close();
    },
  };
}
