/**
 * The worker side of the package's Argon2id (./kdf.ts): instantiates the compiled module it is
 * sent, stretches one passphrase, answers with the key and is terminated by the page. Runs as
 * a Web Worker or as a Node worker thread.
 * @module
 */

import { argon2Stretch, initSync } from "../wasm/confide_wasm.js";
import type { KdfJob, KdfReply } from "./kdf.js";

interface Port {
  postMessage(reply: KdfReply, transfer: ArrayBuffer[]): void;
}

function run(job: KdfJob): { reply: KdfReply; transfer: ArrayBuffer[] } {
  try {
    initSync({ module: job.module });
    const key = argon2Stretch(job.passphrase, job.salt, job.memoryKib, job.iterations, job.parallelism);
    return { reply: { key }, transfer: [key.buffer as ArrayBuffer] };
  } catch (e) {
    const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
    const error = { code: typeof code === "string" ? code : "internal", message: typeof message === "string" ? message : "Argon2id failed" };
    return { reply: { error }, transfer: [] };
  }
}

function answer(port: Port, job: KdfJob): void {
  const { reply, transfer } = run(job);
  port.postMessage(reply, transfer);
}

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  globalThis.addEventListener("message", (event: Event) => answer(globalThis as unknown as Port, (event as MessageEvent<KdfJob>).data), { once: true });
} else {
  const threads = "node:worker_threads";
  const { parentPort } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ threads)) as {
    parentPort: (Port & { once(event: "message", f: (job: KdfJob) => void): void }) | null;
  };
  parentPort?.once("message", (job) => answer(parentPort, job));
}
