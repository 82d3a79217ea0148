// The fuzz's cases, all made again from the seed: byte mutations of a built module, structural
// mutations of its stamp, and the hand-made hostile corpus.
import fc from 'fast-check';
import type { FuzzCase } from './harness.js';
import type { HostileModule } from './hostile-corpus.js';
import { byteMutation, mutateBytes, mutateStamp, stampMutation, stampOfModule, withStamp } from './mutations.js';

export interface CaseCounts { readonly bytes: number; readonly stamps: number }

export async function corpusCases(corpus: readonly HostileModule[]): Promise<FuzzCase[]> {
  return Promise.all(corpus.map(async (entry) => ({ label: `corpus: ${entry.name}`, bytes: await entry.make() })));
}

/** Mutated cases, interleaved (bytes, stamp, bytes, ...) so that a shortened run still has both. */
export function* mutatedCases(module: Uint8Array, seed: number, counts: CaseCounts): Generator<FuzzCase> {
  const stamp = stampOfModule(module);
  const byteEdits = counts.bytes > 0 ? fc.sample(byteMutation, { seed, numRuns: counts.bytes }) : [];
  const stampEdits = counts.stamps > 0 ? fc.sample(stampMutation, { seed: seed + 1, numRuns: counts.stamps }) : [];
  for (let index = 0; index < Math.max(byteEdits.length, stampEdits.length); index++) {
    const edits = byteEdits[index];
    if (edits) yield { label: `bytes #${index} (seed ${seed}): ${JSON.stringify(edits)}`, bytes: mutateBytes(module, edits) };
    const mutation = stampEdits[index];
    if (mutation) yield { label: `stamp #${index} (seed ${seed + 1}): ${JSON.stringify(mutation).slice(0, 300)}`, bytes: withStamp(module, mutateStamp(stamp, mutation)) };
  }
}
