// Deterministic prose for compression benchmarks. A repeated phrase compresses far better than
// real text and would flatter both sides; this has a vocabulary with Zipf word frequencies,
// sentences and paragraphs of varying length and a few numbers, so it deflates like prose does
// (3.5:1 at level 6 for 4 MiB; English text is typically 3:1 to 4:1).
import { seededRandom } from './seeded-random.js';

const SYLLABLES = ['ka', 'to', 'ren', 'mi', 'sa', 'lo', 'ver', 'an', 'di', 'que', 'stro', 'pel', 'um', 'ti', 'nor', 'ex', 'ba', 'li', 'gra', 'fon'];
const VOCABULARY_SIZE = 4000;

/** `bytes` bytes of UTF-8 prose (ASCII, so exactly that many characters). */
export function proseCorpus(bytes: number, seed = 1): Uint8Array {
  const next = seededRandom(seed);
  const pick = (count: number): number => Math.floor(next() * count);
  // Short words are the common ones, as in natural language.
  const vocabulary = Array.from({ length: VOCABULARY_SIZE }, (_, rank) => {
    const syllables = 1 + Math.min(3, Math.floor(Math.log10(rank + 2) + next() * 1.5));
    return Array.from({ length: syllables }, () => SYLLABLES[pick(SYLLABLES.length)]).join('');
  });
  // Zipf: rank r has weight 1/(r+1); cumulative weights for a binary search.
  const cumulative: number[] = [];
  vocabulary.reduce((sum, _, rank) => (cumulative[rank] = sum + 1 / (rank + 1)), 0);
  const total = cumulative[cumulative.length - 1]!;
  const word = (): string => {
    const target = next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return vocabulary[low]!;
  };
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const words = Array.from({ length: 5 + pick(20) }, (_, index) => {
      const text = index > 2 && next() < 0.03 ? String(pick(10_000)) : word();
      return next() < 0.06 ? `${text},` : text;
    });
    const sentence = `${words.join(' ').replace(/,$/, '')}${next() < 0.1 ? '?' : '.'}${next() < 0.15 ? '\n\n' : ' '}`;
    parts.push(sentence.charAt(0).toUpperCase() + sentence.slice(1));
    length += sentence.length;
  }
  return new TextEncoder().encode(parts.join('')).subarray(0, bytes);
}
