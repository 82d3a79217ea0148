// The built package as its users get it (run `npm run build` first): node itself, not vitest,
// requires dist/zlib.cjs from a CommonJS file and imports dist/zlib.js from an ES module, from
// another working directory, so the .wasm is found relative to the bundle, not the cwd.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function runNode(fixture: string): Record<string, unknown> {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  const output = execFileSync(process.execPath, [file], { cwd: tmpdir(), encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('cbox/zlib from the built package', () => {
  it("require('cbox/zlib') from CommonJS loads dist/zlib.cjs and works: sync, streams, errors", () => {
    const result = runNode('zlib-require.cjs');
    expect(result).toEqual({
      file: expect.stringMatching(/[\\/]dist[\\/]zlib\.cjs$/),
      roundTrip: true,
      crc32: true,
      error: { code: 'Z_DATA_ERROR', errno: -3, message: 'incorrect header check' },
      defaultExport: 'function',
    });
  });

  it("import 'cbox/zlib' from an ES module loads dist/zlib.js, sharing the runtime of 'cbox'", () => {
    expect(runNode('zlib-import.mjs')).toEqual({ file: expect.stringMatching(/\/dist\/zlib\.js$/), roundTrip: true, sharedRuntime: true });
  });
});
