// The rules cbox init maps C scalars and lengths by, shared by functions (map-function.ts),
// callbacks (map-callback.ts) and struct fields (map-struct.ts).
import type { ResultType } from '../../runtime/abi.js';
import type { CType } from './c-type.js';
import type { StructMapping } from './map-struct.js';
import type { TagFacts } from './probe.js';

export type TagLookup = (name: string) => TagFacts | undefined;

export interface MapOptions {
  /** int64_t/uint64_t as i64/u64 (bigint) instead of i53/u53 (a number that must be a safe integer). */
  readonly bigint?: boolean;
  /** The structs the header defines, mapped (map-struct.ts): a pointer to one is a struct parameter. */
  readonly structs?: (cName: string) => StructMapping;
}

type IntInfo = { bits: number; signed: boolean };

/** A length parameter by its name: n, len, size, count, nbytes, buf_len, dataSize, nByte, dstCapacity... */
const LENGTH_NAME = /^(n|sz|len|length|size|count|bytes|nbytes?|capacity)$|(len|length|size|count|bytes|capacity)$/i;
const LENGTH_NAME_N = /^n[A-Z_]/;

export function intInfo(type: CType, tags: TagLookup): IntInfo | { reason: string } | null {
  if (type.kind === 'int') return type;
  if (type.kind !== 'enum') return null;
  const facts = type.name === null ? undefined : tags(type.name);
  if (!facts?.complete || facts.size === null || facts.signed === null) return { reason: 'an enum whose integer type clang could not tell (incomplete or anonymous)' };
  return { bits: facts.size * 8, signed: facts.signed };
}

export function mapScalar(type: CType, tags: TagLookup, position: 'param' | 'result', options: MapOptions): Exclude<ResultType, 'void'> | { reason: string } | null {
  const int = intInfo(type, tags);
  if (int && 'reason' in int) return int;
  if (int) {
    // Numbers by default: most 64-bit values (sizes, offsets, counts) fit in 53 bits, and one that
    // does not is refused at the call, never rounded.
    if (int.bits === 64) return options.bigint ? (int.signed ? 'i64' : 'u64') : (int.signed ? 'i53' : 'u53');
    if (int.bits > 64) return { reason: `a ${int.bits}-bit integer: not supported` };
    // C extends 8- and 16-bit results to 32 bits, so reading them as i32/u32 is exact. As
    // parameters the callee trusts the caller to have extended them: u32 would let 300 into a uint8_t.
    if (int.bits < 32 && position === 'param') {
      return { reason: `${int.bits === 8 ? 'an' : 'a'} ${int.bits}-bit integer: needs a range-checked ${int.signed ? 'i' : 'u'}${int.bits} type (not in the manifest yet; the C callee trusts the caller to have ${int.signed ? 'sign' : 'zero'}-extended it)` };
    }
    return int.signed ? 'i32' : 'u32';
  }
  if (type.kind === 'bool') return 'bool';
  if (type.kind === 'float') {
    if (type.bits === 32) return 'f32';
    if (type.bits === 64) return 'f64';
    return { reason: type.bits === 128 ? 'long double (a 128-bit float on wasm32): not supported' : `a ${type.bits}-bit float: not supported` };
  }
  return null;
}

export type LengthKind = 'length' | 'unclear' | null;

/**
 * Whether the parameter after a pointer is its length: a 32-bit integer named like a length, or
 * an unnamed size_t or integer typedef named like one (MD_SIZE). A size_t named otherwise (`size_t rounds`) is 'unclear': cbox does not guess.
 */
export function lengthKind(type: CType | undefined, name: string): LengthKind {
  if (type?.kind !== 'int' || type.bits !== 32) return null;
  const isSize = type.typedefs.includes('size_t');
  // Unnamed (a callback's arguments never have names): a size_t, or a typedef named like a length (MD_SIZE).
  if (name === '') return isSize || type.typedefs.some((typedef) => LENGTH_NAME.test(typedef)) ? 'length' : null;
  if (LENGTH_NAME.test(name) || LENGTH_NAME_N.test(name)) return 'length';
  return isSize ? 'unclear' : null;
}
