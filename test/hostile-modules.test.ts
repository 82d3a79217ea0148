// Hand-made hostile modules (test/fuzz/hostile-corpus.ts): each is refused at load with its
// CboxLoadError code, or loads into a library object that is safe to hold.
import { describe, expect, it } from 'vitest';
import { load } from 'cbox';
import { loadCase } from './fuzz/load-case.js';
import { HOSTILE_MODULES } from './fuzz/hostile-corpus.js';
import { ADD, ADD_WAT, fakeModule, refusal, stampOf } from './hand-made-module.js';

describe('hostile modules at load', () => {
  it('an export named as JS code never runs: refused as abi-stamp-corrupt, globalThis untouched (defect 1)', async () => {
    const injection = HOSTILE_MODULES.find((entry) => entry.name.startsWith('an export name that is JS code'))!;
    const error = await refusal(load(await injection.make(), { spare: false, logger: null }));
    expect(error.code).toBe('abi-stamp-corrupt');
    expect(error.message).toContain('is not a C function name');
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
  });

  it.each(HOSTILE_MODULES.map((entry) => [entry.name, entry] as const))('%s', async (_, entry) => {
    const outcome = await loadCase(await entry.make());
    expect(outcome).toEqual(entry.expect === 'loaded' ? { kind: 'loaded' } : { kind: 'refused', code: entry.expect });
  });

  it('the table limit is an option: a 100000-entry table loads under a limit that allows it', async () => {
    const { compileModule, checkTableLimit } = await import('../runtime/compiled-module.js');
    const bytes = await fakeModule(`${ADD_WAT} (table 100000 100000 funcref)`, stampOf({ add: ADD }));
    const compiled = await compileModule(bytes, undefined, { tableLimit: 100_000 });
    expect(compiled.tables).toEqual([{ minEntries: 100_000, maxEntries: 100_000, table64: false }]);
    expect(() => checkTableLimit(compiled, 99_999)).toThrow(/table 0 may grow to 100000 entries, above the limit of 99999/);
  });
});
