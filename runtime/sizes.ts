// Byte sizes as users write them: 65536, "64KiB", "32MiB", "1GiB" (also KB/MB/GB as powers of 1000).
const UNITS: Record<string, number> = {
  '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3,
};

export function parseSize(value: number | string, what: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw new RangeError(`${what}: expected a whole number of bytes, got ${value}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new RangeError(`${what}: cannot read size ${JSON.stringify(value)} (write e.g. 65536, "64KiB", "32MiB")`);
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${what}: ${JSON.stringify(value)} is not a whole number of bytes`);
  return bytes;
}

export const WASM_PAGE = 65536;
/** wasm32 linear memory cannot exceed 4 GiB (65536 pages). */
export const WASM32_MAX_BYTES = 65536 * WASM_PAGE;

export function formatSize(bytes: number): string {
  for (const [unit, scale] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return `${bytes}B`;
}
