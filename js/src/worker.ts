/**
 * `confide/worker`: encryption and decryption streams whose AES-GCM runs in a Web Worker, so a
 * page stays responsive during a 500 MB upload. The page keeps the workspace: it derives each
 * record's key in its own wasm instance and checks every header and commitment; the worker
 * gets only that record's non-extractable CryptoKey and the stream, transferred.
 *
 * ```ts
 * import { ConfideWorker } from "confide/worker";
 * const worker = new ConfideWorker();
 * const upload = file.stream().pipeThrough(worker.encryptStream(ws, { recordId: "rec-7", field: "audio" }));
 * ```
 * @module
 */

import { WasmMessageKeys } from "../wasm/confide_wasm.js";
import { importAesKey } from "./engines.js";
import { ConfideError, fromWasm, type ConfideErrorCode } from "./errors.js";
import { Workspace, type RecordContext } from "./index.js";
import { bytesArg, call, contextArg, describe, MIN_RECORD_BYTES, PREFIX_BYTES, property } from "./util.js";
import type { WorkerError, WorkerJob } from "./worker-thread.js";

/** Options for {@link ConfideWorker} streams. */
export interface WorkerStreamOptions {
  /** Aborting errors the stream with a `ConfideError` of code `aborted`. */
  signal?: AbortSignal;
  /** Called with the total input bytes taken so far. */
  onProgress?: (bytes: number) => void;
}

/** Options for the {@link ConfideWorker} constructor. */
export interface ConfideWorkerOptions {
  /** Where the worker script is served. Default: `worker-thread.js` next to this file. */
  url?: URL | string;
}

const aborted = () => new ConfideError("aborted", "the stream was aborted");

function options(value: unknown): { signal: AbortSignal | undefined; onProgress: ((n: number) => void) | undefined } {
  if (typeof value !== "object" || value === null) {
    throw new ConfideError("invalid_argument", `"options" expected { signal?, onProgress? }, got ${describe(value)}`);
  }
  const signal = property(value, "signal", "signal");
  const onProgress = property(value, "onProgress", "onProgress");
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfideError("invalid_argument", `"signal" expected AbortSignal, got ${describe(signal)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new ConfideError("invalid_argument", `"onProgress" expected function, got ${describe(onProgress)}`);
  }
  return { signal, onProgress: onProgress as ((n: number) => void) | undefined };
}

/** An error that came back from the worker, as a ConfideError. */
function revive(e: unknown): ConfideError {
  if (e instanceof ConfideError) return e;
  const w = e as Partial<WorkerError> | null;
  if (w && w.confide === true && typeof w.code === "string") return new ConfideError(w.code as ConfideErrorCode, String(w.message));
  return fromWasm(e);
}

/** The worker's output as seen by the page: errors become ConfideError, abort is honoured. */
function surface(readable: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  const reader = readable.getReader();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      signal?.addEventListener(
        "abort",
        () => {
          try {
            controller.error(aborted());
          } catch {
            // Already closed.
          }
          reader.cancel().catch(() => {});
        },
        { once: true },
      );
    },
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (e) {
        throw revive(e);
      }
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A Web Worker that runs Confide's stream engines off the main thread. */
export class ConfideWorker {
  #worker: Worker | undefined;

  /**
   * Starts the worker (a module worker).
   * @throws {ConfideError} `invalid_argument` where Web Workers or WebCrypto are missing.
   */
  constructor(init: ConfideWorkerOptions = {}) {
    if (typeof Worker !== "function" || typeof globalThis.crypto?.subtle?.encrypt !== "function") {
      throw new ConfideError("invalid_argument", "ConfideWorker needs Web Workers and WebCrypto");
    }
    this.#worker = new Worker(init.url ?? new URL("./worker-thread.js", import.meta.url), { type: "module" });
  }

  #post(job: WorkerJob): void {
    if (this.#worker === undefined) throw new ConfideError("freed", "this ConfideWorker has been terminated");
    this.#worker.postMessage(job, [job.readable, job.writable]);
  }

  /**
   * Like `ws.encryptStream` (unpadded; the same record bytes), with the AES-GCM in the worker.
   * @throws {ConfideError} `invalid_argument`, `freed`; the stream errors with `aborted` or
   *   `invalid_argument` (a chunk that is not a Uint8Array).
   */
  encryptStream(workspace: Workspace, context: RecordContext, streamOptions: WorkerStreamOptions = {}): ReadableWritablePair<Uint8Array, Uint8Array> {
    const ctx = contextArg(context);
    const { signal, onProgress } = options(streamOptions);
    const keys = call(() => WasmMessageKeys.forEncryption(Workspace.inner(workspace), false, ctx.recordId, ctx.field));
    const prefix = keys.prefix;
    const baseNonce = keys.baseNonce;
    const key = importAesKey(keys).finally(() => keys.free());
    let processed = 0;
    const input = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (signal?.aborted) throw aborted();
        const bytes = bytesArg("chunk", chunk, Number.MAX_SAFE_INTEGER);
        processed += bytes.length;
        controller.enqueue(bytes);
        onProgress?.(processed);
      },
    });
    const output = new TransformStream<Uint8Array, Uint8Array>();
    key.then(
      (k) => this.#post({ op: "seal", key: k, baseNonce, prefix, readable: input.readable, writable: output.writable }),
      () => output.writable.abort({ confide: true, code: "internal", message: "the key could not be imported" }).catch(() => {}),
    );
    return { writable: input.writable, readable: surface(output.readable, signal) };
  }

  /**
   * Like `ws.decryptStream` for unpadded byte records (recordings), with the AES-GCM in the worker.
   * The page checks the header, workspace, epoch and commitment before the worker sees a byte.
   * @throws {ConfideError} `invalid_argument`, `freed`; the stream errors with
   *   `decryption_failed`, `wrong_workspace`, `unknown_epoch`, `malformed`,
   *   `unsupported_version`, `aborted`, or `invalid_argument` for a padded or text record.
   */
  decryptStream(workspace: Workspace, context: RecordContext, streamOptions: WorkerStreamOptions = {}): ReadableWritablePair<Uint8Array, Uint8Array> {
    const ctx = contextArg(context);
    const { signal, onProgress } = options(streamOptions);
    Workspace.inner(workspace);
    const output = new TransformStream<Uint8Array, Uint8Array>();
    let head = new Uint8Array(0);
    let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
    let processed = 0;
    const failBeforeHandOff = (e: unknown): never => {
      const error = e instanceof ConfideError ? e : fromWasm(e);
      output.writable.abort({ confide: true, code: error.code, message: error.message }).catch(() => {});
      throw error;
    };
    const keysFor = (start: Uint8Array) => {
      try {
        return call(() => WasmMessageKeys.forDecryption(Workspace.inner(workspace), start, ctx.recordId, ctx.field));
      } catch (e) {
        return failBeforeHandOff(e);
      }
    };
    const input = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (signal?.aborted) throw aborted();
        const bytes = bytesArg("chunk", chunk, Number.MAX_SAFE_INTEGER);
        processed += bytes.length;
        if (writer === undefined) {
          const joined = new Uint8Array(head.length + bytes.length);
          joined.set(head);
          joined.set(bytes, head.length);
          head = joined;
          if (head.length >= MIN_RECORD_BYTES) {
            const keys = keysFor(head.subarray(0, MIN_RECORD_BYTES));
            if (keys.padded || keys.text) {
              keys.free();
              failBeforeHandOff(new ConfideError("invalid_argument", "padded and text records are decrypted with ws.decryptStream, not in a worker"));
            }
            const baseNonce = keys.baseNonce;
            const key = await importAesKey(keys).finally(() => keys.free());
            const toWorker = new TransformStream<Uint8Array, Uint8Array>();
            this.#post({ op: "open", key, baseNonce, initial: head.slice(PREFIX_BYTES, MIN_RECORD_BYTES), readable: toWorker.readable, writable: output.writable });
            writer = toWorker.writable.getWriter();
            if (head.length > MIN_RECORD_BYTES) await writer.write(head.slice(MIN_RECORD_BYTES));
            head = new Uint8Array(0);
          }
        } else {
          await writer.write(bytes.slice());
        }
        onProgress?.(processed);
      },
      close: async () => {
        if (writer === undefined) {
          keysFor(head).free(); // fewer than 98 bytes: the core says why
          failBeforeHandOff(new ConfideError("decryption_failed", "decryption failed"));
        }
        await writer!.close();
      },
      abort: async (reason) => {
        if (writer) await writer.abort(reason).catch(() => {});
        else await output.writable.abort(reason).catch(() => {});
      },
    });
    return { writable: input, readable: surface(output.readable, signal) };
  }

  /** Stops the worker. Idempotent. */
  terminate(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  [Symbol.dispose](): void {
    this.terminate();
  }
}
