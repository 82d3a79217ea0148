// A second version of zoo for the reload tests: the same exports and signatures, built from
// changed C (greet says "hi v2, " instead of "hello, ").
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildLibrary } from '../build/build-library.js';
import { root } from './helpers.js';

export const V2_GREETING = 'hi v2, ';

/** Builds zoo v2 into a temporary folder; resolves with its .wasm path. */
export async function buildZooV2(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-zoo-v2-'));
  copyFileSync(path.join(root, 'c-src/zoo/cbox.json'), path.join(dir, 'cbox.json'));
  const source = readFileSync(path.join(root, 'c-src/zoo/zoo.c'), 'utf8');
  if (!source.includes('"hello, "')) throw new Error('zoo.c no longer greets with "hello, ": update buildZooV2');
  writeFileSync(path.join(dir, 'zoo.c'), source.replace('"hello, "', JSON.stringify(V2_GREETING)));
  return (await buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out'), native: false })).wasmFile;
}
