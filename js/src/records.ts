/**
 * Record operations shared by `Workspace` and `Case`: one-shot, many at once, streams and
 * range reads (FORMAT.md#records), over whichever keys a {@link KeySource} holds. Internal.
 */

import { WasmDecryptor } from "../wasm/confide_wasm.js";
import { decryptMany, type DecryptManyItem, type DecryptManyOptions, type DecryptManyResult } from "./batch.js";
import { webCryptoDecryptor } from "./decrypt-engine.js";
import { engineStream, hasWebCrypto, streamOptions, wasmEngine, webCryptoEncryptor } from "./engines.js";
import { ConfideError } from "./errors.js";
import type { KeySource } from "./key-source.js";
import { rangeSource, readRange, readToEnd } from "./range.js";
import type { RangeSource, RecordContext, StreamOptions } from "./types.js";
import { bytesArg, call, CHUNK_BYTES, contextArg, describe, MAX_PLAINTEXT_BYTES, MIN_RECORD_BYTES, padOption } from "./util.js";

const utf8 = () => new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function encryptRecord(keys: KeySource, plaintext: unknown, context: unknown, options: unknown): Uint8Array {
  const ctx = contextArg(context);
  const pad = padOption(options);
  const isText = typeof plaintext === "string";
  const bytes = isText ? new TextEncoder().encode(plaintext) : bytesArg("plaintext", plaintext, MAX_PLAINTEXT_BYTES);
  if (bytes.length > MAX_PLAINTEXT_BYTES) {
    throw new ConfideError("invalid_argument", `"plaintext" expected at most ${MAX_PLAINTEXT_BYTES} bytes, got ${bytes.length}`);
  }
  try {
    return call(() => keys.encrypt(bytes, isText, ctx.recordId, ctx.field, pad));
  } finally {
    if (isText) bytes.fill(0);
  }
}

export function decryptRecord(keys: KeySource, record: unknown, context: unknown): Uint8Array {
  const r = bytesArg("record", record);
  const ctx = contextArg(context);
  return call(() => keys.decrypt(r, ctx.recordId, ctx.field));
}

/** UTF-8 text of opened bytes, which are zeroed once decoded. */
export function textOf(bytes: Uint8Array): string {
  try {
    // ignoreBOM: a note that starts with U+FEFF keeps it (the default decoder drops it).
    return utf8().decode(bytes);
  } catch {
    throw new ConfideError("malformed", "record plaintext is not UTF-8 text");
  } finally {
    bytes.fill(0);
  }
}

export function decryptRecords(
  keys: KeySource, items: readonly DecryptManyItem[], options: DecryptManyOptions,
): Promise<DecryptManyResult<Uint8Array>[]> {
  return decryptMany(keys, items, options, (bytes) => bytes);
}

export function decryptTextRecords(
  keys: KeySource, items: readonly DecryptManyItem[], options: DecryptManyOptions,
): Promise<DecryptManyResult<string>[]> {
  return decryptMany(keys, items, options, textOf);
}

export function encryptRecordStream(keys: KeySource, context: unknown, options: StreamOptions): TransformStream<Uint8Array, Uint8Array> {
  const ctx = contextArg(context);
  const { pad, signal, onProgress, engine } = streamOptions(options);
  if (engine === "webcrypto" && pad) {
    throw new ConfideError("invalid_argument", `"engine": padded streams run on the wasm engine`);
  }
  if (!pad && engine !== "wasm" && hasWebCrypto()) {
    const messageKeys = call(() => keys.messageKeysForEncryption(ctx.recordId, ctx.field));
    return engineStream(webCryptoEncryptor(messageKeys), signal, onProgress);
  }
  const encryptor = call(() => keys.encryptor(ctx.recordId, ctx.field, pad));
  return engineStream(
    wasmEngine((piece) => encryptor.push(piece), () => encryptor.finish(), () => encryptor.free(), false),
    signal,
    onProgress,
  );
}

export function decryptRecordStream(keys: KeySource, context: unknown, options: StreamOptions): TransformStream<Uint8Array, Uint8Array> {
  const ctx = contextArg(context);
  const { signal, onProgress, engine } = streamOptions(options);
  if (engine !== "wasm" && hasWebCrypto()) {
    return engineStream(webCryptoDecryptor(keys, ctx.recordId, ctx.field), signal, onProgress);
  }
  const decryptor = call(() => new WasmDecryptor(ctx.recordId, ctx.field));
  return engineStream(
    wasmEngine((piece) => keys.decryptorPush(decryptor, piece), () => decryptor.finish(), () => decryptor.free(), true),
    signal,
    onProgress,
  );
}

export async function decryptRecordRange(
  keys: KeySource, source: RangeSource, context: RecordContext, start: number, end: number | undefined,
): Promise<Uint8Array> {
  const ctx = contextArg(context);
  const src = rangeSource(source);
  // c2sp.org/chunked-encryption: fewer than 2^38 chunks, so offsets stay below 2^52.
  const maxOffset = 2 ** 38 * CHUNK_BYTES;
  for (const [name, value] of [["start", start], ["end", end ?? 0]] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > maxOffset) {
      throw new ConfideError("invalid_argument", `"${name}" expected an integer in [0, 2^52], got ${describe(value)}`);
    }
  }
  const head = await src.read(0, MIN_RECORD_BYTES);
  const reader = call(() => keys.chunkReader(head, ctx.recordId, ctx.field));
  try {
    if (reader.padded) {
      // Padded records are notes: their payload length is known only after unpadding.
      const whole = src.size !== undefined ? await src.read(0, src.size) : await readToEnd(src);
      const plaintext = decryptRecord(keys, whole, ctx);
      const out = plaintext.slice(start, end);
      plaintext.fill(0);
      return out;
    }
    return await readRange(src, reader, start, end);
  } finally {
    reader.free();
  }
}
