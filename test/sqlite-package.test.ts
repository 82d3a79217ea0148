// The built package as its users get it (run `npm run build` first): node itself, not vitest,
// requires dist/sqlite.cjs from a CommonJS file and imports dist/sqlite.js from an ES module, from
// another working directory, so the prebuilt .wasm is found relative to the bundle, not the cwd.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function runNode(fixture: string): Record<string, unknown> {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  const output = execFileSync(process.execPath, [file], { cwd: tmpdir(), encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('cbox/sqlite from the built package', () => {
  it("require('cbox/sqlite') from CommonJS loads dist/sqlite.cjs and works: rows, blobs, transactions, errors", () => {
    expect(runNode('sqlite-require.cjs')).toEqual({
      file: expect.stringMatching(/[\\/]dist[\\/]sqlite\.cjs$/),
      rows: [{ id: 1, name: 'ada' }, { id: 2, name: 'grace' }],
      blobIsBuffer: true,
      version: '3.53.0',
      tooMany: { name: 'RangeError', message: 'Too many parameter values were provided' },
      constraint: { name: 'SqliteError', code: 'SQLITE_CONSTRAINT_PRIMARYKEY', isSqliteError: true },
      named: true,
    });
  });

  it("import Database from 'cbox/sqlite' in an ES module loads dist/sqlite.js, sharing the runtime of 'cbox'", () => {
    expect(runNode('sqlite-import.mjs')).toEqual({
      file: expect.stringMatching(/\/dist\/sqlite\.js$/),
      same: true,
      row: { k: 'x' },
      code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      sharedRuntime: true,
    });
  });
});
