// How an error message shows a value the caller passed: its kind and a short preview, never
// more than a few dozen characters of it.
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    if (value.includes('\0')) return 'a string containing NUL (C strings end at NUL: pass bytes instead)';
    return value.isWellFormed() ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : 'a string with lone surrogates';
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return typeof value;
  try {
    // A Proxy's or a hostile object's constructor getter can throw: the description must not.
    const name = (value as object).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
  } catch {
    return 'an object';
  }
}
