// engine 'auto': which exports are worth leaving the sandbox for. Only exports the manifest lists
// in both "native" and "trusted" are candidates; each is timed on both engines with the same
// arguments, in interleaved rounds so drift hits both alike, and goes native only when it is
// clearly faster: the median speedup must pass the bar by a margin and four rounds in five must
// pass the bar itself, so an export near the bar stays in the sandbox every time instead of
// flipping between calibrations. Everything else stays in the wasm sandbox.
import type { AbiStamp, ExportSignature, ParamType } from '../abi.js';
import type { Binding } from '../binding.js';
import type { Library } from '../library-api.js';
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
  /** Median of the rounds' wasm/native time ratios, when measured (above 1: native is faster). */
  readonly speedup?: number;
}

export interface Calibration {
  readonly library: string;
  readonly abiHash: string;
  /** One decision per export of the library. */
  readonly decisions: Readonly<Record<string, RouteDecision>>;
}

export interface CalibrationOptions {
  /** Arguments to measure each export with. Without them, arguments are derived from the signature:
   * first numbers 1, 2, 3... with 16 KiB of text as bytes and 1 KiB as a string; if the C code
   * refuses those, every integer 64 with bytes of 64*64*4 (a square image, a 64x64 float matrix);
   * then 64, 64 and 2 for the rest. An export whose calls fail with all of them stays in wasm. */
  readonly args?: Readonly<Record<string, readonly unknown[]>>;
  /** Go native only when at least this many times faster (default 1.1: isolation is worth a little). */
  readonly minSpeedup?: number;
  /** How far past minSpeedup the median must be to leave the sandbox (default 0.15: 15% more). */
  readonly margin?: number;
  /** Milliseconds spent timing each candidate (default 30). */
  readonly budgetMs?: number;
}

/** Loads a sandboxed library of the binding to measure against (spare off, output dropped). */
export type WasmLoader = (binding: Binding<unknown>) => Promise<Library<unknown>>;

const ROUNDS = 15;
const MAX_BATCH = 1 << 20;
const SAMPLE_TEXT = 'cbox calibration: the quick brown fox jumps over the lazy dog. ';
/** The side of the square the second and third derivations use: 64*64*4 bytes = 16 KiB. */
const SQUARE = 64;

function sampleText(bytes: number): string {
  return SAMPLE_TEXT.repeat(Math.ceil(bytes / SAMPLE_TEXT.length)).slice(0, bytes);
}

/** An integer parameter's value in each derivation, by its position among the integer parameters. */
const DERIVATIONS: readonly { readonly name: string; readonly integer: (index: number, nth: number) => number; readonly bytes: number }[] = [
  { name: 'numbers 1, 2, 3... and 16 KiB', integer: (index) => index + 1, bytes: 16 * 1024 },
  { name: `every integer ${SQUARE}, bytes ${SQUARE}*${SQUARE}*4`, integer: () => SQUARE, bytes: SQUARE * SQUARE * 4 },
  { name: `integers ${SQUARE}, ${SQUARE}, then 2, bytes ${SQUARE}*${SQUARE}*4`, integer: (_, nth) => nth < 2 ? SQUARE : 2, bytes: SQUARE * SQUARE * 4 },
];

function deriveArguments(params: readonly ParamType[], derivation: (typeof DERIVATIONS)[number]): unknown[] {
  let integers = 0;
  return params.map((type, index) => {
    switch (type) {
      case 'i32': case 'u32': return derivation.integer(index, integers++);
      case 'i64': case 'u64': return BigInt(derivation.integer(index, integers++));
      case 'f32': case 'f64': return index + 1.5;
      case 'bool': return true;
      case 'bytes': return new TextEncoder().encode(sampleText(derivation.bytes));
      case 'string': case 'text': return sampleText(1024);
      case 'handle': return undefined;
    }
  });
}

function nsPerCall(call: () => unknown, count: number): number {
  const start = performance.now();
  for (let i = 0; i < count; i++) call();
  return ((performance.now() - start) * 1e6) / count;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface PairTiming { readonly wasmNs: number; readonly nativeNs: number; readonly speedup: number; readonly lowSpeedup: number }

/** Medians per call and the rounds' speedups (median and 20th percentile), batches sized so all rounds fit the budget. */
function measurePair(wasmCall: () => unknown, nativeCall: () => unknown, budgetMs: number): PairTiming {
  const batchBudgetNs = (budgetMs * 1e6) / (ROUNDS * 2);
  let count = 1;
  // Doubling the batch also warms both paths up before the rounds that count.
  while (count < MAX_BATCH && (nsPerCall(wasmCall, count) + nsPerCall(nativeCall, count)) * count < batchBudgetNs) count *= 2;
  const wasm: number[] = [];
  const native: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating which engine goes first keeps a warm-cache advantage off either side.
    let wasmNs: number;
    let nativeNs: number;
    if (round % 2 === 0) {
      wasmNs = nsPerCall(wasmCall, count);
      nativeNs = nsPerCall(nativeCall, count);
    } else {
      nativeNs = nsPerCall(nativeCall, count);
      wasmNs = nsPerCall(wasmCall, count);
    }
    wasm.push(wasmNs);
    native.push(nativeNs);
    ratios.push(wasmNs / nativeNs);
  }
  return { wasmNs: quantile(wasm, 0.5), nativeNs: quantile(native, 0.5), speedup: quantile(ratios, 0.5), lowSpeedup: quantile(ratios, 0.2) };
}

/** The decision on one measured export: native only past the bar with the margin, steadily. */
export function decide(timing: PairTiming, minSpeedup: number, margin: number): RouteDecision {
  const { wasmNs, nativeNs, speedup, lowSpeedup } = timing;
  const measured = { wasmNs, nativeNs, speedup };
  const bar = minSpeedup * (1 + margin);
  if (speedup >= bar && lowSpeedup >= minSpeedup) return { route: 'native', reason: `native ${speedup.toFixed(2)}x faster`, ...measured };
  if (speedup >= bar) {
    return { route: 'wasm', reason: `native ${speedup.toFixed(2)}x faster at the median, but under ${minSpeedup}x in more than 1 round in 5: not steady enough to leave the sandbox`, ...measured };
  }
  if (speedup < minSpeedup / (1 + margin)) {
    return { route: 'wasm', reason: `native ${speedup.toFixed(2)}x as fast, below the ${minSpeedup}x it takes to leave the sandbox`, ...measured };
  }
  return { route: 'wasm', reason: `native ${speedup.toFixed(2)}x as fast: too close to the ${minSpeedup}x bar (margin ${margin}) to leave the sandbox`, ...measured };
}

/** Why an export may not leave the sandbox, or null when it is a candidate. */
export function stayReason(stamp: AbiStamp, fn: string, signature: ExportSignature): string | null {
  if (!stamp.native.includes(fn)) return 'not built natively (not in "native")';
  if (!stamp.trusted.includes(fn)) return 'not trusted (not in "trusted"): stays in the sandbox';
  if (signature.params.includes('handle') || signature.result === 'handle') return 'takes or returns a handle: its C objects must live in one engine';
  return null;
}

type AnyFunctions = Record<string, (...args: unknown[]) => unknown>;

/** The first argument list both engines answer without an error, and where it came from. */
function workingArguments(fn: string, params: readonly ParamType[], wasm: AnyFunctions, native: AnyFunctions, given: readonly unknown[] | undefined):
  { args: readonly unknown[]; from: string } | { error: string } {
  const tries = given ? [{ args: given, from: 'the given arguments' }]
    : DERIVATIONS.map((derivation) => ({ args: deriveArguments(params, derivation), from: `derived arguments (${derivation.name})` }));
  const errors: string[] = [];
  for (const attempt of tries) {
    try {
      wasm[fn]!(...attempt.args);
      native[fn]!(...attempt.args);
      return attempt;
    } catch (error) {
      errors.push(`${attempt.from}: ${(error as Error).message}`);
    }
  }
  return { error: errors.join('; ') };
}

export async function runCalibration(binding: Binding<unknown>, loadWasm: WasmLoader, options: CalibrationOptions = {}): Promise<Calibration> {
  const { stamp } = binding;
  const minSpeedup = options.minSpeedup ?? 1.1;
  const margin = options.margin ?? 0.15;
  const budgetMs = options.budgetMs ?? 30;
  const decisions: Record<string, RouteDecision> = {};
  const candidates = Object.entries(stamp.exports).filter(([fn, signature]) => {
    const reason = stayReason(stamp, fn, signature);
    if (reason) decisions[fn] = { route: 'wasm', reason };
    return reason === null;
  });
  if (candidates.length > 0) {
    const wasm = await loadWasm(binding) as Library<AnyFunctions>;
    const native = createNativeLibrary<AnyFunctions>(stamp, loadAddon(binding));
    try {
      for (const [fn, signature] of candidates) {
        const found = workingArguments(fn, signature.params, wasm, native, options.args?.[fn]);
        if ('error' in found) {
          decisions[fn] = { route: 'wasm', reason: `no measurement: every call failed (${found.error})` };
          continue;
        }
        const { args, from } = found;
        const decision = decide(measurePair(() => wasm[fn]!(...args), () => native[fn]!(...args), budgetMs), minSpeedup, margin);
        decisions[fn] = { ...decision, reason: `${decision.reason}, measured with ${from}` };
      }
    } finally {
      wasm.close();
      native.close();
    }
  }
  return { library: stamp.name, abiHash: stamp.hash, decisions };
}
