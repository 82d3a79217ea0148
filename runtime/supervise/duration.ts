// Durations as users write them in supervision options: 250 (milliseconds), "250ms", "10s", "2m".
const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

export function parseDuration(value: number | string, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
    throw new RangeError(`${what}: expected a positive number of milliseconds, got ${value}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(value);
  const milliseconds = match ? Number(match[1]) * UNITS_MS[match[2]!]! : Number.NaN;
  if (!(milliseconds > 0)) throw new RangeError(`${what}: cannot read duration ${JSON.stringify(value)} (write e.g. 500, "500ms", "10s", "1m")`);
  return milliseconds;
}
