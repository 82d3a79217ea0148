// OpenTelemetry for a loaded library, through @opentelemetry/api only: a span per call and the
// cbox.* metrics. Opt-in (`telemetry: true`), and checked once at load: when no SDK provider is
// registered the API would answer with no-ops that still cost ~100 ns a call (the span plus the
// clock reads for the duration histogram), so cbox then does nothing at all. Register the SDK's
// providers before calling load().
import {
  createNoopMeter, metrics, ProxyTracerProvider, SpanStatusCode, trace,
  type Attributes, type Counter, type Histogram, type ObservableGauge, type ObservableResult, type Span, type Tracer,
} from '@opentelemetry/api';
import { CboxTrap } from '../errors.js';
import type { ResolvedTelemetry } from './options.js';

export const CALL_OUTCOMES = ['ok', 'trap', 'error', 'circuit-open', 'fallback'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

const SCOPE = 'cbox';

interface Instruments {
  readonly calls: Counter;
  readonly traps: Counter;
  readonly recycles: Counter;
  readonly duration: Histogram;
  readonly memory: ObservableGauge;
}

/** An SDK tracer provider is registered behind the API's global proxy (one from another copy of the API counts too). */
function tracerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  // A proxy with no delegate hands out the API's no-op provider, the same object for every proxy.
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== new ProxyTracerProvider().getDelegate();
}

/** One library's tracer and instruments. */
export class LibraryTelemetry {
  readonly tracer: Tracer | null;
  readonly instruments: Instruments | null;
  private readonly libraryAttributes: Attributes;
  private readonly observeMemory: ((result: ObservableResult) => void) | null = null;

  constructor(readonly library: string, options: ResolvedTelemetry, memoryBytes: () => number) {
    this.libraryAttributes = { 'cbox.library': library };
    this.tracer = options.tracing && tracerRegistered() ? trace.getTracer(SCOPE) : null;
    const meter = metrics.getMeter(SCOPE);
    if (!options.metrics || meter === createNoopMeter()) {
      this.instruments = null;
      return;
    }
    this.instruments = {
      calls: meter.createCounter('cbox.calls', { description: 'Calls into C, by export and outcome' }),
      traps: meter.createCounter('cbox.traps', { description: 'C crashes turned into CboxTrap, by kind' }),
      recycles: meter.createCounter('cbox.recycles', { description: 'Sandbox instances replaced' }),
      duration: meter.createHistogram('cbox.call.duration', { description: 'Duration of calls into C', unit: 's' }),
      memory: meter.createObservableGauge('cbox.memory.bytes', { description: 'Linear memory of the live sandbox instance', unit: 'By' }),
    };
    this.observeMemory = (result) => result.observe(memoryBytes(), this.libraryAttributes);
    this.instruments.memory.addCallback(this.observeMemory);
  }

  /** False when neither a tracer nor a meter provider is registered: nothing to report to. */
  get active(): boolean {
    return this.tracer !== null || this.instruments !== null;
  }

  forExport(fn: string, engine: string): ExportTelemetry {
    return new ExportTelemetry(this, fn, engine);
  }

  recycled(): void {
    this.instruments?.recycles.add(1, this.libraryAttributes);
  }

  close(): void {
    if (this.observeMemory) this.instruments!.memory.removeCallback(this.observeMemory);
  }
}

/** What one export reports per call; attribute sets are made once, not per call. */
export class ExportTelemetry {
  private readonly spanName: string;
  private readonly spanAttributes: Attributes;
  private readonly outcomeAttributes: Record<CallOutcome, Attributes>;
  private readonly trapAttributes = new Map<string, Attributes>();

  constructor(private readonly owner: LibraryTelemetry, private readonly fn: string, engine: string) {
    this.spanName = `${owner.library}.${fn}`;
    this.spanAttributes = { 'cbox.library': owner.library, 'cbox.export': fn, 'cbox.engine': engine };
    this.outcomeAttributes = {} as Record<CallOutcome, Attributes>;
    for (const outcome of CALL_OUTCOMES) this.outcomeAttributes[outcome] = { 'cbox.library': owner.library, 'cbox.export': fn, 'cbox.outcome': outcome };
  }

  /** Whether calls must be timed for the duration histogram. */
  get timesCalls(): boolean {
    return this.owner.instruments !== null;
  }

  start(generation: number): Span | undefined {
    const span = this.owner.tracer?.startSpan(this.spanName, { attributes: this.spanAttributes });
    span?.setAttribute('cbox.generation', generation);
    return span;
  }

  /** Ends the call's span and counts it; `error` is what the call threw, if it did. */
  end(span: Span | undefined, outcome: CallOutcome, error: unknown, durationMs: number): void {
    const trapKind = error instanceof CboxTrap ? error.kind : undefined;
    if (span !== undefined) {
      span.setAttribute('cbox.outcome', outcome);
      if (trapKind !== undefined) span.setAttribute('cbox.trap.kind', trapKind);
      // A metered module's timeout or fuel-exhausted: the work units the call had used.
      if (trapKind !== undefined && (error as CboxTrap).report.fuel !== undefined) span.setAttribute('cbox.fuel', (error as CboxTrap).report.fuel!);
      if (error !== undefined && outcome !== 'fallback') {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      span.end();
    }
    const instruments = this.owner.instruments;
    if (instruments === null) return;
    const attributes = this.outcomeAttributes[outcome];
    instruments.calls.add(1, attributes);
    if (!Number.isNaN(durationMs)) instruments.duration.record(durationMs / 1000, attributes);
    if (trapKind !== undefined) instruments.traps.add(1, this.trapAttributesFor(trapKind));
  }

  private trapAttributesFor(kind: string): Attributes {
    let attributes = this.trapAttributes.get(kind);
    if (!attributes) {
      attributes = { 'cbox.library': this.owner.library, 'cbox.export': this.fn, 'cbox.trap.kind': kind };
      this.trapAttributes.set(kind, attributes);
    }
    return attributes;
  }
}
