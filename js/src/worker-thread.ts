/**
 * The worker side of `confide/worker`: runs the WebCrypto engines on streams transferred from
 * the page. It receives one non-extractable CryptoKey per record and never sees a workspace
 * key, a member seed or the wasm module (FORMAT.md#streaming).
 * @module
 */

import { engineStream, webCryptoOpener, webCryptoSealer } from "./engines.js";
import { ConfideError } from "./errors.js";

/** What crosses to the worker for one record. */
export type WorkerJob =
  | { op: "seal"; key: CryptoKey; baseNonce: Uint8Array; prefix: Uint8Array; readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }
  | { op: "open"; key: CryptoKey; baseNonce: Uint8Array; initial: Uint8Array; readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };

/** How an error crosses back: structured clone keeps plain objects, not ConfideError's code. */
export interface WorkerError {
  confide: true;
  code: string;
  message: string;
}

globalThis.addEventListener("message", (event: Event) => {
  const job = (event as MessageEvent<WorkerJob>).data;
  const key = Promise.resolve(job.key);
  const engine = job.op === "seal" ? webCryptoSealer(job.prefix, job.baseNonce, key) : webCryptoOpener(job.baseNonce, key, job.initial);
  job.readable
    .pipeThrough(engineStream(engine, undefined, undefined))
    .pipeTo(job.writable, { preventAbort: true })
    .catch(async (e: unknown) => {
      const error = e instanceof ConfideError ? e : new ConfideError("internal", "the Confide worker failed");
      const reason: WorkerError = { confide: true, code: error.code, message: error.message };
      await job.writable.abort(reason).catch(() => {});
    });
});
