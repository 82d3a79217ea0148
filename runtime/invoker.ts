// Builds the JS function that stands for one C export. It is generated per signature (like a
// hand-written wrapper): argument checks, arena marshalling only where buffers are involved,
// one call into wasm, result conversion. A numeric export costs a few checks over the raw call.
import type { ExportSignature, ValueType } from './abi.js';
import { CboxArgumentError } from './errors.js';
import type { Sandbox } from './sandbox.js';

const CHECKS: Record<ValueType, { test: (v: string) => string; expect: string }> = {
  // typeof first: `|` and `>>>` throw a raw TypeError on a bigint.
  i32: { test: (v) => `typeof ${v} !== 'number' || (${v} | 0) !== ${v}`, expect: 'an integer from -2147483648 to 2147483647' },
  u32: { test: (v) => `typeof ${v} !== 'number' || (${v} >>> 0) !== ${v}`, expect: 'an integer from 0 to 4294967295' },
  f32: { test: (v) => `typeof ${v} !== 'number'`, expect: 'a number' },
  f64: { test: (v) => `typeof ${v} !== 'number'`, expect: 'a number' },
  i64: { test: (v) => `typeof ${v} !== 'bigint' || BigInt.asIntN(64, ${v}) !== ${v}`, expect: 'a bigint from -(2n**63n) to 2n**63n-1n' },
  u64: { test: (v) => `typeof ${v} !== 'bigint' || BigInt.asUintN(64, ${v}) !== ${v}`, expect: 'a bigint from 0n to 2n**64n-1n' },
  bool: { test: (v) => `typeof ${v} !== 'boolean'`, expect: 'a boolean' },
  bytes: { test: (v) => `!(${v} instanceof Uint8Array)`, expect: 'a Uint8Array (or Buffer)' },
  string: { test: (v) => `typeof ${v} !== 'string' || ${v}.includes('\\0') || !${v}.isWellFormed()`, expect: 'a well-formed string without NUL characters' },
  handle: { test: () => 'false', expect: 'a Handle' },
};

function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    if (value.includes('\0')) return 'a string containing NUL (C strings end at NUL: pass bytes instead)';
    return value.isWellFormed() ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : 'a string with lone surrogates';
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'object'}` : typeof value;
}

export function argumentError(fn: string, signature: ExportSignature, index: number, value: unknown): CboxArgumentError {
  const type = signature.params[index]!;
  return new CboxArgumentError(`${fn}: argument ${index + 1} (${signature.paramNames[index]}: ${type}) must be ${CHECKS[type].expect}, got ${describeValue(value)}`);
}

export function createInvoker(box: Sandbox, fn: string, index: number, signature: ExportSignature): (...args: unknown[]) => unknown {
  const { params, result } = signature;
  const values = params.map((_, i) => `v${i}`);
  const marshals = params.some((type) => type === 'bytes' || type === 'string') || result === 'bytes' || result === 'string';
  const lines: string[] = [];
  params.forEach((type, i) => {
    if (type !== 'handle') lines.push(`if (${CHECKS[type].test(`v${i}`)}) throw argumentError(${JSON.stringify(fn)}, signature, ${i}, v${i});`);
  });
  params.forEach((type, i) => {
    if (type === 'handle') lines.push(`const h${i} = box.unwrapHandle(v${i}, ${JSON.stringify(fn)}, ${JSON.stringify(signature.paramNames[i])});`);
  });
  lines.push('const s = box.current;');
  if (marshals) lines.push('s.begin();');
  const lowered: string[] = [];
  params.forEach((type, i) => {
    if (type === 'bytes') { lines.push(`const p${i} = s.putBytes(v${i});`); lowered.push(`p${i}`, `v${i}.byteLength`); }
    else if (type === 'string') { lines.push(`const p${i} = s.putString(v${i});`); lowered.push(`p${i}`); }
    else if (type === 'bool') lowered.push(`v${i} ? 1 : 0`);
    else if (type === 'handle') lowered.push(`h${i}`);
    else lowered.push(`v${i}`);
  });
  if (result === 'bytes' || result === 'string') { lines.push('const o = s.putOut();'); lowered.push('o'); }
  if (marshals) lines.push('s.commit();');
  lines.push('s.calls++;');
  lines.push('let r;');
  lines.push(`try { r = s.fns[${index}](${lowered.join(', ')}); } catch (e) { throw box.fail(e, ${JSON.stringify(fn)}, [${values.join(', ')}]); }`);
  switch (result) {
    case 'bytes': lines.push(`return s.takeBytes(o, ${JSON.stringify(fn)});`); break;
    case 'string': lines.push(`return s.takeString(o, ${JSON.stringify(fn)});`); break;
    default:
      if (marshals) lines.push('s.reset();');
      lines.push(`return ${{ u32: 'r >>> 0', u64: 'BigInt.asUintN(64, r)', bool: 'r !== 0', handle: 'box.wrapHandle(r)', void: 'undefined' }[result as string] ?? 'r'};`);
  }
  const source = `return function ${fn}(${values.join(', ')}) {\n  ${lines.join('\n  ')}\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- per-signature code generation is the point
  return new Function('box', 'signature', 'argumentError', source)(box, signature, argumentError) as (...args: unknown[]) => unknown;
}
