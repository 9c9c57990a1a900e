/**
 * The worker side of the package's Argon2id (./kdf.ts): instantiates the Argon2 module it is
 * sent, stretches one passphrase, answers with the key and is terminated by the page. Runs as
 * a Web Worker or as a Node worker thread. No top-level await: bundlers emit workers in
 * formats (iife) that do not allow it.
 * @module
 */

import { runKdf, type KdfJob, type KdfReply } from "./kdf-run.js";

interface Port {
  postMessage(reply: KdfReply, transfer: ArrayBuffer[]): void;
  once(event: "message", f: (job: KdfJob) => void): void;
}

function answer(port: Pick<Port, "postMessage">, job: KdfJob): void {
  const { reply, transfer } = runKdf(job);
  port.postMessage(reply, transfer);
}

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  globalThis.addEventListener("message", (event: Event) => answer(globalThis as unknown as Port, (event as MessageEvent<KdfJob>).data), { once: true });
} else {
  // A Node worker thread. Its port queues the job until the listener is attached.
  const threads = "node:worker_threads";
  void (import(/* @vite-ignore */ /* webpackIgnore: true */ threads) as Promise<{ parentPort: Port | null }>).then(({ parentPort }) => {
    parentPort?.once("message", (job) => answer(parentPort, job));
  });
}
