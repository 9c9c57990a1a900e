/**
 * Confide: end-to-end encryption for therapy-practice software.
 *
 * ```ts
 * import { init, Member, Workspace } from "confide";
 * await init();
 * const alice = Member.generate();
 * const ws = Workspace.create(alice);
 * const ct = ws.encrypt("Client reported better sleep.", { recordId: "n-42", field: "body" });
 * ws.decryptText(ct, { recordId: "n-42", field: "body" });
 * ```
 *
 * Byte formats: docs/FORMAT.md. Threat model: docs/SECURITY.md.
 * @module
 */

import wasmInit, {
  initSync, WasmChunkReader, WasmDecryptor, WasmMember, WasmMessageKeys, WasmWorkspace, recordLength,
} from "../wasm/confide_wasm.js";
import { ConfideError } from "./errors.js";
import { engineStream, hasWebCrypto, streamOptions, wasmEngine, webCryptoDecryptor, webCryptoEncryptor } from "./engines.js";
import {
  bytesArg, call, CHUNK_BYTES, contextArg, describe, ENCRYPTED_CHUNK_BYTES, markInitialized, MAX_PLAINTEXT_BYTES,
  MAX_RECORD_BYTES, MIN_RECORD_BYTES, padOption, PREFIX_BYTES,
} from "./util.js";

export { ConfideError, isConfideError } from "./errors.js";
export type { ConfideErrorCode } from "./errors.js";

/** Where a record lives in the application; bound into its encryption. */
export interface RecordContext {
  /** The application's id for the record, e.g. `"n-42"`. 1 to 1024 UTF-8 bytes. */
  recordId: string;
  /** The field within the record, e.g. `"body"`. 1 to 1024 UTF-8 bytes. */
  field: string;
}

/** Options for {@link Workspace.encrypt}. */
export interface EncryptOptions {
  /** Pad the plaintext to a PADMÉ bucket (at least 256 bytes) to hide its length. Default `true`. */
  pad?: boolean;
}

/** Options for {@link Workspace.encryptStream} and {@link Workspace.decryptStream}. */
export interface StreamOptions {
  /** Encrypt only: pad the payload to a PADMÉ bucket. Default `false` for streams. */
  pad?: boolean;
  /** Aborting errors the stream with a `ConfideError` of code `aborted`. */
  signal?: AbortSignal;
  /** Called after each input chunk with the total input bytes processed so far. */
  onProgress?: (bytes: number) => void;
  /**
   * Which AES-GCM runs the chunks. `"auto"` (default): WebCrypto where `crypto.subtle` exists
   * and the record is unpadded, else wasm. Both write the same bytes (FORMAT.md#streaming).
   */
  engine?: StreamEngine;
}

/** The AES-GCM implementation behind a stream. */
export type StreamEngine = "auto" | "webcrypto" | "wasm";

/**
 * Where {@link Workspace.decryptRange} reads a record from: the whole record in memory or as a
 * `Blob`, or a function returning `length` bytes at `offset` (fewer at the end of the record,
 * none past it), e.g. an HTTP Range request.
 */
export type RangeSource = Blob | Uint8Array | ((offset: number, length: number) => Promise<Uint8Array>);

/** Options for {@link init}. */
export interface InitOptions {
  /** The wasm module, its bytes, or where to fetch it. Default: next to this file. */
  wasm?: WebAssembly.Module | BufferSource | URL | string | Response | Promise<Response>;
}

/** Largest plaintext one `encrypt` call takes (256 MiB); stream anything larger. */
export { MAX_PLAINTEXT_BYTES } from "./util.js";

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");
let ready: Promise<void> | undefined;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

/**
 * Loads the wasm module. Memoized: call it as often as you like; every call returns the
 * same promise. Works in Node >= 20 and in browsers.
 * @throws {ConfideError} `internal` if the module cannot be loaded.
 */
export function init(options: InitOptions = {}): Promise<void> {
  ready ??= (async () => {
    const source = options.wasm;
    if (source === undefined && isNode()) {
      // Node: read and compile the bytes ourselves. The async loader would probe
      // Request/Response, which makes Node load its fetch implementation (~17 ms).
      const fsModule = "node:fs/promises";
      const { readFile } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ fsModule)) as {
        readFile(url: URL): Promise<Uint8Array>;
      };
      const bytes = await readFile(new URL("../wasm/confide_wasm_bg.wasm", import.meta.url));
      initSync({ module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>) });
    } else {
      await wasmInit(source === undefined ? undefined : { module_or_path: source as never });
    }
    markInitialized();
  })().catch((e: unknown) => {
    ready = undefined;
    throw e instanceof ConfideError ? e : new ConfideError("internal", "the Confide wasm module failed to load");
  });
  return ready;
}


/** wasm is fed at most this much per call, so its memory stays small whatever chunks arrive. */

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const memberToken = Symbol.for("confide.internal");
const workspaceToken = Symbol.for("confide.internal");

/**
 * A workspace member: one 32-byte seed held inside wasm memory, from which its Ed25519
 * signing key and X-Wing decryption key are derived. Call `free()` (or use `using`) when done.
 */
export class Member {
  #inner: WasmMember | undefined;
  #bundle: Uint8Array;
  #fingerprint: string;

  /** @internal Use {@link Member.generate}. */
  constructor(token: symbol, inner: WasmMember) {
    if (token !== memberToken || !(inner instanceof WasmMember)) {
      throw new ConfideError("invalid_argument", "use Member.generate()");
    }
    this.#inner = inner;
    this.#bundle = inner.publicBundle();
    this.#fingerprint = inner.fingerprint();
  }

  /**
   * A new member with a fresh random seed.
   * @throws {ConfideError} `not_initialized`, `random_unavailable`.
   */
  static generate(): Member {
    return new Member(memberToken, call(() => WasmMember.generate()));
  }

  /**
   * The fingerprint of a public bundle, after verifying the bundle's self-signature.
   * @throws {ConfideError} `invalid_argument`, `malformed`, `unsupported_version`.
   */
  static fingerprintOf(bundle: Uint8Array): string {
    const b = bytesArg("bundle", bundle, 4096);
    return call(() => WasmMember.fingerprintOf(b));
  }

  /** The versioned public bundle (1316 bytes) the server stores. A fresh copy each time. */
  get publicBundle(): Uint8Array {
    return this.#bundle.slice();
  }

  /** The fingerprint people compare: 12 groups of 5 digits. */
  get fingerprint(): string {
    return this.#fingerprint;
  }

  /** @internal */
  static inner(member: unknown): WasmMember {
    if (!(member instanceof Member)) {
      throw new ConfideError("invalid_argument", `"member" expected Member, got ${describe(member)}`);
    }
    if (member.#inner === undefined) throw new ConfideError("freed", "this Member has been freed");
    return member.#inner;
  }

  /** Zeroizes and releases the seed. The object is unusable afterwards. Idempotent. */
  free(): void {
    this.#inner?.free();
    this.#inner = undefined;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
if (disposeSymbol !== Symbol.dispose) {
  Object.defineProperty(Member.prototype, disposeSymbol, { value: Member.prototype.free });
}

/**
 * A workspace as one member sees it: its id, the content key of each epoch it holds,
 * and the member acting in it. Call `free()` (or use `using`) when done.
 */
export class Workspace {
  #inner: WasmWorkspace | undefined;
  #id: string;

  /** @internal Use {@link Workspace.create} or {@link Workspace.openGrant}. */
  constructor(token: symbol, inner: WasmWorkspace) {
    if (token !== workspaceToken || !(inner instanceof WasmWorkspace)) {
      throw new ConfideError("invalid_argument", "use Workspace.create()");
    }
    this.#inner = inner;
    this.#id = base64url(inner.idBytes());
  }

  /**
   * A new workspace at epoch 0 with a fresh random id and content key, acting as `member`.
   * @throws {ConfideError} `invalid_argument`, `freed`, `random_unavailable`.
   */
  static create(member: Member): Workspace {
    const m = Member.inner(member);
    return new Workspace(workspaceToken, call(() => WasmWorkspace.create(m)));
  }

  /**
   * Opens a grant addressed to `member`. The grant must be signed by the holder of
   * `granterBundle`: compare that bundle's fingerprint with the granter in person first.
   * @throws {ConfideError} `not_for_this_member`, `bad_signature`, `decryption_failed`,
   *   `malformed`, `unsupported_version`, `invalid_argument`.
   */
  static openGrant(member: Member, grant: Uint8Array, granterBundle: Uint8Array): Workspace {
    const m = Member.inner(member);
    const g = bytesArg("grant", grant, 4096);
    const b = bytesArg("granterBundle", granterBundle, 4096);
    return new Workspace(workspaceToken, call(() => WasmWorkspace.openGrant(m, g, b)));
  }

  #ws(): WasmWorkspace {
    if (this.#inner === undefined) throw new ConfideError("freed", "this Workspace has been freed");
    return this.#inner;
  }

  /** The workspace id, base64url without padding (22 characters). */
  get id(): string {
    return this.#id;
  }

  /** The epoch new records are written in. */
  get epoch(): number {
    return call(() => this.#ws().epoch());
  }

  /**
   * Encrypts a note, transcript or file into one record bound to `context`.
   * Strings are encoded as UTF-8 and decrypt with {@link decryptText}.
   * @throws {ConfideError} `invalid_argument`, `freed`, `random_unavailable`.
   */
  encrypt(plaintext: string | Uint8Array, context: RecordContext, options: EncryptOptions = {}): Uint8Array {
    const ctx = contextArg(context);
    const pad = padOption(options);
    const isText = typeof plaintext === "string";
    const bytes = isText ? new TextEncoder().encode(plaintext) : bytesArg("plaintext", plaintext, MAX_PLAINTEXT_BYTES);
    if (bytes.length > MAX_PLAINTEXT_BYTES) {
      throw new ConfideError("invalid_argument", `"plaintext" expected at most ${MAX_PLAINTEXT_BYTES} bytes, got ${bytes.length}`);
    }
    try {
      return call(() => this.#ws().encrypt(bytes, isText, ctx.recordId, ctx.field, pad));
    } finally {
      if (isText) bytes.fill(0);
    }
  }

  /**
   * Decrypts a record to bytes.
   * @throws {ConfideError} `decryption_failed` (wrong context or altered bytes),
   *   `wrong_workspace`, `unknown_epoch`, `malformed`, `unsupported_version`, `invalid_argument`.
   */
  decrypt(record: Uint8Array, context: RecordContext): Uint8Array {
    const r = bytesArg("record", record);
    const ctx = contextArg(context);
    return call(() => this.#ws().decrypt(r, ctx.recordId, ctx.field));
  }

  /**
   * Decrypts a record to a string (UTF-8).
   * @throws {ConfideError} as {@link decrypt}, and `malformed` if the plaintext is not UTF-8.
   */
  decryptText(record: Uint8Array, context: RecordContext): string {
    const bytes = this.decrypt(record, context);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ConfideError("malformed", "record plaintext is not UTF-8 text");
    } finally {
      bytes.fill(0);
    }
  }

  /**
   * Encrypts a byte stream into one record (FORMAT.md#streaming): the same bytes `encrypt`
   * gives for the whole input. Accepts chunks of any size; memory stays bounded.
   * ```ts
   * const upload = file.stream().pipeThrough(ws.encryptStream({ recordId: "rec-7", field: "audio" }));
   * ```
   * @throws {ConfideError} `invalid_argument`, `freed`; the stream errors with `aborted`,
   *   `invalid_argument` (a chunk that is not a Uint8Array) or `freed`.
   */
  encryptStream(context: RecordContext, options: StreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    const ctx = contextArg(context);
    const { pad, signal, onProgress, engine } = streamOptions(options);
    if (engine === "webcrypto" && pad) {
      throw new ConfideError("invalid_argument", `"engine": padded streams run on the wasm engine`);
    }
    if (!pad && engine !== "wasm" && hasWebCrypto()) {
      const keys = call(() => WasmMessageKeys.forEncryption(this.#ws(), false, ctx.recordId, ctx.field));
      return engineStream(webCryptoEncryptor(keys), signal, onProgress);
    }
    const encryptor = call(() => this.#ws().encryptStream(false, ctx.recordId, ctx.field, pad));
    return engineStream(
      wasmEngine((piece) => encryptor.push(piece), () => encryptor.finish(), () => encryptor.free(), false),
      signal,
      onProgress,
    );
  }

  /**
   * Decrypts a record stream. Each 16 KiB chunk is released only after it authenticates; a
   * stream that is cut, extended, reordered or spliced errors with `decryption_failed` at
   * the point of detection, at the latest when it ends. Treat output as final only when
   * the stream closes without error.
   * @throws {ConfideError} `invalid_argument`, `freed`; the stream errors with
   *   `decryption_failed`, `wrong_workspace`, `unknown_epoch`, `malformed`,
   *   `unsupported_version` or `aborted`.
   */
  decryptStream(context: RecordContext, options: StreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    const ctx = contextArg(context);
    const { signal, onProgress, engine } = streamOptions(options);
    if (engine !== "wasm" && hasWebCrypto()) {
      return engineStream(webCryptoDecryptor(() => this.#ws(), ctx.recordId, ctx.field), signal, onProgress);
    }
    const decryptor = call(() => new WasmDecryptor(ctx.recordId, ctx.field));
    return engineStream(
      wasmEngine((piece) => decryptor.push(this.#ws(), piece), () => decryptor.finish(this.#ws()), () => decryptor.free(), true),
      signal,
      onProgress,
    );
  }

  /**
   * Decrypts plaintext bytes `[start, end)` of a record, like `Blob.slice`, fetching and
   * authenticating only the chunks that hold them (FORMAT.md#range-reads). Whenever the range
   * reaches the end of the record, the final chunk is authenticated too, so a truncated record
   * cannot pass for a short one. `end` defaults to the end of the record and is clamped to it.
   * @throws {ConfideError} `decryption_failed`, `wrong_workspace`, `unknown_epoch`, `malformed`,
   *   `unsupported_version`, `invalid_argument`, `freed`.
   */
  async decryptRange(source: RangeSource, context: RecordContext, start: number, end?: number): Promise<Uint8Array> {
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
    const reader = call(() => new WasmChunkReader(this.#ws(), head, ctx.recordId, ctx.field));
    try {
      if (reader.padded) {
        // Padded records are notes: their payload length is known only after unpadding.
        const whole = src.size !== undefined ? await src.read(0, src.size) : await readToEnd(src);
        const plaintext = this.decrypt(whole, ctx);
        const out = plaintext.slice(start, end);
        plaintext.fill(0);
        return out;
      }
      return await readRange(src, reader, start, end);
    } finally {
      reader.free();
    }
  }

  /**
   * Seals this epoch's content key to the member with `recipientBundle`, signed by the
   * acting member. Give the grant to the server; only that member can open it.
   * @throws {ConfideError} `malformed`, `unsupported_version`, `invalid_argument`, `freed`.
   */
  grant(recipientBundle: Uint8Array): Uint8Array {
    const b = bytesArg("recipientBundle", recipientBundle, 4096);
    return call(() => this.#ws().grant(b));
  }

  /** @internal */
  static inner(workspace: unknown): WasmWorkspace {
    if (!(workspace instanceof Workspace)) {
      throw new ConfideError("invalid_argument", `"workspace" expected Workspace, got ${describe(workspace)}`);
    }
    return workspace.#ws();
  }

  /** Zeroizes and releases every key this object holds. Idempotent. */
  free(): void {
    this.#inner?.free();
    this.#inner = undefined;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
if (disposeSymbol !== Symbol.dispose) {
  Object.defineProperty(Workspace.prototype, disposeSymbol, { value: Workspace.prototype.free });
}


interface Source {
  size: number | undefined;
  read(offset: number, length: number): Promise<Uint8Array>;
}

function rangeSource(source: unknown): Source {
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

async function readToEnd(src: Source): Promise<Uint8Array> {
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
async function readRange(src: Source, reader: WasmChunkReader, start: number, end: number | undefined): Promise<Uint8Array> {
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

/**
 * Exact plaintext size of an unpadded record of `recordBytes` bytes (for a padded record, the
 * padded size, an upper bound). The inverse of {@link recordSize} with `pad: false`.
 * @throws {ConfideError} `invalid_argument` if no record has that length.
 */
export function plaintextSize(recordBytes: number): number {
  const n = plaintextSizeOrNaN(recordBytes);
  if (Number.isNaN(n)) {
    const got = typeof recordBytes === "number" ? String(recordBytes) : describe(recordBytes);
    throw new ConfideError("invalid_argument", `"recordBytes": no record has length ${got}`);
  }
  return n;
}

/** FORMAT.md#record-size inverted; NaN for a length no record has. */
function plaintextSizeOrNaN(recordBytes: number): number {
  if (!Number.isSafeInteger(recordBytes) || recordBytes < MIN_RECORD_BYTES) return NaN;
  const body = recordBytes - PREFIX_BYTES;
  const last = (body % ENCRYPTED_CHUNK_BYTES) - 16;
  return last < 0 ? NaN : Math.floor(body / ENCRYPTED_CHUNK_BYTES) * CHUNK_BYTES + last;
}

/**
 * Exact size in bytes of the record `encrypt` produces for a plaintext of `plaintextBytes`
 * bytes (UTF-8 bytes for strings), with or without padding.
 * @throws {ConfideError} `invalid_argument` for a negative, fractional or oversized length.
 */
export function recordSize(plaintextBytes: number, options: EncryptOptions = {}): number {
  const pad = padOption(options);
  const n = typeof plaintextBytes === "number" ? call(() => recordLength(plaintextBytes, pad)) : -1;
  if (n < 0) {
    throw new ConfideError("invalid_argument", `"plaintextBytes" expected an integer in [0, ${MAX_PLAINTEXT_BYTES}], got ${describe(plaintextBytes)}`);
  }
  return n;
}
