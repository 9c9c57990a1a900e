/**
 * Argon2id for passphrase backups, in a module of its own and a throwaway instance
 * (docs/SECURITY.md#memory). The main module links no Argon2: the Argon2 module
 * (`wasm/confide_kdf_bg.wasm`, wasm-kdf/) is fetched and compiled on the first backup made or
 * opened, then each derivation runs in a fresh worker (a Web Worker, or a worker thread in
 * Node) that instantiates it, returns the 32-byte key and is terminated: Argon2's 64 MiB or
 * more go back to the system, and the page stays responsive meanwhile. Where no worker can
 * start (no Worker, or a CSP that forbids it), the Argon2 module runs on the calling thread;
 * the package's main instance never grows either way.
 * Internal: `Member.exportWithPassphrase` and `Member.importWithPassphrase` are the API.
 */

import { ConfideError, type ConfideErrorCode } from "./errors.js";
// Types only: the Argon2 glue is imported on the calling thread only for the fallback, so
// pages that never make a backup do not load it.
import type { KdfInput, KdfJob, KdfReply } from "./kdf-run.js";
import { compileWasm, type WasmSource } from "./load.js";
import { isNode, packageFile } from "./util.js";

export type { KdfInput } from "./kdf-run.js";

let source: WasmSource | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;

/** Called by `init()` with its `kdfWasm` option, before any backup. */
export function setKdfSource(kdfWasm: WasmSource | undefined): void {
  source = kdfWasm;
  compiled = undefined;
}

/** The Argon2 module, compiled once per page on first use (a failure is retried next time). */
function kdfModule(): Promise<WebAssembly.Module> {
  compiled ??= compileWasm(
    source,
    packageFile("wasm/confide_kdf_bg.wasm") ?? new URL("../wasm/confide_kdf_bg.wasm", import.meta.url),
    "Argon2 module",
  ).catch((e: unknown) => {
    compiled = undefined;
    throw e;
  });
  return compiled;
}

/** The passphrase stretched with `input`; the caller zeroes the result. */
export async function stretch(passphrase: string, input: KdfInput): Promise<Uint8Array> {
  const { salt, memoryKib, iterations, parallelism } = input;
  const job: KdfJob = { module: await kdfModule(), passphrase, salt, memoryKib, iterations, parallelism };
  const inWorker = isNode() ? inNodeWorker(job) : typeof Worker === "function" ? inWebWorker(job) : Promise.resolve(undefined);
  const reply = (await inWorker.catch(() => undefined)) ?? (await import("./kdf-run.js")).runKdf(job).reply;
  if ("error" in reply) throw new ConfideError(reply.error.code as ConfideErrorCode, reply.error.message);
  return reply.key;
}

function inWebWorker(job: KdfJob): Promise<KdfReply> {
  return new Promise((resolve, reject) => {
    const url = packageFile("dist/kdf-thread.js");
    // Written out in the call, the form bundlers recognize and emit the worker for.
    const worker = url !== undefined ? new Worker(url, { type: "module" }) : new Worker(new URL("./kdf-thread.js", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<KdfReply>) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event: Event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error("the Argon2 worker did not start"));
    };
    worker.postMessage(job);
  });
}

interface NodeWorker {
  once(event: "message", f: (reply: KdfReply) => void): void;
  once(event: "error", f: (e: unknown) => void): void;
  postMessage(job: KdfJob): void;
  terminate(): Promise<number>;
}

async function inNodeWorker(job: KdfJob): Promise<KdfReply> {
  const threads = "node:worker_threads";
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ threads)) as {
    Worker: new (url: URL) => NodeWorker;
  };
  return new Promise((resolve, reject) => {
    const worker = new NodeWorker(packageFile("dist/kdf-thread.js") ?? new URL("./kdf-thread.js", import.meta.url));
    worker.once("message", (reply) => {
      void worker.terminate();
      resolve(reply);
    });
    worker.once("error", (e) => {
      void worker.terminate();
      reject(e);
    });
    worker.postMessage(job);
  });
}
