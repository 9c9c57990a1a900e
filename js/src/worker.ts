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
import type { RecordContext } from "./types.js";
import { Workspace } from "./workspace.js";
import { bytesArg, call, contextArg, describe, MIN_RECORD_BYTES, packageFile, PREFIX_BYTES, property } from "./util.js";
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
  /**
   * Where the worker script is served. Default: `dist/worker-thread.js` under `init({ base })`
   * if it was given, else `worker-thread.js` next to this file (bundlers emit it).
   */
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

/** How the page fails one stream in flight: errors what its reader and writer see. */
type Fail = (error: ConfideError) => void;

/**
 * The worker's output as seen by the page: errors become ConfideError, abort is honoured, and
 * `live` holds a way to fail it from outside (the worker did not start, or was terminated)
 * until it ends. `failInput` errors the side the caller writes to.
 */
function surface(
  readable: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  live: Set<Fail>,
  failInput: Fail,
): { readable: ReadableStream<Uint8Array>; fail: Fail } {
  const reader = readable.getReader();
  let fail: Fail = () => {};
  let ended = false;
  const end = () => {
    ended = true;
    live.delete(fail);
  };
  const out = new ReadableStream<Uint8Array>({
    start(controller) {
      fail = (error) => {
        if (ended) return;
        end();
        try {
          controller.error(error);
        } catch {
          // Already closed.
        }
        failInput(error);
        reader.cancel().catch(() => {});
      };
      live.add(fail);
      signal?.addEventListener("abort", () => fail(aborted()), { once: true });
    },
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (e) {
        end();
        throw revive(e);
      }
      if (result.done) {
        end();
        controller.close();
      } else controller.enqueue(result.value);
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
  // `start` ran synchronously in the constructor, so `fail` is set.
  return { readable: out, fail: (error) => fail(error) };
}

/** A Web Worker that runs Confide's stream engines off the main thread. */
export class ConfideWorker {
  #worker: Worker | undefined;
  /** Why no job can run any more: the worker did not start, stopped, or was terminated. */
  #failure: ConfideError | undefined;
  /** The streams in flight, failed all at once if the worker goes away. */
  #live = new Set<Fail>();

  /**
   * Starts the worker (a module worker). If its script does not load (a 404, a
   * Content-Security-Policy without `worker-src` for it, a bundler that left it out), every
   * stream errors with `worker_unavailable` as soon as the browser reports it.
   * @throws {ConfideError} `invalid_argument` where Web Workers or WebCrypto are missing;
   *   `worker_unavailable` if the browser refuses the worker outright.
   */
  constructor(init: ConfideWorkerOptions = {}) {
    if (typeof Worker !== "function" || typeof globalThis.crypto?.subtle?.encrypt !== "function") {
      throw new ConfideError("invalid_argument", "ConfideWorker needs Web Workers and WebCrypto");
    }
    const url = init.url ?? packageFile("dist/worker-thread.js");
    try {
      // Written out in the call, the form bundlers recognize and emit the worker for.
      this.#worker = url !== undefined ? new Worker(url, { type: "module" }) : new Worker(new URL("./worker-thread.js", import.meta.url), { type: "module" });
    } catch {
      throw new ConfideError("worker_unavailable", "the Confide worker could not be started");
    }
    // A script that fails to load, or an uncaught error in the worker, arrives here.
    this.#worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.#stop(new ConfideError("worker_unavailable", "the Confide worker did not start or stopped"));
    });
  }

  /** Ends the worker and fails every stream in flight with `error`. */
  #stop(error: ConfideError): void {
    this.#failure ??= error;
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const fail of [...this.#live]) fail(this.#failure);
  }

  #assertUsable(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Hands a job to the worker, or fails its stream if the worker has gone away meanwhile. */
  #post(job: WorkerJob, fail: Fail): void {
    if (this.#worker === undefined || this.#failure !== undefined) {
      fail(this.#failure ?? new ConfideError("freed", "this ConfideWorker has been terminated"));
      return;
    }
    this.#worker.postMessage(job, [job.readable, job.writable]);
  }

  /**
   * Like `ws.encryptStream` (unpadded; the same record bytes), with the AES-GCM in the worker.
   * @throws {ConfideError} `invalid_argument`, `freed`, `worker_unavailable`; the stream errors
   *   with `aborted`, `invalid_argument` (a chunk that is not a Uint8Array), `worker_unavailable`
   *   (the worker did not start or stopped) or `freed` (terminated meanwhile).
   */
  encryptStream(workspace: Workspace, context: RecordContext, streamOptions: WorkerStreamOptions = {}): ReadableWritablePair<Uint8Array, Uint8Array> {
    const ctx = contextArg(context);
    const { signal, onProgress } = options(streamOptions);
    this.#assertUsable();
    const keys = call(() => WasmMessageKeys.forEncryption(Workspace.inner(workspace), false, ctx.recordId, ctx.field));
    const prefix = keys.prefix;
    const baseNonce = keys.baseNonce;
    const key = importAesKey(keys).finally(() => keys.free());
    let processed = 0;
    let inputController: TransformStreamDefaultController<Uint8Array> | undefined;
    const input = new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        inputController = controller;
      },
      transform(chunk, controller) {
        if (signal?.aborted) throw aborted();
        const bytes = bytesArg("chunk", chunk, Number.MAX_SAFE_INTEGER);
        processed += bytes.length;
        controller.enqueue(bytes);
        onProgress?.(processed);
      },
    });
    const output = new TransformStream<Uint8Array, Uint8Array>();
    const { readable, fail } = surface(output.readable, signal, this.#live, (error) => inputController?.error(error));
    key.then(
      (k) => this.#post({ op: "seal", key: k, baseNonce, prefix, readable: input.readable, writable: output.writable }, fail),
      () => output.writable.abort({ confide: true, code: "internal", message: "the key could not be imported" }).catch(() => {}),
    );
    return { writable: input.writable, readable };
  }

  /**
   * Like `ws.decryptStream` for unpadded byte records (recordings), with the AES-GCM in the worker.
   * The page checks the header, workspace, epoch and commitment before the worker sees a byte.
   * @throws {ConfideError} `invalid_argument`, `freed`, `worker_unavailable`; the stream errors
   *   with `decryption_failed`, `wrong_workspace`, `unknown_epoch`, `malformed`,
   *   `unsupported_version`, `aborted`, `worker_unavailable`, `freed`, or `invalid_argument`
   *   for a padded or text record.
   */
  decryptStream(workspace: Workspace, context: RecordContext, streamOptions: WorkerStreamOptions = {}): ReadableWritablePair<Uint8Array, Uint8Array> {
    const ctx = contextArg(context);
    const { signal, onProgress } = options(streamOptions);
    Workspace.inner(workspace);
    this.#assertUsable();
    const output = new TransformStream<Uint8Array, Uint8Array>();
    let head = new Uint8Array(0);
    let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
    let processed = 0;
    let inputController: WritableStreamDefaultController | undefined;
    // Settles only if the stream is failed from outside: a write waiting on a worker that is
    // gone would otherwise wait forever.
    let markGone: Fail = () => {};
    const gone = new Promise<never>((_, reject) => (markGone = reject));
    gone.catch(() => {});
    const { readable, fail } = surface(output.readable, signal, this.#live, (error) => {
      markGone(error);
      inputController?.error(error);
      writer?.abort(error).catch(() => {});
    });
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
    const send = (bytes: Uint8Array) => Promise.race([writer!.write(bytes), gone]);
    const input = new WritableStream<Uint8Array>({
      start(controller) {
        inputController = controller;
      },
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
            writer = toWorker.writable.getWriter();
            this.#post({ op: "open", key, baseNonce, initial: head.slice(PREFIX_BYTES, MIN_RECORD_BYTES), readable: toWorker.readable, writable: output.writable }, fail);
            if (head.length > MIN_RECORD_BYTES) await send(head.slice(MIN_RECORD_BYTES));
            head = new Uint8Array(0);
          }
        } else {
          await send(bytes.slice());
        }
        onProgress?.(processed);
      },
      close: async () => {
        if (writer === undefined) {
          keysFor(head).free(); // fewer than 98 bytes: the core says why
          failBeforeHandOff(new ConfideError("decryption_failed", "decryption failed"));
        }
        await Promise.race([writer!.close(), gone]);
      },
      abort: async (reason) => {
        if (writer) await writer.abort(reason).catch(() => {});
        else await output.writable.abort(reason).catch(() => {});
      },
    });
    return { writable: input, readable };
  }

  /**
   * Stops the worker. Streams still in flight error with `freed`, and later calls throw it.
   * Idempotent.
   */
  terminate(): void {
    this.#stop(new ConfideError("freed", "this ConfideWorker has been terminated"));
  }

  [Symbol.dispose](): void {
    this.terminate();
  }
}
