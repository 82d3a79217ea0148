// The host side of a metered module (`cbox build --metered`, see ./abi.ts): the module charges
// its work against the exported fuel global and calls cbox.meter when the balance is spent. The
// meter then checks the call's deadline and fuel budget and either grants another slice or
// throws MeterStop, which unwinds the C code on the main thread and becomes a CboxTrap.
import { FUEL_GLOBAL_EXPORT, METER_IMPORT_MODULE, METER_IMPORT_NAME } from './abi.js';

/** Work units granted per slice when no budget is nearer: ~1 ms of C on the machines measured
 * (bench/), so a deadline is noticed within about a slice and the host call costs nothing. */
const SLICE = 1 << 20;

export type StopKind = 'timeout' | 'fuel-exhausted';

export interface CallLimits {
  /** The call ends with CboxTrap kind 'timeout' once it has run this long (ms). */
  readonly timeoutMs?: number;
  /** The call ends with CboxTrap kind 'fuel-exhausted' once it has done more work units than this. */
  readonly fuel?: number;
}

/** Thrown by cbox.meter inside the wasm call; the sandbox classifies it as a trap. */
export class MeterStop extends Error {
  constructor(readonly kind: StopKind, readonly fuelUsed: number, message: string) {
    super(message);
    this.name = 'MeterStop';
  }
}

/** What a sandbox shares with its instances: the limits in force and the fuel account. */
export class MeterPolicy {
  /** Limits of the current call: the load options' unless `lib.with(...)` put others in force. */
  limits: CallLimits;
  /** Units the last finished call used; the total over the sandbox's life. */
  lastCallFuel = 0;
  totalFuel = 0;

  constructor(readonly defaults: CallLimits, readonly startTimeoutMs: number) {
    this.limits = defaults;
  }

  /** No deadlines, no budget: the module's charges are only counted. */
  static unlimited(): MeterPolicy {
    return new MeterPolicy({}, Infinity);
  }

  /** Runs `call` with `limits` in force (lib.with(...)). */
  within<R>(limits: CallLimits, call: () => R): R {
    const saved = this.limits;
    this.limits = limits;
    try {
      return call();
    } finally {
      this.limits = saved;
    }
  }
}

/** One instance's meter: its import, and begin/end around each call into it. */
export class InstanceMeter {
  readonly imports: Record<string, Record<string, () => void>>;
  private fuel: WebAssembly.Global | null = null;
  private granted = 0;
  private used = 0;
  private budget = Infinity;
  private deadline = Infinity;
  private timeoutMs = 0;
  /** A wrapped call is running (C's frames are below any call a callback makes). */
  private active = false;

  constructor(private readonly policy: MeterPolicy) {
    this.imports = { [METER_IMPORT_MODULE]: { [METER_IMPORT_NAME]: () => this.spent() } };
  }

  /** After instantiation: the module's fuel global; false if it is not a mutable i32 global. */
  bind(exports: WebAssembly.Exports): boolean {
    const fuel = exports[FUEL_GLOBAL_EXPORT];
    if (!(fuel instanceof WebAssembly.Global)) return false;
    try {
      fuel.value = 0;
    } catch {
      return false;
    }
    this.fuel = fuel;
    return typeof fuel.value === 'number';
  }

  begin(limits: CallLimits = this.policy.limits): void {
    this.used = 0;
    this.budget = limits.fuel ?? Infinity;
    this.timeoutMs = limits.timeoutMs ?? 0;
    this.deadline = limits.timeoutMs === undefined ? Infinity : performance.now() + limits.timeoutMs;
    this.grant();
  }

  /** Units the call used (also after a trap), recorded in the policy's account. */
  end(): number {
    const used = this.used + this.granted - this.balance();
    this.granted = 0;
    this.used = 0;
    this.policy.lastCallFuel = used;
    this.policy.totalFuel += used;
    return used;
  }

  /** Calls `fn` under the policy's current limits; a call a callback makes runs under its caller's. */
  wrap<F extends (...args: any[]) => unknown>(fn: F): F {
    return ((...args: unknown[]) => {
      if (this.active) return fn(...args);
      this.active = true;
      this.begin();
      try {
        return fn(...args);
      } finally {
        this.active = false;
        this.end();
      }
    }) as F;
  }

  private balance(): number {
    return this.fuel === null ? 0 : (this.fuel.value as number);
  }

  private grant(): void {
    this.granted = Math.min(SLICE, this.budget - this.used);
    if (this.fuel !== null) this.fuel.value = this.granted;
  }

  private spent(): void {
    this.used += this.granted - this.balance();
    this.granted = 0;
    // Unbound only while a start section runs (before bind): the deadline still holds.
    if (this.fuel !== null) this.fuel.value = 0;
    if (this.used > this.budget) {
      throw new MeterStop('fuel-exhausted', this.used, `the call needed more than its fuel budget of ${this.budget} units`);
    }
    if (performance.now() >= this.deadline) {
      throw new MeterStop('timeout', this.used, `the call ran past its ${this.timeoutMs} ms deadline (stopped by metering, ${this.used} units used)`);
    }
    this.grant();
  }
}
