/**
 * One Argon2id derivation in an instance of the Argon2 module (wasm-kdf/): what the worker
 * runs (./kdf-thread.ts), and the calling thread where no worker can start (./kdf.ts).
 * Internal.
 */

import { argon2Stretch, initSync } from "../wasm/confide_kdf.js";

/** The Argon2id inputs (FORMAT.md#passphrase-backup). */
export interface KdfInput {
  readonly salt: Uint8Array;
  readonly memoryKib: number;
  readonly iterations: number;
  readonly parallelism: number;
}

/** What a worker receives for one derivation: the compiled Argon2 module and its inputs. */
export interface KdfJob extends KdfInput {
  module: WebAssembly.Module;
  passphrase: string;
}

/** What it answers: the key, or an error as plain data (structured clone drops `code`). */
export type KdfReply = { key: Uint8Array } | { error: { code: string; message: string } };

/** Instantiates `job.module` (once per thread) and stretches the passphrase. Never throws. */
export function runKdf(job: KdfJob): { reply: KdfReply; transfer: ArrayBuffer[] } {
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
