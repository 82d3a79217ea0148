// i53 and u53: C's 64-bit integers as JS numbers. wasm hands an i64 result over as a bigint (V8
// converts i64 only to and from bigint), so the result is range-checked here and made a number;
// one that is not a safe integer is refused, never rounded.
import { CboxCallError } from './errors.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function outsideRange(fn: string, type: 'i53' | 'u53', value: bigint): CboxCallError {
  const range = type === 'i53' ? '-(2**53-1) to 2**53-1' : '0 to 2**53-1';
  return new CboxCallError(fn, `the C function returned ${value} as ${type}, outside ${range} (a JS number cannot hold it exactly; declare the result i64 or u64 for a bigint)`, 'bad-result');
}

export function i53Result(r: bigint, fn: string): number {
  if (r > MAX_SAFE || r < -MAX_SAFE) throw outsideRange(fn, 'i53', r);
  return Number(r);
}

/** wasm's i64 is signed: a uint64_t from 2**63 up arrives negative, and is refused as such. */
export function u53Result(r: bigint, fn: string): number {
  if (r > MAX_SAFE || r < 0n) throw outsideRange(fn, 'u53', BigInt.asUintN(64, r));
  return Number(r);
}
