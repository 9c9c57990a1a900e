/**
 * The two stream engines (FORMAT.md#streaming): wasm, and WebCrypto for throughput. Internal.
 * No wasm import here, only types: `confide/worker`'s worker thread runs the WebCrypto
 * engines from this module, and bundlers should not pull the wasm glue into that worker.
 */

import type { WasmMessageKeys } from "../wasm/confide_wasm.js";
import { ConfideError, fromWasm } from "./errors.js";
import type { StreamEngine } from "./types.js";
import { bytesArg, call, CHUNK_BYTES, describe, ENCRYPTED_CHUNK_BYTES, property } from "./util.js";

const PIECE_BYTES = 64 * 1024;

export interface ParsedStreamOptions {
  pad: boolean;
  signal: AbortSignal | undefined;
  onProgress: ((n: number) => void) | undefined;
  engine: StreamEngine;
}

export function hasWebCrypto(): boolean {
  return typeof globalThis.crypto?.subtle?.encrypt === "function";
}

export function streamOptions(value: unknown): ParsedStreamOptions {
  if (typeof value !== "object" || value === null) {
    throw new ConfideError("invalid_argument", `"options" expected { pad?, signal?, onProgress? }, got ${describe(value)}`);
  }
  const rawPad = property(value, "pad", "pad");
  const signal = property(value, "signal", "signal");
  const onProgress = property(value, "onProgress", "onProgress");
  const engine = property(value, "engine", "engine") ?? "auto";
  if (engine !== "auto" && engine !== "webcrypto" && engine !== "wasm") {
    throw new ConfideError("invalid_argument", `"engine" expected "auto", "webcrypto" or "wasm", got ${describe(engine)}`);
  }
  if (engine === "webcrypto" && !hasWebCrypto()) {
    throw new ConfideError("invalid_argument", `"engine": WebCrypto is not available here`);
  }
  if (rawPad !== undefined && typeof rawPad !== "boolean") {
    throw new ConfideError("invalid_argument", `"pad" expected boolean, got ${describe(rawPad)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfideError("invalid_argument", `"signal" expected AbortSignal, got ${describe(signal)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new ConfideError("invalid_argument", `"onProgress" expected function, got ${describe(onProgress)}`);
  }
  return {
    pad: rawPad ?? false,
    signal,
    onProgress: onProgress as ((n: number) => void) | undefined,
    engine: engine as StreamEngine,
  };
}

export type Enqueue = (bytes: Uint8Array) => void;

/** One record's incremental engine: input bytes in, output bytes enqueued in order. */
export interface Engine {
  /** Whether the output is plaintext, so intermediate copies are zeroed. */
  plaintextOut: boolean;
  push(bytes: Uint8Array, enqueue: Enqueue): void | Promise<void>;
  finish(enqueue: Enqueue): void | Promise<void>;
  release(): void;
}

/**
 * Runs `f`, gathering what it enqueues into one output chunk: one stream hand-off per input
 * chunk instead of one per 16 KiB, which is most of the cost of a stream at WebCrypto speed.
 */
async function batched(
  controller: TransformStreamDefaultController<Uint8Array>,
  f: (enqueue: Enqueue) => void | Promise<void>,
  wipe: boolean,
) {
  const parts: Uint8Array[] = [];
  let total = 0;
  await f((b) => {
    parts.push(b);
    total += b.length;
  });
  if (parts.length === 1) controller.enqueue(parts[0]!);
  else if (parts.length > 1) {
    const out = new Uint8Array(total);
    parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
    if (wipe) for (const p of parts) p.fill(0);
    controller.enqueue(out);
  }
}

/** A TransformStream over an engine, with abort (code `aborted`) and progress. */
export function engineStream(engine: Engine, signal: AbortSignal | undefined, onProgress: ((n: number) => void) | undefined): TransformStream<Uint8Array, Uint8Array> {
  let processed = 0;
  let done = false;
  let controllerRef: TransformStreamDefaultController<Uint8Array> | undefined;
  const aborted = () => new ConfideError("aborted", "the stream was aborted");
  const end = () => {
    if (!done) {
      done = true;
      signal?.removeEventListener("abort", onAbort);
      engine.release();
    }
  };
  function onAbort() {
    try {
      controllerRef?.error(aborted());
    } catch {
      // Already closed or errored.
    }
    end();
  }
  const guard = async (f: () => void | Promise<void>) => {
    try {
      if (done) throw signal?.aborted ? aborted() : new ConfideError("invalid_argument", "the stream has ended");
      await f();
    } catch (e) {
      end();
      throw e instanceof ConfideError ? e : fromWasm(e);
    }
  };
  // `cancel` is newer than TypeScript's DOM typings; runtimes without it ignore it.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(): void } = {
    start(controller) {
      controllerRef = controller;
      if (signal?.aborted) {
        // Error the stream rather than throw: the TransformStream constructor would rethrow.
        end();
        controller.error(aborted());
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    },
    cancel() {
      end(); // the reader cancelled or the writer aborted: free the engine and its keys now
    },
    transform(chunk, controller) {
      return guard(async () => {
        const bytes = bytesArg("chunk", chunk, Number.MAX_SAFE_INTEGER);
        await batched(controller, (enqueue) => engine.push(bytes, enqueue), engine.plaintextOut);
        processed += bytes.length;
        onProgress?.(processed);
      });
    },
    flush(controller) {
      return guard(async () => {
        await batched(controller, (enqueue) => engine.finish(enqueue), engine.plaintextOut);
        end();
      });
    },
  };
  return new TransformStream<Uint8Array, Uint8Array>(transformer);
}

/** The wasm engine: the core's RecordEncryptor/RecordDecryptor, fed in bounded pieces. */
export function wasmEngine(
  push: (piece: Uint8Array) => Uint8Array,
  finish: () => Uint8Array,
  release: () => void,
  plaintextOut: boolean,
): Engine {
  return {
    plaintextOut,
    push(bytes, enqueue) {
      for (let offset = 0; offset < bytes.length; offset += PIECE_BYTES) {
        const out = call(() => push(bytes.subarray(offset, offset + PIECE_BYTES)));
        if (out.length > 0) enqueue(out);
      }
    },
    finish(enqueue) {
      const out = call(finish);
      if (out.length > 0) enqueue(out);
    },
    release,
  };
}

const IN_FLIGHT = 8;
const MAX_CHUNKS = 2 ** 38;

/** Chunk `index`'s nonce: the base nonce XOR the big-endian index (FORMAT.md#chunked-encryption). */
export function chunkNonce(base: Uint8Array, index: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  nonce.set(base);
  for (let i = 11, v = index; i >= 4 && v > 0; i--, v = Math.floor(v / 256)) nonce[i]! ^= v % 256;
  return nonce;
}

/** Imports the record's AES key as a non-extractable CryptoKey and zeroes the raw copy. */
export async function importAesKey(keys: WasmMessageKeys): Promise<CryptoKey> {
  const raw = keys.aesKey();
  try {
    return await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt", "decrypt"]);
  } finally {
    raw.fill(0);
  }
}

/** The slice of Node's `node:crypto` the native engine uses. */
interface NodeGcm {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): void;
}
interface NodeCrypto {
  KeyObject: { from(key: CryptoKey): unknown };
  createCipheriv(algorithm: "aes-256-gcm", key: unknown, iv: Uint8Array): NodeGcm;
  createDecipheriv(algorithm: "aes-256-gcm", key: unknown, iv: Uint8Array): NodeGcm;
}

/**
 * `node:crypto` where the runtime hands it out without an import (Node >= 20.16 and 22.3):
 * bundlers never see it, and browsers have no `process`. The same OpenSSL backs Node's
 * WebCrypto, but called synchronously it skips a thread-pool round trip per 16 KiB chunk.
 */
const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
    return typeof get === "function" ? (get("node:crypto") as NodeCrypto | undefined) : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * One record's AES-256-GCM: `seal` gives `ciphertext || tag` (possibly as two pieces, which
 * the stream concatenates anyway), `open` the plaintext, or rejects on a bad tag.
 */
interface ChunkAead {
  seal(iv: Uint8Array<ArrayBuffer>, data: Uint8Array): Promise<Uint8Array | Uint8Array[]>;
  open(iv: Uint8Array<ArrayBuffer>, data: Uint8Array): Promise<Uint8Array>;
}

/** `bytes` alone in its ArrayBuffer (not a slice of a shared pool), so it can be handed on. */
const ownsBuffer = (bytes: Uint8Array) => bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length;

/**
 * The platform's AES-256-GCM for a non-extractable key: `node:crypto` in Node (the key
 * converted with `KeyObject.from`, never exported), WebCrypto elsewhere. Both copy or consume
 * `data` before returning, so the caller may reuse its buffer.
 */
function chunkAead(key: CryptoKey): ChunkAead {
  const node = nodeCrypto;
  if (node === undefined) {
    return {
      seal: async (iv, data) => new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, data as Uint8Array<ArrayBuffer>)),
      open: async (iv, data) => new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, data as Uint8Array<ArrayBuffer>)),
    };
  }
  const keyObject = node.KeyObject.from(key);
  return {
    seal(iv, data) {
      const cipher = node.createCipheriv("aes-256-gcm", keyObject, iv);
      const ciphertext = cipher.update(data);
      cipher.final();
      return Promise.resolve([ownsBuffer(ciphertext) ? ciphertext : ciphertext.slice(), cipher.getAuthTag().slice()]);
    },
    open(iv, data) {
      if (data.length < 16) return Promise.reject(new Error("short chunk"));
      const decipher = node.createDecipheriv("aes-256-gcm", keyObject, iv);
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = decipher.update(data.subarray(0, data.length - 16));
      try {
        decipher.final(); // verifies the tag; nothing is released before it passes
      } catch (e) {
        plain.fill(0);
        return Promise.reject(e);
      }
      if (ownsBuffer(plain)) return Promise.resolve(plain);
      const out = plain.slice();
      plain.fill(0);
      return Promise.resolve(out);
    },
  };
}

/**
 * Runs AES-GCM jobs with up to IN_FLIGHT outstanding, enqueuing results in order. A failed
 * job fails the stream before anything after it is released.
 */
function pipeline(onError: () => ConfideError) {
  const queue: Promise<Uint8Array | Uint8Array[]>[] = [];
  const settle = async (enqueue: Enqueue, keep: number) => {
    while (queue.length > keep) {
      let out: Uint8Array | Uint8Array[];
      try {
        out = await queue.shift()!;
      } catch {
        queue.length = 0;
        throw onError();
      }
      if (Array.isArray(out)) for (const piece of out) enqueue(piece);
      else enqueue(out);
    }
  };
  return {
    add(job: Promise<Uint8Array | Uint8Array[]>, enqueue: Enqueue): Promise<void> | undefined {
      job.catch(() => {}); // observed in settle; avoid unhandled rejections meanwhile
      queue.push(job);
      return queue.length > IN_FLIGHT ? settle(enqueue, IN_FLIGHT) : undefined;
    },
    drain: (enqueue: Enqueue) => settle(enqueue, 0),
  };
}

/** The WebCrypto encryption engine: same bytes as the wasm engine (FORMAT.md#streaming). */
export function webCryptoEncryptor(keys: WasmMessageKeys): Engine {
  return webCryptoSealer(keys.prefix, keys.baseNonce, importAesKey(keys).finally(() => keys.free()));
}

/**
 * The WebCrypto sealing engine from a record's prefix, base nonce and AES key alone: it needs
 * no wasm, so it also runs inside a worker.
 */
export function webCryptoSealer(prefix: Uint8Array, base: Uint8Array, key: Promise<CryptoKey>): Engine {
  let aead: ChunkAead | undefined;
  const jobs = pipeline(() => new ConfideError("internal", "WebCrypto failed to encrypt a chunk"));
  let pending = new Uint8Array(CHUNK_BYTES);
  let fill = 0;
  let index = 0;
  let started = false;
  const seal = async (data: Uint8Array, enqueue: Enqueue) => {
    if (index >= MAX_CHUNKS) throw new ConfideError("invalid_argument", "stream longer than 2^38 chunks");
    const iv = chunkNonce(base, index++);
    aead ??= chunkAead(await key);
    // `data` is copied or consumed when called, and push() awaits this before reusing it.
    await jobs.add(aead.seal(iv, data), enqueue);
  };
  const start = (enqueue: Enqueue) => {
    if (!started) {
      started = true;
      enqueue(prefix);
    }
  };
  return {
    plaintextOut: false,
    async push(bytes, enqueue) {
      start(enqueue);
      let offset = 0;
      while (offset < bytes.length) {
        if (fill === 0 && bytes.length - offset >= CHUNK_BYTES) {
          await seal(bytes.subarray(offset, offset + CHUNK_BYTES), enqueue);
          offset += CHUNK_BYTES;
          continue;
        }
        const n = Math.min(CHUNK_BYTES - fill, bytes.length - offset);
        pending.set(bytes.subarray(offset, offset + n), fill);
        fill += n;
        offset += n;
        if (fill === CHUNK_BYTES) {
          await seal(pending, enqueue);
          fill = 0;
        }
      }
    },
    async finish(enqueue) {
      start(enqueue);
      await seal(pending.subarray(0, fill), enqueue); // the final chunk is always short
      await jobs.drain(enqueue);
    },
    release() {
      pending.fill(0);
      pending = new Uint8Array(0);
    },
  };
}

/**
 * The WebCrypto opening engine for the chunks of a record whose prefix has been checked:
 * `initial` holds the bytes after the 82-byte prefix already read. Needs no wasm, so it also
 * runs inside a worker. Each chunk is released only after WebCrypto verifies its tag.
 */
export function webCryptoOpener(base: Uint8Array, key: Promise<CryptoKey>, initial: Uint8Array, text = false): Engine {
  const failed = () => new ConfideError("decryption_failed", "decryption failed");
  // A text record's plaintext must be UTF-8, across chunk edges (FORMAT.md#decrypting-a-record).
  const utf8 = text ? new TextDecoder("utf-8", { fatal: true }) : undefined;
  const checked = (enqueue: Enqueue): Enqueue => (utf8 === undefined ? enqueue : (bytes) => {
    try {
      utf8.decode(bytes, { stream: true });
    } catch {
      throw new ConfideError("malformed", "record text: invalid value");
    }
    enqueue(bytes);
  });
  const jobs = pipeline(failed);
  let buf = new Uint8Array(ENCRYPTED_CHUNK_BYTES);
  buf.set(initial);
  let len = initial.length;
  let index = 0;
  let aead: ChunkAead | undefined;
  const open = async (data: Uint8Array, enqueue: Enqueue) => {
    if (index >= MAX_CHUNKS) throw failed(); // c2sp.org/chunked-encryption: abort at 2^38 chunks
    const iv = chunkNonce(base, index++);
    aead ??= chunkAead(await key);
    // `data` is copied or consumed when called, and push() awaits this before reusing it.
    await jobs.add(aead.open(iv, data), enqueue);
  };
  return {
    plaintextOut: true,
    async push(bytes, outerEnqueue) {
      const enqueue = checked(outerEnqueue);
      // A full chunk is never final, so it is opened as soon as one more byte of input exists.
      let offset = 0;
      if (len === ENCRYPTED_CHUNK_BYTES && bytes.length > 0) {
        await open(buf, enqueue);
        len = 0;
      }
      while (offset < bytes.length) {
        if (len === 0 && bytes.length - offset > ENCRYPTED_CHUNK_BYTES) {
          await open(bytes.subarray(offset, offset + ENCRYPTED_CHUNK_BYTES), enqueue);
          offset += ENCRYPTED_CHUNK_BYTES;
          continue;
        }
        const n = Math.min(ENCRYPTED_CHUNK_BYTES - len, bytes.length - offset);
        buf.set(bytes.subarray(offset, offset + n), len);
        len += n;
        offset += n;
        if (len === ENCRYPTED_CHUNK_BYTES && offset < bytes.length) {
          await open(buf, enqueue); // WebCrypto has copied buf once open() returns
          len = 0;
        }
      }
    },
    async finish(outerEnqueue) {
      const enqueue = checked(outerEnqueue);
      // c2sp.org/chunked-encryption: the final chunk is 16..16399 bytes, else truncated.
      if (len < 16 || len >= ENCRYPTED_CHUNK_BYTES) throw failed();
      await open(buf.subarray(0, len), enqueue);
      await jobs.drain(enqueue);
      try {
        utf8?.decode(); // an unfinished character at the end
      } catch {
        throw new ConfideError("malformed", "record text: invalid value");
      }
    },
    release() {
      buf.fill(0);
      buf = new Uint8Array(0);
    },
  };
}
