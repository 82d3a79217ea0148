// The errors cbox/zlib throws, shaped as node:zlib throws them: TypeError ERR_INVALID_ARG_TYPE and
// RangeError ERR_OUT_OF_RANGE for bad arguments, RangeError ERR_BUFFER_TOO_LARGE past
// maxOutputLength, and an Error with zlib's `code` and `errno` (Z_DATA_ERROR, -3) for bad data.
// cbox's own addition: ZlibMemoryLimitError (code Z_MEM_ERROR) when the sandbox's memoryLimit
// stops the work, e.g. a decompression bomb.
import nodeZlib from 'node:zlib';
import { inspect } from 'node:util';

/** node:zlib's `codes`: zlib's return codes by name and names by code ({ Z_DATA_ERROR: -3, '-3': 'Z_DATA_ERROR', ... }). */
export const codes = (nodeZlib as unknown as { readonly codes: Readonly<Record<string, number | string>> }).codes;

/** How Node's errors describe the value they got ("Received type number (1)"). */
function received(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'function': return `function ${value.name}`;
    case 'object': return value.constructor && 'name' in value.constructor ? `an instance of ${value.constructor.name}` : inspect(value, { depth: -1 });
    case 'string': {
      const shown = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return shown.includes("'") ? `type string (${JSON.stringify(shown)})` : `type string ('${shown}')`;
    }
    case 'bigint': return `type bigint (${value}n)`;
    case 'symbol': return `type symbol (${String(value)})`;
    default: return `type ${typeof value} (${inspect(value)})`;
  }
}

function argument(name: string): string {
  return `"${name}" ${name.includes('.') ? 'property' : 'argument'}`;
}

/** Node's ERR_INVALID_ARG_TYPE; `expected` is the phrase after "must be". */
export class InvalidArgTypeError extends TypeError {
  readonly code = 'ERR_INVALID_ARG_TYPE';
  constructor(name: string, expected: string, value: unknown) {
    super(`The ${argument(name)} must be ${expected}. Received ${received(value)}`);
  }
}

/** Node's ERR_OUT_OF_RANGE; `range` is the phrase after "It must be". */
export class OutOfRangeError extends RangeError {
  readonly code = 'ERR_OUT_OF_RANGE';
  constructor(name: string, range: string, value: unknown) {
    const shown = Number.isInteger(value) && Math.abs(value as number) > 2 ** 32
      ? String(value).replace(/\B(?=(\d{3})+(?!\d))/g, '_')
      : inspect(value);
    super(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
  }
}

/** Node's ERR_BUFFER_TOO_LARGE: the output passed maxOutputLength. */
export class BufferTooLargeError extends RangeError {
  readonly code = 'ERR_BUFFER_TOO_LARGE';
  constructor(maxLength: number) {
    super(`Cannot create a Buffer larger than ${maxLength} bytes`);
  }
}

/** Node's ERR_ZLIB_INITIALIZATION_FAILED (zlib refused the options). */
export class InitializationFailedError extends Error {
  readonly code = 'ERR_ZLIB_INITIALIZATION_FAILED';
  constructor() {
    super('Initialization failed');
  }
}

/** What zlib said about the data: `code` is zlib's name for `errno` (Z_DATA_ERROR is -3). */
export class ZlibError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(message: string, errno: number) {
    super(message);
    this.errno = errno;
    const name = codes[String(errno)];
    this.code = typeof name === 'string' ? name : 'Z_UNKNOWN_ERROR';
  }
}

/**
 * The sandbox's memory limit stopped zlib (a decompression bomb, or more output or input than
 * memoryLimit allows): code 'Z_MEM_ERROR', errno -4, like zlib's own out-of-memory, plus the limit.
 * The process and every other stream are fine; raise memoryLimit or use a stream for huge data.
 */
export class ZlibMemoryLimitError extends ZlibError {
  constructor(readonly memoryLimit: string) {
    super(`zlib ran out of memory in its sandbox (memoryLimit ${memoryLimit}): the data needs more memory than the limit allows; use a stream, or raise memoryLimit`, -4);
  }
}
