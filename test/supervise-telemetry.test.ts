// OpenTelemetry through @opentelemetry/api with the SDK's in-memory exporters registered: a span
// per call with cbox's attributes, and the cbox.* metrics, for good calls, traps, fallbacks and
// refusals on the real zoo module.
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CboxTrap, CircuitOpenError, load, type Library } from 'cbox';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { bindingOf } from './helpers.js';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });
let zoo: Library<ZooExports>;

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(meterProvider);
  zoo = await load(await bindingOf<ZooExports>('zoo'), {
    logger: null,
    telemetry: true,
    breaker: { consecutiveTraps: 1, coolDownMs: 60_000, functions: { crash_trap: { consecutiveTraps: 2 } } },
    fallback: { crash_div_zero: () => -1 },
  });
});
afterAll(async () => {
  zoo.close();
  await meterProvider.shutdown();
});
beforeEach(() => spans.reset());

async function collected(): Promise<Map<string, MetricData>> {
  metricExporter.reset();
  await reader.forceFlush();
  const found = new Map<string, MetricData>();
  for (const resource of metricExporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) found.set(metric.descriptor.name, metric);
  }
  return found;
}

function points(metric: MetricData | undefined): { attributes: Record<string, unknown>; value: unknown }[] {
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: { ...point.attributes }, value: point.value }));
}

describe('tracing', () => {
  it('a span per call: export, engine, generation, outcome', () => {
    const generation = zoo.generation;
    expect(zoo.add(1, 2)).toBe(3);
    expect(zoo.greet('otel')).toBe('hello, otel');
    const finished = spans.getFinishedSpans();
    expect(finished.map((span) => span.name)).toEqual(['zoo.add', 'zoo.greet']);
    expect(finished[0]!.attributes).toEqual({
      'cbox.library': 'zoo', 'cbox.export': 'add', 'cbox.engine': 'wasm', 'cbox.generation': generation, 'cbox.outcome': 'ok',
    });
    expect(finished[0]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a trap: outcome, kind, error status and the exception; then circuit-open and fallback', () => {
    const generation = zoo.generation;
    expect(() => zoo.crash_abort()).toThrow(CboxTrap);
    expect(() => zoo.crash_abort()).toThrow(CircuitOpenError);
    expect(zoo.crash_div_zero(1, 0)).toBe(-1);
    const [trapped, refused, fellBack] = spans.getFinishedSpans();
    expect(trapped!.attributes).toMatchObject({ 'cbox.export': 'crash_abort', 'cbox.generation': generation, 'cbox.outcome': 'trap', 'cbox.trap.kind': 'abort' });
    expect(trapped!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/crash_abort: C code trapped \(abort\)/) });
    expect(trapped!.events.map((event) => event.name)).toEqual(['exception']);
    expect(trapped!.events[0]!.attributes).toMatchObject({ 'exception.type': 'trap-abort' });
    expect(refused!.attributes).toMatchObject({ 'cbox.export': 'crash_abort', 'cbox.outcome': 'circuit-open' });
    expect(refused!.status.code).toBe(SpanStatusCode.ERROR);
    expect(fellBack!.attributes).toMatchObject({ 'cbox.export': 'crash_div_zero', 'cbox.outcome': 'fallback', 'cbox.trap.kind': 'divide-by-zero' });
    expect(fellBack!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('creates no span for a library loaded without telemetry', async () => {
    const plain = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
    plain.add(1, 1);
    plain.close();
    expect(spans.getFinishedSpans()).toEqual([]);
  });
});

describe('metrics', () => {
  it('cbox.calls by outcome, cbox.traps by kind, cbox.recycles, cbox.call.duration, cbox.memory.bytes', async () => {
    const before = points((await collected()).get('cbox.calls'));
    const okBefore = before.find((p) => p.attributes['cbox.export'] === 'is_even' && p.attributes['cbox.outcome'] === 'ok')?.value ?? 0;
    for (let i = 0; i < 10; i++) zoo.is_even(i);
    expect(() => zoo.crash_trap()).toThrow(CboxTrap);
    const found = await collected();
    const calls = points(found.get('cbox.calls'));
    expect(calls).toContainEqual({ attributes: { 'cbox.library': 'zoo', 'cbox.export': 'is_even', 'cbox.outcome': 'ok' }, value: (okBefore as number) + 10 });
    expect(calls).toContainEqual({ attributes: { 'cbox.library': 'zoo', 'cbox.export': 'crash_trap', 'cbox.outcome': 'trap' }, value: 1 });
    expect(points(found.get('cbox.traps'))).toContainEqual({ attributes: { 'cbox.library': 'zoo', 'cbox.export': 'crash_trap', 'cbox.trap.kind': 'unreachable' }, value: 1 });
    const recycles = points(found.get('cbox.recycles'));
    expect(recycles).toEqual([{ attributes: { 'cbox.library': 'zoo' }, value: zoo.stats().recycles }]);
    const duration = found.get('cbox.call.duration')!;
    expect(duration.descriptor.unit).toBe('s');
    const isEven = points(duration).find((p) => p.attributes['cbox.export'] === 'is_even')!.value as { count: number; sum: number };
    expect(isEven.count).toBeGreaterThanOrEqual(10);
    expect(isEven.sum).toBeGreaterThan(0);
    expect(points(found.get('cbox.memory.bytes'))).toEqual([{ attributes: { 'cbox.library': 'zoo' }, value: zoo.stats().memory.size }]);
  });
});
