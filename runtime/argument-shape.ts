// What a crash report says of an argument: its type and length, never its contents.
import type { ArgumentShape } from './errors.js';
import { Handle } from './handles.js';

export function argumentShape(value: unknown): ArgumentShape {
  if (value instanceof Uint8Array) return { type: 'bytes', length: value.byteLength };
  if (typeof value === 'string') return { type: 'string', length: value.length };
  if (value instanceof Handle) return { type: 'handle' };
  return { type: typeof value };
}
