/** Range reads of a record (FORMAT.md#range-reads). */

import { WasmChunkReader } from "../wasm/confide_wasm.js";
import { ConfideError } from "./errors.js";
import { plaintextSizeOrNaN } from "./sizes.js";
import { call, CHUNK_BYTES, describe, ENCRYPTED_CHUNK_BYTES, MAX_RECORD_BYTES, PREFIX_BYTES } from "./util.js";

interface Source {
  size: number | undefined;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function rangeSource(source: unknown): Source {
  if (source instanceof Uint8Array) {
    return { size: source.length, read: async (o, l) => source.subarray(o, o + l) };
  }
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    return { size: source.size, read: async (o, l) => new Uint8Array(await source.slice(o, o + l).arrayBuffer()) };
  }
  if (typeof source === "function") {
    return {
      size: undefined,
      async read(o, l) {
        let bytes: unknown;
        try {
          bytes = await (source as (o: number, l: number) => Promise<unknown>)(o, l);
        } catch {
          throw new ConfideError("invalid_argument", "the range source failed to read");
        }
        if (!(bytes instanceof Uint8Array)) {
          throw new ConfideError("invalid_argument", `the range source returned ${describe(bytes)}, expected Uint8Array`);
        }
        return bytes.subarray(0, l);
      },
    };
  }
  throw new ConfideError("invalid_argument", `"source" expected Blob, Uint8Array or (offset, length) => Promise<Uint8Array>, got ${describe(source)}`);
}

export async function readToEnd(src: Source): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let offset = 0; ; ) {
    const part = await src.read(offset, 1 << 20);
    if (part.length === 0) break;
    parts.push(part.slice());
    offset += part.length;
    if (offset > MAX_RECORD_BYTES) throw new ConfideError("invalid_argument", "record too large to read whole");
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

/** FORMAT.md#range-reads for an unpadded record. */
export async function readRange(src: Source, reader: WasmChunkReader, start: number, end: number | undefined): Promise<Uint8Array> {
  const readChunk = (k: number) => src.read(PREFIX_BYTES + k * ENCRYPTED_CHUNK_BYTES, ENCRYPTED_CHUNK_BYTES);
  let plainSize: number | undefined;
  let k = Math.floor(start / CHUNK_BYTES);
  if (src.size !== undefined) {
    plainSize = plaintextSizeOrNaN(src.size);
    if (Number.isNaN(plainSize)) throw new ConfideError("decryption_failed", "decryption failed");
    const finalIndex = Math.floor((src.size - PREFIX_BYTES) / ENCRYPTED_CHUNK_BYTES);
    k = Math.min(k, finalIndex); // a range past the end still authenticates the final chunk
  }
  const parts: Uint8Array[] = [];
  for (;;) {
    let bytes = await readChunk(k);
    if (bytes.length === 0 && k > 0) {
      // Past the end of a source of unknown size: find the last chunk that has bytes.
      let lo = 0;
      let hi = k;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if ((await src.read(PREFIX_BYTES + mid * ENCRYPTED_CHUNK_BYTES, 1)).length > 0) lo = mid;
        else hi = mid;
      }
      k = lo;
      bytes = await readChunk(k);
      if (bytes.length === ENCRYPTED_CHUNK_BYTES) throw new ConfideError("decryption_failed", "decryption failed");
    }
    const isFinal = bytes.length < ENCRYPTED_CHUNK_BYTES;
    const plain = call(() => reader.openChunk(k, bytes, isFinal));
    const chunkStart = k * CHUNK_BYTES;
    const from = Math.max(start, chunkStart) - chunkStart;
    const to = Math.min(end ?? Infinity, chunkStart + plain.length) - chunkStart;
    if (to > from) parts.push(plain.slice(from, to));
    plain.fill(0);
    const chunkEnd = chunkStart + CHUNK_BYTES;
    const touchesEnd = end === undefined || plainSize === undefined ? true : end >= plainSize;
    if (isFinal || (end !== undefined && (chunkEnd > end || (chunkEnd === end && !touchesEnd)))) break;
    k++;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  for (const p of parts) p.fill(0);
  return out;
}
