// Appends a custom section to a wasm binary: id 0, then the LEB128 size of
// (LEB128 name length, name, payload). Custom sections may stand anywhere after the header.
function leb128(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

export function appendCustomSection(wasm: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb128(nameBytes.length), ...nameBytes];
  const size = body.length + payload.length;
  const header = Uint8Array.from([0, ...leb128(size), ...body]);
  const out = new Uint8Array(wasm.length + header.length + payload.length);
  out.set(wasm, 0);
  out.set(header, wasm.length);
  out.set(payload, wasm.length + header.length);
  return out;
}
