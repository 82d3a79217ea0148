// `npm run bench:ffi`: cbox against the FFI peers a Node user would reach for, in one run, on the
// three shapes of issue 13 (an array call, a struct in/out call, a callback called per item), each
// the same C (c-src/ffi-bench) built four ways: the cbox wasm module, cbox's N-API addon (the
// manifest's "native" list), a shared library called through koffi, and a hand-written N-API addon
// for the shapes cbox's generated N-API glue cannot express. Every path's answer is checked
// against one computed in JavaScript before anything is timed. Arrays and callbacks run at two
// sizes, so both the cost of a call and the cost of an item show. Writes bench/results/ffi-peers.{json,md}.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { load } from 'cbox';
import koffi from 'koffi';
import type { FfiBenchExports, Rect } from '../wasm-modules/ffi-bench.js';
import { timeInterleaved, type Contender, type Timing } from './interleaved.js';
import { describeMachine } from './machine.js';
import { buildNativePeers } from './native-peers.js';
import { bindingOf, resultsDir } from './paths.js';
import { formatDuration, formatRatio } from './report/format.js';
import { seededRandom } from './seeded-random.js';

// Steady state, whatever the load: V8 compiles optimised code on a background thread, and on a busy
// machine that thread can lag the whole of a case, which then times one path's unoptimised code
// (struct calls on a cbox build of the day ran 0.65-5 us a call from run to run that way). Optimising on the main
// thread when a function turns hot, and wasm with TurboFan up front, makes every path reach its
// optimised code within the warm-up. Both are start-up flags (setFlagsFromString comes too late for
// the first), so the scripts pass them and the bench refuses to run without them.
const V8_FLAGS = ['--no-concurrent-recompilation', '--no-liftoff'];
const missingFlags = V8_FLAGS.filter((flag) => !process.execArgv.includes(flag));
if (missingFlags.length > 0) throw new Error(`bench:ffi: run node with ${missingFlags.join(' ')} (npm run bench:ffi does)`);

const SIZES = [16, 4096] as const;
const TIMING = { rounds: 101, warmupRounds: 30, sampleNs: 200_000 };

const PATHS = {
  wasm: 'cbox wasm',
  cboxNative: 'cbox native (N-API)',
  handNapi: 'N-API, hand-written',
  koffi: 'koffi',
} as const;
type PathName = (typeof PATHS)[keyof typeof PATHS];

/** The C answers computed in JavaScript (int32 arithmetic wraps like the C's uint32 sums). */
const expectedSum = (values: Int32Array): number => values.reduce((sum, value) => (sum + value) | 0, 0);
const expectedScale = (rect: Rect, k: number): Rect => ({ x: rect.x * k, y: rect.y * k, w: rect.w * k, h: rect.h * k, id: rect.id, flags: (rect.flags | 1) >>> 0 });
const perItem = (value: number): number => (value ^ 0x5a5a) | 0;

interface FfiCase {
  readonly shape: 'array' | 'struct' | 'callback';
  readonly name: string;
  readonly items: number;
  readonly expected: unknown;
  /** Each answers what `expected` holds, so the paths can be compared before they are timed. */
  readonly contenders: readonly (Contender & { readonly path: PathName })[];
}

interface CaseResult {
  readonly shape: FfiCase['shape'];
  readonly case: string;
  readonly items: number;
  readonly timings: readonly Timing[];
  /** Which N-API addon the N-API column is: cbox's own where its glue expresses the shape. */
  readonly napiPath: PathName;
  readonly wasmVsNapi: number;
  readonly wasmVsKoffi: number;
  readonly napiVsKoffi: number;
}

const random = seededRandom(13);
const arrays = new Map(SIZES.map((n) => [n, Int32Array.from({ length: n }, () => (random() * 2 ** 32) | 0)]));
const rect: Rect = { x: 1.5, y: -2.25, w: 10, h: 0.125, id: -7, flags: 0x8000_0000 };
const SCALE = 2.5;

const peers = buildNativePeers();
const wasm = await load(await bindingOf<FfiBenchExports>('ffi-bench'), { logger: null });
const cboxNative = await load(await bindingOf<FfiBenchExports>('ffi-bench'), { engine: 'native', logger: null });
const handNapi = createRequire(import.meta.url)(peers.napiAddon) as {
  rect_scale(rect: Rect, k: number): Rect;
  each_item(values: Int32Array, callback: (value: number) => number): number;
};
const library = koffi.load(peers.sharedLibrary);
koffi.struct('rect', { x: 'double', y: 'double', w: 'double', h: 'double', id: 'int32_t', flags: 'uint32_t' });
koffi.proto('int32_t item_callback(int32_t value, void *userdata)');
const koffiSum = library.func('int32_t sum_i32(const int32_t *values, size_t count)');
const koffiScale = library.func('void rect_scale(const rect *in, double k, _Out_ rect *out)');
const koffiEach = library.func('int32_t each_item(const int32_t *values, size_t count, item_callback *cb, void *userdata)');

const cases: FfiCase[] = [
  ...SIZES.map((n): FfiCase => {
    const values = arrays.get(n)!;
    return {
      shape: 'array', name: `sum_i32(Int32Array), n=${n}`, items: n, expected: expectedSum(values), contenders: [
        { path: PATHS.wasm, run: () => wasm.sum_i32(values) },
        { path: PATHS.cboxNative, run: () => cboxNative.sum_i32(values) },
        { path: PATHS.koffi, run: () => koffiSum(values, values.length) },
      ],
    };
  }),
  {
    shape: 'struct', name: 'rect_scale(struct in, f64, struct out), 6 fields', items: 1, expected: expectedScale(rect, SCALE), contenders: [
      { path: PATHS.wasm, run: () => wasm.rect_scale(rect, SCALE) },
      { path: PATHS.handNapi, run: () => handNapi.rect_scale(rect, SCALE) },
      { path: PATHS.koffi, run: () => { const out = {}; koffiScale(rect, SCALE, out); return out; } },
    ],
  },
  ...SIZES.map((n): FfiCase => {
    const values = arrays.get(n)!;
    return {
      shape: 'callback', name: `each_item(Int32Array, callback per item), n=${n}`, items: n,
      expected: values.reduce((sum, value) => (sum + perItem(value)) | 0, 0), contenders: [
        { path: PATHS.wasm, run: () => wasm.each_item(values, perItem) },
        { path: PATHS.handNapi, run: () => handNapi.each_item(values, perItem) },
        { path: PATHS.koffi, run: () => koffiEach(values, values.length, perItem, null) },
      ],
    };
  }),
];

/** Every case times cbox wasm, one N-API addon and koffi. */
function timingOf(timings: readonly Timing[], name: PathName): Timing {
  const timing = timings.find((t) => t.path === name);
  if (timing === undefined) throw new Error(`bench:ffi: a case has no ${name} path`);
  return timing;
}

function measure(ffiCase: FfiCase): CaseResult {
  for (const contender of ffiCase.contenders) assert.deepStrictEqual(contender.run(), ffiCase.expected, `${ffiCase.name}: ${contender.path} answered wrongly`);
  process.stderr.write(`  ffi: ${ffiCase.name}\n`);
  const timings = timeInterleaved(ffiCase.contenders, TIMING);
  const napiPath = timings.some((timing) => timing.path === PATHS.cboxNative) ? PATHS.cboxNative : PATHS.handNapi;
  const [cbox, napi, peer] = [PATHS.wasm, napiPath, PATHS.koffi].map((name) => timingOf(timings, name).medianNs) as [number, number, number];
  return {
    shape: ffiCase.shape, case: ffiCase.name, items: ffiCase.items, timings, napiPath,
    wasmVsNapi: cbox / napi, wasmVsKoffi: cbox / peer, napiVsKoffi: napi / peer,
  };
}

const machine = describeMachine();
let results: CaseResult[];
try {
  results = cases.map(measure);
} finally {
  wasm.close();
  cboxNative.close();
}

/** Per-item cost: the slope between the two sizes of one shape, per path. */
function perItemNs(shape: FfiCase['shape'], path: PathName): number {
  const [small, large] = SIZES.map((n) => timingOf(results.find((r) => r.shape === shape && r.items === n)!.timings, path).medianNs) as [number, number];
  return (large - small) / (SIZES[1] - SIZES[0]);
}

const markdown = [
  '# FFI peers: cbox against N-API and koffi',
  '',
  `One run (\`npm run bench:ffi\`): ${machine.cpu} (${machine.cores} cores, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} at the end), Node ${machine.node}, ${machine.clang}, koffi ${koffi.version}, ${machine.date}.`,
  `The same C (c-src/ffi-bench, -O2) on every path. Per call, median of ${TIMING.rounds} interleaved rounds (each a batch of calls lasting ~${TIMING.sampleNs / 1000} µs), node ${V8_FLAGS.join(' ')}. Below 1x, cbox is faster.`,
  '',
  '| call | cbox wasm | N-API | koffi | cbox wasm / N-API | cbox wasm / koffi | N-API / koffi |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...results.map((r) => {
    const cell = (name: PathName): string => formatDuration(timingOf(r.timings, name).medianNs);
    const napiNote = r.napiPath === PATHS.cboxNative ? ' (cbox native)' : ' (hand-written)';
    return `| ${r.case} | ${cell(PATHS.wasm)} | ${cell(r.napiPath)}${napiNote} | ${cell(PATHS.koffi)} | ${formatRatio(r.wasmVsNapi)} | ${formatRatio(r.wasmVsKoffi)} | ${formatRatio(r.napiVsKoffi)} |`;
  }),
  '',
  `| per item (slope from n=${SIZES[0]} to n=${SIZES[1]}) | cbox wasm | N-API | koffi |`,
  '|---|---:|---:|---:|',
  ...(['array', 'callback'] as const).map((shape) => {
    const napiPath = results.find((r) => r.shape === shape)!.napiPath;
    const slope = (name: PathName): string => formatDuration(perItemNs(shape, name));
    return `| ${shape} | ${slope(PATHS.wasm)} | ${slope(napiPath)} | ${slope(PATHS.koffi)} |`;
  }),
  '',
].join('\n');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'ffi-peers.json'), `${JSON.stringify({ machine, koffi: koffi.version, v8Flags: V8_FLAGS, timing: TIMING, results }, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'ffi-peers.md'), markdown);
console.log(markdown);
