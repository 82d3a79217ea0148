// JSON.parse keeps the last of two equal keys without a word; a manifest with two exports of
// one name must be refused instead. This walks the text and names every repeated key.
export function findDuplicateKeys(text: string): string[] {
  const duplicates: string[] = [];
  let at = 0;
  const skipSpace = (): void => { while (/\s/.test(text[at] ?? '')) at++; };
  const readString = (): string => {
    const start = at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const readValue = (path: string): void => {
    skipSpace();
    const c = text[at];
    if (c === '{') {
      at++;
      const seen = new Set<string>();
      for (skipSpace(); text[at] !== '}' && at < text.length; skipSpace()) {
        if (text[at] === ',') { at++; continue; }
        const key = readString();
        if (seen.has(key)) duplicates.push(path ? `${path}.${key}` : key);
        seen.add(key);
        skipSpace();
        at++; // ':'
        readValue(path ? `${path}.${key}` : key);
      }
      at++;
    } else if (c === '[') {
      at++;
      for (let index = 0; (skipSpace(), text[at] !== ']') && at < text.length; index++) {
        if (text[at] === ',') { at++; index--; continue; }
        readValue(`${path}[${index}]`);
      }
      at++;
    } else if (c === '"') {
      readString();
    } else {
      while (at < text.length && !/[\s,\]}]/.test(text[at]!)) at++;
    }
  };
  readValue('');
  return duplicates;
}
