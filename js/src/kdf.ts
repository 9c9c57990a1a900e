/**
 * Argon2id for passphrase backups, in a throwaway wasm instance (docs/SECURITY.md#memory).
 * Argon2 grows wasm memory by 64 MiB or more, and wasm memory never shrinks. So each
 * derivation runs in a fresh worker (a Web Worker, or a worker thread in Node) that
 * instantiates the already compiled module, returns the 32-byte key and is terminated: its
 * memory goes back to the system, and the page stays responsive meanwhile. Where no worker
 * can start (no Worker, or a CSP that forbids it), it runs in the package's own instance.
 * Internal: `Member.exportWithPassphrase` and `Member.importWithPassphrase` are the API.
 */

import { argon2Stretch } from "../wasm/confide_wasm.js";
import { ConfideError, type ConfideErrorCode } from "./errors.js";
import { call, isNode } from "./util.js";

/** The Argon2id inputs (FORMAT.md#passphrase-backup). */
export interface KdfInput {
  readonly salt: Uint8Array;
  readonly memoryKib: number;
  readonly iterations: number;
  readonly parallelism: number;
}

/** What a worker receives for one derivation. */
export interface KdfJob extends KdfInput {
  module: WebAssembly.Module;
  passphrase: string;
}

/** What it answers: the key, or an error as plain data (structured clone drops `code`). */
export type KdfReply = { key: Uint8Array } | { error: { code: string; message: string } };

let compiled: WebAssembly.Module | undefined;

/** Called by `init()` with the module it compiled, for workers to instantiate. */
export function setCompiledModule(module: WebAssembly.Module): void {
  compiled = module;
}

/** The passphrase stretched with `input`; the caller zeroes the result. */
export async function stretch(passphrase: string, input: KdfInput): Promise<Uint8Array> {
  const { salt, memoryKib, iterations, parallelism } = input;
  if (compiled !== undefined) {
    const job: KdfJob = { module: compiled, passphrase, salt, memoryKib, iterations, parallelism };
    const inWorker = isNode() ? inNodeWorker(job) : typeof Worker === "function" ? inWebWorker(job) : Promise.resolve(undefined);
    const reply = await inWorker.catch(() => undefined);
    if (reply !== undefined) {
      if ("error" in reply) throw new ConfideError(reply.error.code as ConfideErrorCode, reply.error.message);
      return reply.key;
    }
  }
  return call(() => argon2Stretch(passphrase, salt, memoryKib, iterations, parallelism));
}

function inWebWorker(job: KdfJob): Promise<KdfReply> {
  return new Promise((resolve, reject) => {
    // Written out in the call, the form bundlers recognize and emit the worker for.
    const worker = new Worker(new URL("./kdf-thread.js", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<KdfReply>) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
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
    const worker = new NodeWorker(new URL("./kdf-thread.js", import.meta.url));
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
