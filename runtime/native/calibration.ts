// engine 'auto': which exports are worth leaving the sandbox for. Only exports the manifest lists
// in both "native" and "trusted" are candidates; each is timed on both engines with the same
// arguments, in interleaved rounds so drift hits both alike, and goes native only when it is
// clearly faster. Everything else stays in the wasm sandbox.
import type { AbiStamp, ExportSignature, ValueType } from '../abi.js';
import type { Binding } from '../binding.js';
import type { Library } from '../library.js';
import { loadAddon } from './addon.js';
import { createNativeLibrary } from './native-library.js';

export type Route = 'wasm' | 'native';

export interface RouteDecision {
  readonly route: Route;
  /** Why, in words: "native 3.10x faster", "not trusted (not in \"trusted\")", ... */
  readonly reason: string;
  /** Median time per call on each engine, when the export was measured. */
  readonly wasmNs?: number;
  readonly nativeNs?: number;
}

export interface Calibration {
  readonly library: string;
  readonly abiHash: string;
  /** One decision per export of the library. */
  readonly decisions: Readonly<Record<string, RouteDecision>>;
}

export interface CalibrationOptions {
  /** Arguments to measure each export with. Without them, arguments are derived from the signature
   * where that means something (numbers, bigints, booleans, 16 KiB of text as bytes, 1 KiB as a
   * string); an export whose calls fail with them (sizes that must match, handles) stays in wasm. */
  readonly args?: Readonly<Record<string, readonly unknown[]>>;
  /** Go native only when at least this many times faster (default 1.1: isolation is worth a little). */
  readonly minSpeedup?: number;
  /** Milliseconds spent timing each candidate (default 20). */
  readonly budgetMs?: number;
}

/** Loads a sandboxed library of the binding to measure against (spare off, output dropped). */
export type WasmLoader = (binding: Binding<unknown>) => Promise<Library<unknown>>;

const ROUNDS = 5;
const MAX_BATCH = 1 << 20;
const SAMPLE_TEXT = 'cbox calibration: the quick brown fox jumps over the lazy dog. ';

function sampleText(bytes: number): string {
  return SAMPLE_TEXT.repeat(Math.ceil(bytes / SAMPLE_TEXT.length)).slice(0, bytes);
}

function deriveArgument(type: ValueType, index: number): unknown {
  switch (type) {
    case 'i32': case 'u32': return index + 1;
    case 'i64': case 'u64': return BigInt(index + 1);
    case 'f32': case 'f64': return index + 1.5;
    case 'bool': return true;
    case 'bytes': return new TextEncoder().encode(sampleText(16 * 1024));
    case 'string': return sampleText(1024);
    case 'handle': return undefined;
  }
}

function nsPerCall(call: () => unknown, count: number): number {
  const start = performance.now();
  for (let i = 0; i < count; i++) call();
  return ((performance.now() - start) * 1e6) / count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median ns per call of each, batches sized so that all rounds fit the budget. */
function measurePair(wasmCall: () => unknown, nativeCall: () => unknown, budgetMs: number): { wasmNs: number; nativeNs: number } {
  const batchBudgetNs = (budgetMs * 1e6) / (ROUNDS * 2);
  let count = 1;
  // Doubling the batch also warms both paths up before the rounds that count.
  while (count < MAX_BATCH && (nsPerCall(wasmCall, count) + nsPerCall(nativeCall, count)) * count < batchBudgetNs) count *= 2;
  const wasm: number[] = [];
  const native: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    wasm.push(nsPerCall(wasmCall, count));
    native.push(nsPerCall(nativeCall, count));
  }
  return { wasmNs: median(wasm), nativeNs: median(native) };
}

/** Why an export may not leave the sandbox, or null when it is a candidate. */
export function stayReason(stamp: AbiStamp, fn: string, signature: ExportSignature): string | null {
  if (!stamp.native.includes(fn)) return 'not built natively (not in "native")';
  if (!stamp.trusted.includes(fn)) return 'not trusted (not in "trusted"): stays in the sandbox';
  if (signature.params.includes('handle') || signature.result === 'handle') return 'takes or returns a handle: its C objects must live in one engine';
  return null;
}

export async function runCalibration(binding: Binding<unknown>, loadWasm: WasmLoader, options: CalibrationOptions = {}): Promise<Calibration> {
  const { stamp } = binding;
  const minSpeedup = options.minSpeedup ?? 1.1;
  const budgetMs = options.budgetMs ?? 20;
  const decisions: Record<string, RouteDecision> = {};
  const candidates = Object.entries(stamp.exports).filter(([fn, signature]) => {
    const reason = stayReason(stamp, fn, signature);
    if (reason) decisions[fn] = { route: 'wasm', reason };
    return reason === null;
  });
  if (candidates.length > 0) {
    const wasm = await loadWasm(binding) as Library<Record<string, (...args: unknown[]) => unknown>>;
    const native = createNativeLibrary<Record<string, (...args: unknown[]) => unknown>>(stamp, loadAddon(binding));
    try {
      for (const [fn, signature] of candidates) {
        const args = options.args?.[fn] ?? signature.params.map(deriveArgument);
        const wasmCall = (): unknown => wasm[fn]!(...args);
        const nativeCall = (): unknown => native[fn]!(...args);
        try {
          wasmCall();
          nativeCall();
        } catch (error) {
          decisions[fn] = { route: 'wasm', reason: `no measurement: a call with the ${options.args?.[fn] ? 'given' : 'derived'} arguments failed (${(error as Error).message})` };
          continue;
        }
        const { wasmNs, nativeNs } = measurePair(wasmCall, nativeCall, budgetMs);
        const speedup = wasmNs / nativeNs;
        decisions[fn] = speedup >= minSpeedup
          ? { route: 'native', reason: `native ${speedup.toFixed(2)}x faster`, wasmNs, nativeNs }
          : { route: 'wasm', reason: `native ${speedup.toFixed(2)}x as fast, below the ${minSpeedup}x it takes to leave the sandbox`, wasmNs, nativeNs };
      }
    } finally {
      wasm.close();
      native.close();
    }
  }
  return { library: stamp.name, abiHash: stamp.hash, decisions };
}
