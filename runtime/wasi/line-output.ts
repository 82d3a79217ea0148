// What the guest writes to stdout or stderr, delivered to a callback one line at a time.
// UTF-8 is decoded in streaming mode, so a character split across two fd_write calls arrives
// whole; invalid bytes become U+FFFD instead of failing the write.

/** A line longer than this is delivered in pieces, so a guest printing without newlines cannot grow host memory. */
const MAX_LINE_UNITS = 64 * 1024;

export class LineOutput {
  #decoder = new TextDecoder('utf-8');
  #pending = '';

  /** `emit` receives each line without its '\n'. */
  constructor(private readonly emit: (line: string) => void) {}

  write(bytes: Uint8Array): void {
    this.#take(this.#decoder.decode(bytes, { stream: true }));
  }

  /** Delivers a partial last line, if any (an incomplete UTF-8 sequence at the end becomes U+FFFD). */
  flush(): void {
    this.#take(this.#decoder.decode());
    const rest = this.#pending;
    this.#pending = '';
    if (rest !== '') this.emit(rest);
  }

  #take(text: string): void {
    const lines = (this.#pending + text).split('\n');
    let rest = lines.pop()!;
    while (rest.length > MAX_LINE_UNITS) {
      // Never cut a surrogate pair in two.
      const cut = isHighSurrogate(rest.charCodeAt(MAX_LINE_UNITS - 1)) ? MAX_LINE_UNITS - 1 : MAX_LINE_UNITS;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    // State first, callbacks last: a throwing callback must not make lines repeat.
    this.#pending = rest;
    for (const line of lines) this.emit(line);
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
