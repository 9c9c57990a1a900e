/**
 * Opening many records at once, for a list view of notes: `Workspace.decryptMany` and
 * `decryptTextMany`. Each record gets the same checks as `ws.decrypt` (FORMAT.md#decrypting-a-record);
 * the work is cut into slices of a few milliseconds with a yield to the event loop between
 * them, so the page keeps painting and answering input. Internal.
 */

import { unpaddedLength } from "../wasm/confide_wasm.js";
import { chunkNonce, hasWebCrypto } from "./engines.js";
import { ConfideError, fromWasm } from "./errors.js";
import type { KeySource } from "./key-source.js";
import type { RecordContext, StreamEngine } from "./types.js";
import {
  bytesArg, call, CHUNK_BYTES, contextArg, describe, ENCRYPTED_CHUNK_BYTES, isNode, MIN_RECORD_BYTES, PREFIX_BYTES, property, yieldToEventLoop,
} from "./util.js";

/** One record to open, and where it lives. */
export interface DecryptManyItem {
  record: Uint8Array;
  context: RecordContext;
}

/** One record's outcome: its plaintext, or the `ConfideError` that `decrypt` would throw. */
export type DecryptManyResult<T> = { ok: true; value: T } | { ok: false; error: ConfideError };

/** Options for {@link Workspace.decryptMany} and {@link Workspace.decryptTextMany}. */
export interface DecryptManyOptions {
  /** Aborting rejects the call with a `ConfideError` of code `aborted`, and zeroes what it opened. */
  signal?: AbortSignal;
  /** Called between slices with the number of records settled so far. */
  onProgress?: (settled: number) => void;
  /**
   * Which AES-GCM runs the records. `"auto"` (default): WebCrypto in browsers, where each
   * record's key is imported as a non-extractable CryptoKey; wasm in Node, where it is faster
   * for short records. Both give the same results.
   */
  engine?: StreamEngine;
}

/** Longest stretch of synchronous work between two yields to the event loop. */
const SLICE_MS = 8;
/** Records whose WebCrypto work may be outstanding at once. */
const IN_FLIGHT = 512;
/** Chunks of one record decrypted at once. */
const CHUNKS_IN_FLIGHT = 8;
const MAX_ITEMS = 1_000_000;

const aborted = () => new ConfideError("aborted", "the batch was aborted");
const failed = () => new ConfideError("decryption_failed", "decryption failed");

function options(value: unknown): { signal: AbortSignal | undefined; onProgress: ((n: number) => void) | undefined; engine: StreamEngine } {
  if (typeof value !== "object" || value === null) {
    throw new ConfideError("invalid_argument", `"options" expected { signal?, onProgress?, engine? }, got ${describe(value)}`);
  }
  const signal = property(value, "signal", "signal");
  const onProgress = property(value, "onProgress", "onProgress");
  const engine = property(value, "engine", "engine") ?? "auto";
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfideError("invalid_argument", `"signal" expected AbortSignal, got ${describe(signal)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new ConfideError("invalid_argument", `"onProgress" expected function, got ${describe(onProgress)}`);
  }
  if (engine !== "auto" && engine !== "webcrypto" && engine !== "wasm") {
    throw new ConfideError("invalid_argument", `"engine" expected "auto", "webcrypto" or "wasm", got ${describe(engine)}`);
  }
  if (engine === "webcrypto" && !hasWebCrypto()) {
    throw new ConfideError("invalid_argument", `"engine": WebCrypto is not available here`);
  }
  return { signal, onProgress: onProgress as ((n: number) => void) | undefined, engine };
}

/** One item's record and context, checked as `ws.decrypt` checks its arguments. */
function itemArg(item: unknown, i: number): { record: Uint8Array; ctx: RecordContext } {
  if (typeof item !== "object" || item === null) {
    throw new ConfideError("invalid_argument", `"items[${i}]" expected { record, context }, got ${describe(item)}`);
  }
  const record = bytesArg(`items[${i}].record`, property(item, "record", "record"));
  return { record, ctx: contextArg(property(item, "context", "context")) };
}

/** Plaintext bytes of an unpadded record of `recordBytes` (FORMAT.md#record-size); NaN if none. */
function bodyPlaintextBytes(recordBytes: number): number {
  const body = recordBytes - PREFIX_BYTES;
  const last = (body % ENCRYPTED_CHUNK_BYTES) - 16;
  return recordBytes < MIN_RECORD_BYTES || last < 0 ? NaN : Math.floor(body / ENCRYPTED_CHUNK_BYTES) * CHUNK_BYTES + last;
}

/**
 * Opens one record on WebCrypto. The synchronous part runs now: the core parses the header,
 * finds the epoch key, checks the context and the key commitment, and derives the record's
 * AES key, which is imported as a non-extractable CryptoKey (the raw copy is zeroed at once:
 * WebCrypto copies its input when called). The returned promise decrypts the chunks
 * (FORMAT.md#chunked-encryption), then unpads (the core's check) and checks UTF-8 for text.
 * Records whose length no record has go to the core whole, which reports exactly why.
 */
function openOnWebCrypto(keySource: KeySource, record: Uint8Array, ctx: RecordContext): Uint8Array | Promise<Uint8Array> {
  const plainBytes = bodyPlaintextBytes(record.length);
  if (Number.isNaN(plainBytes)) return call(() => keySource.decrypt(record, ctx.recordId, ctx.field));
  const keys = call(() => keySource.messageKeysForDecryption(record.subarray(0, MIN_RECORD_BYTES), ctx.recordId, ctx.field));
  let key: Promise<CryptoKey>;
  let base: Uint8Array;
  let padded: boolean;
  let text: boolean;
  try {
    const raw = keys.aesKey();
    key = crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["decrypt"]);
    raw.fill(0);
    base = keys.baseNonce;
    padded = keys.padded;
    text = keys.text;
  } finally {
    keys.free();
  }
  return (async () => {
    const k = await key;
    const body = record.subarray(PREFIX_BYTES);
    const chunks = Math.floor(body.length / ENCRYPTED_CHUNK_BYTES) + 1;
    const open = async (i: number): Promise<Uint8Array> => {
      const chunk = body.subarray(i * ENCRYPTED_CHUNK_BYTES, (i + 1) * ENCRYPTED_CHUNK_BYTES);
      try {
        return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: chunkNonce(base, i) }, k, chunk as Uint8Array<ArrayBuffer>));
      } catch {
        throw failed();
      }
    };
    let plain: Uint8Array;
    if (chunks === 1) {
      plain = await open(0);
    } else {
      plain = new Uint8Array(plainBytes);
      try {
        for (let i = 0; i < chunks; i += CHUNKS_IN_FLIGHT) {
          const group = Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, chunks - i) }, (_, j) => open(i + j));
          group.forEach((p) => p.catch(() => {})); // observed below; no unhandled rejections meanwhile
          for (const [j, p] of group.entries()) {
            const part = await p;
            plain.set(part, (i + j) * CHUNK_BYTES);
            part.fill(0);
          }
        }
      } catch (e) {
        plain.fill(0);
        throw e;
      }
    }
    if (padded) {
      // FORMAT.md#padding: the core checks the padding is canonical.
      let length: number;
      try {
        length = call(() => unpaddedLength(plain));
      } catch (e) {
        plain.fill(0);
        throw e;
      }
      const payload = plain.slice(0, length);
      plain.fill(0);
      plain = payload;
    }
    if (text) {
      // FORMAT.md#decrypting-a-record: a text record's plaintext is UTF-8.
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(plain);
      } catch {
        plain.fill(0);
        throw new ConfideError("malformed", "record text: invalid value");
      }
    }
    return plain;
  })();
}

/**
 * The body of `decryptMany`/`decryptTextMany`: every item opened, in order, each to a result.
 * `convert` takes a plaintext and owns it (the text variant decodes, then zeroes it).
 */
export async function decryptMany<T>(
  keySource: KeySource,
  items: unknown,
  rawOptions: unknown,
  convert: (plaintext: Uint8Array) => T,
): Promise<DecryptManyResult<T>[]> {
  if (!Array.isArray(items)) {
    throw new ConfideError("invalid_argument", `"items" expected an array of { record, context }, got ${describe(items)}`);
  }
  if (items.length > MAX_ITEMS) {
    throw new ConfideError("invalid_argument", `"items" expected at most ${MAX_ITEMS} items, got ${items.length}`);
  }
  const { signal, onProgress, engine } = options(rawOptions);
  if (signal?.aborted) throw aborted();
  call(() => keySource.assertLive()); // `freed` and `not_initialized` before any work
  const webCrypto = engine === "webcrypto" || (engine === "auto" && hasWebCrypto() && !isNode());
  const results: DecryptManyResult<T>[] = new Array<DecryptManyResult<T>>(items.length);
  let settled = 0;
  const fail = (i: number, e: unknown) => {
    results[i] = { ok: false, error: e instanceof ConfideError ? e : fromWasm(e) };
    settled++;
  };
  const succeed = (i: number, plaintext: Uint8Array) => {
    try {
      results[i] = { ok: true, value: convert(plaintext) };
      settled++;
    } catch (e) {
      fail(i, e);
    }
  };
  const inFlight: Promise<void>[] = [];
  try {
    let sliceStart = performance.now();
    for (let i = 0; i < items.length; i++) {
      if (performance.now() - sliceStart >= SLICE_MS) {
        await yieldToEventLoop();
        if (signal?.aborted) throw aborted();
        onProgress?.(settled);
        sliceStart = performance.now();
      }
      call(() => keySource.assertLive()); // `freed` rejects the whole call
      let item: { record: Uint8Array; ctx: RecordContext };
      try {
        item = itemArg(items[i], i);
      } catch (e) {
        fail(i, e);
        continue;
      }
      const { record, ctx } = item;
      let opened: Uint8Array | Promise<Uint8Array>;
      try {
        opened = webCrypto ? openOnWebCrypto(keySource, record, ctx) : call(() => keySource.decrypt(record, ctx.recordId, ctx.field));
      } catch (e) {
        fail(i, e);
        continue;
      }
      if (opened instanceof Uint8Array) {
        succeed(i, opened);
        continue;
      }
      inFlight.push(opened.then((p) => succeed(i, p), (e: unknown) => fail(i, e)));
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (signal?.aborted) throw aborted();
  } catch (e) {
    await Promise.allSettled(inFlight);
    for (const r of results) if (r?.ok && r.value instanceof Uint8Array) r.value.fill(0);
    throw e instanceof ConfideError ? e : fromWasm(e);
  }
  onProgress?.(settled);
  return results;
}
